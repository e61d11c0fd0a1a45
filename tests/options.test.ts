import { describe, expect, it } from 'vitest';
import detectFaces from '../commands/detect-faces.js';
import generateText from '../commands/generate-text.js';
import colorize from '../commands/colorize.js';
import explain from '../commands/explain.js';
import { needsUpload, parseOptions, withSampleImage } from '../src/core/options.js';
import { readSample } from '../src/samples/index.js';
import type { SinapsisError } from '../src/errors.js';

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
    expect(parseOptions(detectFaces, { blur: 'true', 'min-score': '0.8' }, img)).toEqual({
      blur: true,
      'min-score': 0.8,
    });
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

describe('the sample option: a photo OR a shipped sample', () => {
  it('a sample stands in for a required photo; core reads its bytes when nothing was uploaded', () => {
    const values = parseOptions(detectFaces, { sample: 'astronaut' }, {});
    expect(values.sample).toBe('astronaut');
    expect(withSampleImage(detectFaces, values, {}).image).toEqual(readSample('astronaut'));
    // An uploaded photo wins over the sample.
    expect(withSampleImage(detectFaces, values, img).image).toBe(img.image);
    expect(withSampleImage(detectFaces, parseOptions(detectFaces, {}, img), img)).toBe(img);
    // /explain's photo is optional; a sample still fills it.
    expect(
      withSampleImage(explain, parseOptions(explain, { topic: 'convolución', sample: 'camera' }), {}).image,
    ).toEqual(readSample('camera'));
  });

  it('an unknown sample is refused with the list', () => {
    try {
      parseOptions(colorize, { sample: 'nope' }, {});
      expect.unreachable();
    } catch (e) {
      expect((e as SinapsisError).code).toBe('invalid_option');
      expect((e as SinapsisError).localized('en')).toMatch(/"sample".*astronaut, camera, coffee, chelsea/);
    }
  });

  it('neither photo nor sample: the missing-photo error tells about the sample, in es and en', () => {
    for (const spec of [detectFaces, colorize]) {
      try {
        parseOptions(spec, {}, {});
        expect.unreachable();
      } catch (e) {
        expect((e as SinapsisError).code).toBe('missing_option');
        expect((e as SinapsisError).localized('en')).toBe(
          'The option "image" is required. No photo at hand? Choose a sample photo with the option "sample" (--sample on Slack and the CLI): astronaut, camera, coffee, chelsea.',
        );
        expect((e as SinapsisError).localized('es')).toMatch(
          /^Falta la opción obligatoria "image". ¿No tenés una foto\? Elegí una de ejemplo con la opción "ejemplo"/,
        );
      }
    }
    expect(parseOptions(explain, { topic: 'convolución' }, {}).sample).toBeUndefined();
  });

  it('chat adapters go and find an upload only when a required photo has no sample', () => {
    expect(needsUpload(detectFaces, {})).toBe(true);
    expect(needsUpload(detectFaces, { sample: 'astronaut' })).toBe(false);
    expect(needsUpload(explain, {})).toBe(false);
    expect(needsUpload(generateText, { prompt: 'x' })).toBe(false);
  });
});
