import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { SinapsisError } from '../errors.js';
import type { UrlFile } from './manifest.js';

/** Where model files are looked for: the local folder first (used as is), then the download cache. */
export interface ModelDirs {
  local?: string;
  cache: string;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * 'file', 'dir' (a path where a file should be: the admin's mistake, reported
 * as a damaged model rather than an obscure read error) or undefined.
 */
export function kindOf(p: string): 'file' | 'dir' | 'other' | undefined {
  const st = statSync(p, { throwIfNoEntry: false });
  return st ? (st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other') : undefined;
}

/** Path of an already-present file (its size and sha256 are checked by the caller), or undefined. */
export function locateFile(dirs: ModelDirs, file: Pick<UrlFile, 'path'>, model = file.path): string | undefined {
  for (const dir of [dirs.local, dirs.cache]) {
    if (!dir) continue;
    const p = path.join(dir, file.path);
    const kind = kindOf(p);
    if (kind === 'dir') throw new SinapsisError('model_corrupt', { model, reason: `${p} is a folder, not a file` });
    // A FIFO, socket or device would block the read for ever (or never end): refuse it before opening it.
    if (kind === 'other') throw new SinapsisError('model_corrupt', { model, reason: `${p} is not a regular file` });
    if (kind === 'file') return p;
  }
  return undefined;
}

/** Path a file is downloaded to. */
export function cachePath(dirs: ModelDirs, file: Pick<UrlFile, 'path'>): string {
  return path.join(dirs.cache, file.path);
}
