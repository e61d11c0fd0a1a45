import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import type { ModelFile } from './manifest.js';

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

/** Path of an already-present file (its size and sha256 are checked by the caller), or undefined. */
export function locateFile(dirs: ModelDirs, file: ModelFile): string | undefined {
  for (const dir of [dirs.local, dirs.cache]) {
    if (!dir) continue;
    const p = path.join(dir, file.path);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Path a file is downloaded to. */
export function cachePath(dirs: ModelDirs, file: ModelFile): string {
  return path.join(dirs.cache, file.path);
}
