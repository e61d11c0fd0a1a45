// An exclusive lock between threads and processes on one machine: a file created with O_EXCL.
// Worker threads (and worker processes) each have their own registry, so the in-process
// single-flight no longer stops two of them from downloading the same model at once.
import { closeSync, openSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { threadId } from 'node:worker_threads';

export interface FileLockOptions {
  /** A lock file not refreshed for this long belongs to a holder that died: it is taken over. */
  staleMs: number;
  /** How often a waiter looks again. */
  pollMs?: number;
  signal?: AbortSignal;
  /** Called at every poll while another holder has the lock (e.g. to report its progress). */
  onWait?: () => void;
}

function tryCreate(file: string): boolean {
  try {
    const fd = openSync(file, 'wx');
    writeSync(fd, JSON.stringify({ pid: process.pid, thread: threadId, host: hostname(), at: Date.now() }));
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Runs `fn` holding `file`; `waited` tells it whether another holder went first (its work may
 * now be done). The holder refreshes the file's time while it works, so a waiter tells a slow
 * holder from a dead one (killed, out of memory) and takes the lock over after `staleMs`.
 */
export async function withFileLock<T>(
  file: string,
  opts: FileLockOptions,
  fn: (waited: boolean) => Promise<T>,
): Promise<T> {
  let waited = false;
  while (!tryCreate(file)) {
    waited = true;
    const st = statSync(file, { throwIfNoEntry: false });
    if (st && Date.now() - st.mtimeMs > opts.staleMs) {
      // Only one waiter removes it: the others find it gone or fresh again.
      rmSync(file, { force: true });
      continue;
    }
    opts.signal?.throwIfAborted();
    opts.onWait?.();
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
  }
  const refresh = setInterval(
    () => {
      try {
        const now = new Date();
        utimesSync(file, now, now);
      } catch {
        // Removed by a waiter that thought us dead: our work is still valid, it just is not exclusive any more.
      }
    },
    Math.max(50, Math.min(1_000, opts.staleMs / 4)),
  );
  refresh.unref();
  try {
    return await fn(waited);
  } finally {
    clearInterval(refresh);
    rmSync(file, { force: true });
  }
}
