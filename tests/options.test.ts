import { describe, expect, it } from 'vitest';
import detectFaces from '../commands/detect-faces.js';
import generateText from '../commands/generate-text.js';
import { parseOptions } from '../src/core/options.js';
import { SinapsisError } from '../src/errors.js';

const img = { image: Buffer.from('x') };

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as SinapsisError).code;
  }
  return undefined;
}

describe('parseOptions', () => {
  it('fills defaults and coerces strings from forms and flags', () => {
    expect(parseOptions(detectFaces, {}, img)).toEqual({ blur: false, 'min-score': 0.6 });
    expect(parseOptions(detectFaces, { blur: 'true', 'min-score': '0.8' }, img)).toEqual({ blur: true, 'min-score': 0.8 });
    expect(parseOptions(detectFaces, { blur: true }, img).blur).toBe(true);
    expect(parseOptions(generateText, { prompt: 'hola', 'max-new-tokens': '12' })['max-new-tokens']).toBe(12);
  });

  it('refuses unknown, missing and out-of-range options with their codes', () => {
    expect(code(() => parseOptions(detectFaces, { colour: 'red' }, img))).toBe('unknown_option');
    expect(code(() => parseOptions(detectFaces, {}, {}))).toBe('missing_option');
    expect(code(() => parseOptions(detectFaces, { 'min-score': '5' }, img))).toBe('invalid_option');
    expect(code(() => parseOptions(detectFaces, { 'min-score': 'abc' }, img))).toBe('invalid_option');
    expect(code(() => parseOptions(detectFaces, { blur: 'maybe' }, img))).toBe('invalid_option');
    expect(code(() => parseOptions(generateText, { prompt: 'x', 'max-new-tokens': '10000' }))).toBe('invalid_option');
    expect(code(() => parseOptions(generateText, { prompt: 'x', 'max-new-tokens': '1.5' }))).toBe('invalid_option');
    expect(code(() => parseOptions(generateText, { prompt: 'x'.repeat(2001) }))).toBe('invalid_option');
  });

  it('gives messages in both languages naming the option', () => {
    try {
      parseOptions(detectFaces, { colour: 'red' }, img);
    } catch (e) {
      expect((e as SinapsisError).localized('en')).toContain('"colour"');
      expect((e as SinapsisError).localized('es')).toMatch(/La opción "colour" no existe/);
    }
  });
});
