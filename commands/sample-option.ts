// The `sample` option of every command that reads a photo: one of the sample
// photos shipped in samples/ (licences in samples/SOURCES.md), so that someone
// without a suitable photo at hand can still try the command on Discord, Slack,
// the CLI or the API. Core reads the sample's bytes when no photo was attached.

import { SAMPLES } from '../src/samples/index.js';
import type { OptionSpec, StringOption } from './spec.js';

/** The option's canonical name (also the CLI flag `--sample` and the Slack flag). */
export const SAMPLE_OPTION = 'sample';

const ids = SAMPLES.map((s) => s.id);
const list = ids.join(', ');
/** What a chat menu shows for each sample (its title), rather than its id. */
const titles = (lang: 'es' | 'en') => Object.fromEntries(SAMPLES.map((s) => [s.id, s.title[lang]]));

/** Appended last to the options of the commands whose spec has an image option. */
export const sampleOption = {
  name: SAMPLE_OPTION,
  type: 'string',
  maxLength: 32,
  choices: ids,
  texts: {
    'en-US': {
      name: 'sample',
      description: `No photo at hand? Use a sample one: ${list}`,
      label: 'Or a sample photo',
      choices: titles('en'),
    },
    'es-ES': {
      name: 'ejemplo',
      description: `¿No tienes una foto? Usa una de ejemplo: ${list}`,
      label: 'O una foto de ejemplo',
      choices: titles('es'),
    },
    'es-419': {
      name: 'ejemplo',
      description: `¿No tenés una foto? Usá una de ejemplo: ${list}`,
      label: 'O una foto de ejemplo',
      choices: titles('es'),
    },
  },
} as const satisfies StringOption;

/**
 * Whether a platform must insist on an upload for this option: a required photo
 * stops being so when the command also takes a sample (a photo OR a sample).
 */
export function uploadRequired(o: OptionSpec, options: readonly OptionSpec[]): boolean {
  return Boolean(o.required) && !(o.type === 'image' && options.some((x) => x.name === SAMPLE_OPTION));
}
