import { downloadFile, ChecksumError, matches } from './download.js';
import { cachePath, locateFile, type ModelDirs } from './files.js';
import { HubClient } from './hub.js';
import type { UrlFile } from './manifest.js';

export { ChecksumError };

export interface PullProgress {
  file: string;
  received: number;
  total: number;
}
export interface PullOptions {
  /** Replaces the origin of each file's URL: `${mirror}/${file.path}` (an offline or in-house mirror). */
  mirror?: string;
  /** Re-download even when the file is present. */
  force?: boolean;
  onProgress?: (p: PullProgress) => void;
  signal?: AbortSignal;
  stallMs?: number;
}
export type PullOutcome = 'present' | 'downloaded' | 'resumed';

const plain = new HubClient();

/**
 * One non-hub file (its sha256 in the manifest decides) into the cache unless
 * already present; an interrupted `.part` is continued with a Range request.
 */
export async function pullFile(
  dirs: ModelDirs,
  file: UrlFile,
  opts: PullOptions = {},
): Promise<{ path: string; outcome: PullOutcome }> {
  const dest = cachePath(dirs, file);
  const existing = opts.force ? undefined : locateFile(dirs, file);
  const described = {
    label: file.path,
    url: opts.mirror ? `${opts.mirror.replace(/\/+$/, '')}/${file.path}` : file.url,
    dest,
    size: file.size,
    sha256: file.sha256,
  };
  if (existing) {
    if (await matches(existing, described)) return { path: existing, outcome: 'present' };
    // A damaged file in the read-only local folder is the admin's to replace; one in our cache we fetch again.
    if (existing !== dest) throw new ChecksumError(existing, file.sha256, 'a different file');
  }
  const got = await downloadFile(plain, described, {
    signal: opts.signal,
    stallMs: opts.stallMs,
    onBytes: (received) => opts.onProgress?.({ file: file.path, received, total: file.size ?? 0 }),
  });
  // Fetched by another process while this one waited for it: present, as far as this pull goes.
  return { path: dest, outcome: got === 'shared' ? 'present' : got };
}
