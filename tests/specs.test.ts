import { describe, expect, it } from 'vitest';
import { COMMANDS, LOCALES } from '../commands/index.js';

// Discord's rules for command and option names and descriptions; Slack and the web are laxer.
const NAME = /^[-_\p{Ll}\p{N}]{1,32}$/u;

describe('command specs', () => {
  it('declares the five course commands once each', () => {
    expect(COMMANDS.map((c) => c.name).sort()).toEqual(['colorize', 'detect-faces', 'explain', 'generate-text', 'translate']);
  });

  for (const spec of COMMANDS) {
    it(`${spec.name}: every text in every locale, within platform limits`, () => {
      for (const loc of LOCALES) {
        expect(spec.texts[loc].name).toMatch(NAME);
        expect(spec.texts[loc].description.length).toBeGreaterThan(0);
        expect(spec.texts[loc].description.length).toBeLessThanOrEqual(100);
        expect(spec.help[loc].length).toBeGreaterThan(20);
        for (const o of spec.options) {
          expect(o.texts[loc].name).toMatch(NAME);
          expect(o.texts[loc].description.length).toBeLessThanOrEqual(100);
        }
      }
      const names = spec.options.map((o) => o.name);
      expect(new Set(names).size).toBe(names.length);
      for (const o of spec.options) {
        expect(o.name).toMatch(NAME);
        if (o.type === 'string' && o.choices) expect(o.choices.length).toBeLessThanOrEqual(25);
        if ((o.type === 'integer' || o.type === 'number') && o.default !== undefined) {
          expect(o.default).toBeGreaterThanOrEqual(o.min);
          expect(o.default).toBeLessThanOrEqual(o.max);
        }
      }
      // Discord lists required options first.
      const firstOptional = spec.options.findIndex((o) => !o.required);
      if (firstOptional >= 0) expect(spec.options.slice(firstOptional).some((o) => o.required)).toBe(false);
    });
  }

  it('says in the face detector help that faces are never identified, in every language', () => {
    const spec = COMMANDS.find((c) => c.name === 'detect-faces')!;
    expect(spec.help['en-US']).toMatch(/never identifies/);
    expect(spec.help['es-ES']).toMatch(/nunca identifica/);
    expect(spec.help['es-419']).toMatch(/nunca identifica/);
  });
});
