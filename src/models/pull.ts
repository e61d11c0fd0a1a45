import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { cachePath, locateFile, sha256File, type ModelDirs } from './files.js';
import type { ModelEntry, ModelFile } from './manifest.js';

export interface PullProgress {
  file: string;
  received: number;
  total: number;
}
export interface PullOptions {
  /** Replaces the origin of each file's URL: `${mirror}/${file.path}` (an offline or in-house mirror). */
  mirror?: string;
  /** Re-download even when a file of the right size is present. */
  force?: boolean;
  onProgress?: (p: PullProgress) => void;
  signal?: AbortSignal;
}
export type PullOutcome = 'present' | 'downloaded' | 'resumed';

export class ChecksumError extends Error {
  constructor(readonly file: string, readonly expected: string, readonly actual: string) {
    super(`sha256 mismatch for ${file}: expected ${expected}, got ${actual}`);
  }
}

function urlOf(file: ModelFile, mirror?: string): string {
  return mirror ? `${mirror.replace(/\/+$/, '')}/${file.path}` : file.url;
}

/**
 * Downloads one file into the cache unless it is already present. A partial
 * `.part` file from an interrupted run is continued with an HTTP Range request;
 * the result is only moved into place once its sha256 matches the manifest.
 */
export async function pullFile(dirs: ModelDirs, file: ModelFile, opts: PullOptions = {}): Promise<{ path: string; outcome: PullOutcome }> {
  const dest = cachePath(dirs, file);
  const existing = opts.force ? undefined : locateFile(dirs, file);
  if (existing) {
    const actual = await sha256File(existing);
    if (actual === file.sha256) return { path: existing, outcome: 'present' };
    // A damaged file in the read-only local folder is the admin's to replace; one in our cache we fetch again.
    if (existing !== dest) throw new ChecksumError(existing, file.sha256, actual);
  }

  const part = `${dest}.part`;
  mkdirSync(path.dirname(dest), { recursive: true });
  let offset = existsSync(part) ? statSync(part).size : 0;
  if (offset > file.size) {
    rmSync(part);
    offset = 0;
  }

  offset = await download(urlOf(file, opts.mirror), part, offset, file.size, file.path, opts);
  const actual = await sha256File(part);
  if (actual !== file.sha256) {
    rmSync(part, { force: true });
    throw new ChecksumError(file.path, file.sha256, actual);
  }
  renameSync(part, dest);
  return { path: dest, outcome: offset > 0 ? 'resumed' : 'downloaded' };
}

/**
 * Streams `url` into `part`, continuing from `offset` with a Range request when
 * the server allows it; returns the offset it really continued from (0 when it
 * started over). Every chunk is on disk before the next is read, so an
 * interrupted download leaves exactly what arrived for the next run.
 */
export async function download(url: string, part: string, offset: number, total: number, label: string, opts: Pick<PullOptions, 'onProgress' | 'signal'> = {}): Promise<number> {
  const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
  const res = await fetch(url, { headers, signal: opts.signal, redirect: 'follow' });
  // Already complete from an earlier run; only the checksum is left to do.
  if (res.status === 416 && offset === total) return offset;
  if (!res.ok || !res.body) throw new Error(`Download of ${label} failed: HTTP ${res.status}`);
  const resumed = res.status === 206 && offset > 0;
  let received = resumed ? offset : 0;
  const fh = await open(part, resumed ? 'a' : 'w');
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      await fh.write(chunk);
      received += chunk.length;
      opts.onProgress?.({ file: label, received, total });
    }
  } finally {
    await fh.close();
  }
  return resumed ? offset : 0;
}

export async function pullModel(dirs: ModelDirs, model: ModelEntry, opts: PullOptions = {}) {
  const results = [];
  for (const file of model.files) results.push({ file: file.path, ...(await pullFile(dirs, file, opts)) });
  return results;
}
