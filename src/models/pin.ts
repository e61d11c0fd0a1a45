import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { sha256File } from './files.js';
import type { ModelEntry, PendingEntry } from './manifest.js';
import { download, type PullOptions } from './pull.js';

/**
 * Downloads every file of a pending entry into `dir`, records each file's
 * sha256 and size, and returns the entry as a regular manifest model. Run by a
 * maintainer with internet; users' downloads are then verified against it.
 */
export async function pinEntry(dir: string, entry: PendingEntry, opts: Pick<PullOptions, 'onProgress' | 'signal'> = {}): Promise<ModelEntry> {
  if (!entry.files.length) throw new Error(`${entry.id} has no downloadable files yet: ${entry.blocked}`);
  const files = [];
  for (const file of entry.files) {
    const dest = path.join(dir, file.path);
    const part = `${dest}.part`;
    mkdirSync(path.dirname(dest), { recursive: true });
    rmSync(part, { force: true });
    await download(file.url, part, 0, 0, file.path, opts);
    const size = statSync(part).size;
    if (size === 0) throw new Error(`${file.path}: the server sent an empty file`);
    const sha256 = await sha256File(part);
    renameSync(part, dest);
    files.push({ ...file, sha256, size });
  }
  const { why: _why, blocked: _blocked, ...model } = entry;
  return { ...model, files };
}
