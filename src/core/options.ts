import type { CommandSpec, ImageInputs, OptionSpec, OptionValues, RawOptions } from '../../commands/spec.js';
import { SAMPLE_OPTION } from '../../commands/sample-option.js';
import { SinapsisError } from '../errors.js';
import { readSample, SAMPLES } from '../samples/index.js';

// The value types live next to the spec (tasks import them without importing core); re-exported here.
export type { RawOptions, ImageInputs, OptionValues } from '../../commands/spec.js';

function expected(o: OptionSpec): string {
  switch (o.type) {
    case 'string':
      return o.choices ? `one of ${o.choices.join(', ')}` : `text of ${o.minLength ?? 0}-${o.maxLength} characters`;
    case 'integer':
      return `a whole number from ${o.min} to ${o.max}`;
    case 'number':
      return `a number from ${o.min} to ${o.max}`;
    case 'boolean':
      return 'true or false';
    case 'image':
      return `an image (${o.formats.join(', ')})`;
  }
}

function coerce(o: Exclude<OptionSpec, { type: 'image' }>, raw: unknown): string | number | boolean {
  const bad = () => new SinapsisError('invalid_option', { option: o.name, expected: expected(o) });
  switch (o.type) {
    case 'string': {
      if (typeof raw !== 'string' && typeof raw !== 'number') throw bad();
      const s = String(raw);
      if (s.length < (o.minLength ?? 0) || s.length > o.maxLength) throw bad();
      if (o.choices && !o.choices.includes(s)) throw bad();
      return s;
    }
    case 'integer':
    case 'number': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n) || n < o.min || n > o.max) throw bad();
      if (o.type === 'integer' && !Number.isInteger(n)) throw bad();
      return n;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).toLowerCase();
      if (['true', '1', 'yes', 'on', 'si', 'sí'].includes(s)) return true;
      if (['false', '0', 'no', 'off', ''].includes(s)) return false;
      throw bad();
    }
  }
}

/**
 * Validates raw options against the spec: unknown names, missing required
 * values, types, ranges and choices. Defaults fill what was left out.
 * Images are their bytes, or only their option names (a check before anything is downloaded).
 */
export function parseOptions(
  spec: Pick<CommandSpec, 'name' | 'options'>,
  raw: RawOptions,
  images: ImageInputs | readonly string[] = {},
): OptionValues {
  const known = new Map(spec.options.map((o) => [o.name, o]));
  const imageNames = Array.isArray(images) ? images : Object.keys(images).filter((k) => (images as ImageInputs)[k]);
  for (const name of [...Object.keys(raw), ...imageNames]) {
    if (!known.has(name)) {
      throw new SinapsisError('unknown_option', {
        option: name,
        command: spec.name,
        valid: spec.options.map((o) => o.name).join(', '),
      });
    }
  }
  const values: OptionValues = {};
  for (const o of spec.options) {
    if (o.type === 'image') {
      if (raw[o.name] !== undefined)
        throw new SinapsisError('invalid_option', { option: o.name, expected: expected(o) });
      continue;
    }
    const given = raw[o.name];
    if (given === undefined || given === null) {
      if (o.required) throw new SinapsisError('missing_option', { option: o.name });
      values[o.name] = o.default;
      continue;
    }
    values[o.name] = coerce(o, given);
  }
  // A required photo: uploaded, or a shipped sample chosen with the `sample` option.
  const takesSample = spec.options.some((o) => o.name === SAMPLE_OPTION);
  for (const o of spec.options) {
    if (
      o.type !== 'image' ||
      !o.required ||
      imageNames.includes(o.name) ||
      (takesSample && values[SAMPLE_OPTION] !== undefined)
    )
      continue;
    throw new SinapsisError('missing_option', {
      option: o.name,
      ...(takesSample ? { samples: SAMPLES.map((x) => x.id).join(', ') } : {}),
    });
  }
  return values;
}

/** Whether the request still needs an uploaded photo (a required one, and no sample chosen): chat adapters go and find it. */
export function needsUpload(spec: Pick<CommandSpec, 'options'>, raw: RawOptions): boolean {
  const takesSample = spec.options.some((o) => o.name === SAMPLE_OPTION);
  return (
    spec.options.some((o) => o.type === 'image' && o.required) &&
    !(takesSample && raw[SAMPLE_OPTION] !== undefined && raw[SAMPLE_OPTION] !== null)
  );
}

/**
 * The images the task reads: those uploaded, plus the chosen sample's bytes in
 * the command's first image option when nothing was uploaded there.
 */
export function withSampleImage(
  spec: Pick<CommandSpec, 'options'>,
  values: OptionValues,
  images: ImageInputs,
): ImageInputs {
  const id = values[SAMPLE_OPTION];
  const photo = spec.options.find((o) => o.type === 'image');
  if (typeof id !== 'string' || !photo || images[photo.name]) return images;
  const bytes = readSample(id);
  return bytes ? { ...images, [photo.name]: bytes } : images;
}
