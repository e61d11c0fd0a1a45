import { describe, expect, it } from 'vitest';
import { COMMANDS, LOCALES } from '../commands/index.js';

// Discord's rules for command and option names and descriptions; Slack and the web are laxer.
const NAME = /^[-_\p{Ll}\p{N}]{1,32}$/u;

describe('command specs', () => {
  it('declares the five course commands once each', () => {
    expect(COMMANDS.map((c) => c.name).sort()).toEqual([
      'colorize',
      'detect-faces',
      'explain',
      'generate-text',
      'translate',
    ]);
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

  it('message actions: names and descriptions in every locale within Discord/Slack limits, inputs and presets that fit the options', () => {
    const actions = COMMANDS.filter((c) => c.contextMenu);
    expect(actions.map((c) => c.name)).toEqual(['translate', 'colorize', 'detect-faces', 'explain']);
    for (const spec of actions) {
      const menu = spec.contextMenu!;
      for (const loc of LOCALES) {
        // Slack shortcut names: 24 characters; Discord: 32.
        expect(menu.names[loc].length).toBeGreaterThan(0);
        expect(menu.names[loc].length).toBeLessThanOrEqual(24);
        expect(menu.descriptions[loc].length).toBeLessThanOrEqual(150);
      }
      const input =
        'text' in menu.input
          ? spec.options.find((o) => o.name === (menu.input as { text: string }).text && o.type === 'string')
          : spec.options.find((o) => o.name === (menu.input as { image: string }).image && o.type === 'image');
      expect(input).toBeDefined();
      for (const [name, byLang] of Object.entries(menu.preset ?? {})) {
        const o = spec.options.find((x) => x.name === name)!;
        expect(o).toBeDefined();
        for (const v of Object.values(byLang))
          if (o.type === 'string') expect(String(v).length).toBeLessThanOrEqual(o.maxLength);
      }
      // Everything the command requires comes from the message or the preset.
      for (const o of spec.options.filter((x) => x.required))
        expect(o === input || o.name in (menu.preset ?? {})).toBe(true);
    }
  });

  it('says in the face detector help that faces are never identified, in every language', () => {
    const spec = COMMANDS.find((c) => c.name === 'detect-faces')!;
    expect(spec.help['en-US']).toMatch(/never identifies/);
    expect(spec.help['es-ES']).toMatch(/nunca identifica/);
    expect(spec.help['es-419']).toMatch(/nunca identifica/);
  });
});
