// Sample photos shipped in samples/ (licences in samples/SOURCES.md): the web
// playground's examples, `cli --sample`, tests. Small JPEGs, read on demand.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Lang } from '../i18n/locale.js';

export const SAMPLES_DIR = path.resolve(import.meta.dirname, '../../samples');

export interface Sample {
  id: string;
  file: string;
  title: Record<Lang, string>;
  credit: string;
  licence: string;
}

export const SAMPLES: readonly Sample[] = [
  {
    id: 'astronaut',
    file: 'astronaut.jpg',
    title: { en: 'Astronaut Eileen Collins', es: 'La astronauta Eileen Collins' },
    credit: 'NASA',
    licence: 'public domain',
  },
  {
    id: 'camera',
    file: 'camera.jpg',
    title: { en: 'Photographer (black and white)', es: 'Fotógrafo (blanco y negro)' },
    credit: 'Lav Varshney',
    licence: 'CC0',
  },
  {
    id: 'coffee',
    file: 'coffee.jpg',
    title: { en: 'A cup of coffee', es: 'Una taza de café' },
    credit: 'Rachel Michetti',
    licence: 'CC0',
  },
  {
    id: 'chelsea',
    file: 'chelsea.jpg',
    title: { en: 'Chelsea the cat', es: 'Chelsea, la gata' },
    credit: 'Stefan van der Walt',
    licence: 'CC0',
  },
];

export function findSample(id: string): Sample | undefined {
  return SAMPLES.find((s) => s.id === id);
}

const cache = new Map<string, Buffer>();

/** The sample's bytes (cached: they are small and read often by the playground). */
export function readSample(id: string): Buffer | undefined {
  const s = findSample(id);
  if (!s) return undefined;
  let bytes = cache.get(id);
  if (!bytes) {
    bytes = readFileSync(path.join(SAMPLES_DIR, s.file));
    cache.set(id, bytes);
  }
  return bytes;
}
