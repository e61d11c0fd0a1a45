import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** Real weights and photos live outside the repo (../shared); SINAPSIS_MODELS_DIR points at them. */
export const MODELS_DIR = path.resolve(process.env.SINAPSIS_MODELS_DIR ?? path.join(ROOT, '../shared/models'));
export const DATA_DIR = path.resolve(MODELS_DIR, '../data');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** CI sets this so a missing asset fails instead of skipping. */
const STRICT = process.env.SINAPSIS_NO_SKIP === '1';

/**
 * A describe block that needs files outside the repo: it says what is missing
 * and skips, or fails under SINAPSIS_NO_SKIP=1.
 */
export function describeWith(name: string, required: readonly string[], fn: () => void) {
  const missing = required.filter((p) => !existsSync(p));
  if (missing.length === 0) return describe(name, fn);
  const why = `needs ${missing.join(', ')} (set SINAPSIS_MODELS_DIR to ../shared/models, install chromium)`;
  if (STRICT)
    return describe(name, () =>
      it(`has what it needs`, () => {
        throw new Error(why);
      }),
    );
  console.warn(`SKIPPED "${name}": ${why}`);
  return describe.skip(name, fn);
}

export const yunetFile = path.join(MODELS_DIR, 'yunet/yunet_n_640_640.onnx');
export const facesDir = path.join(DATA_DIR, 'faces-dlib');
