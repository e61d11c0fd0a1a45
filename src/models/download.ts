// Streams model files to disk: hashed while they arrive, resumed with Range
// after an interruption, abandoned when the server stalls, moved into place
// only when size and hash match what the hub (or the manifest) states.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { open, statfs } from 'node:fs/promises';
import path from 'node:path';
import { withFileLock } from './file-lock.js';
import { type HubClient, HubError } from './hub.js';

export interface DownloadFile {
  /** What people read in messages: `Xenova/opus-mt-es-en/onnx/encoder_model_quantized.onnx`. */
  label: string;
  url: string;
  dest: string;
  size?: number;
  sha256?: string;
  /** Git blob sha1 (small hub files): sha1("blob <size>\0" + bytes); needs `size`. */
  sha1?: string;
}

export class ChecksumError extends Error {
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`hash mismatch for ${file}: expected ${expected}, got ${actual}; the file was deleted`);
    this.name = 'ChecksumError';
  }
}
export class DiskSpaceError extends Error {
  constructor(
    readonly dir: string,
    readonly needed: number,
    readonly free: number,
  ) {
    super(`not enough disk space in ${dir}: ${mb(needed)} MB needed, ${mb(free)} MB free`);
    this.name = 'DiskSpaceError';
  }
}
export class StalledError extends Error {
  constructor(
    readonly file: string,
    readonly seconds: number,
    readonly host: string,
  ) {
    super(`the download of ${file} stalled (no data from ${host} for ${seconds} s); run it again to resume`);
    this.name = 'StalledError';
  }
}

/** Bytes gathered before one write to disk. */
const WRITE_BYTES = 1024 * 1024;

export const mb = (bytes: number) => Math.max(1, Math.round(bytes / 1e6));
/** Room kept free besides the files themselves (the database, logs, other downloads). */
const DISK_MARGIN = 50 * 1024 * 1024;

/** Free bytes where `dir` is (or would be created). */
export async function freeBytes(dir: string): Promise<number> {
  let d = path.resolve(dir);
  while (!existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  const s = await statfs(d);
  return s.bavail * s.bsize;
}

export async function ensureDiskSpace(dir: string, needed: number): Promise<void> {
  if (needed <= 0) return;
  const free = await freeBytes(dir);
  if (free < needed + DISK_MARGIN) throw new DiskSpaceError(dir, needed + DISK_MARGIN, free);
}

function hashers(f: DownloadFile) {
  const h: { sha256?: Hash; sha1?: Hash } = {};
  if (f.sha256) h.sha256 = createHash('sha256');
  if (f.sha1 && f.size !== undefined) h.sha1 = createHash('sha1').update(`blob ${f.size}\0`);
  return h;
}

/** Is the file at `file` the one described (size, then hash)? */
export async function matches(file: string, f: DownloadFile): Promise<boolean> {
  const st = statSync(file, { throwIfNoEntry: false });
  if (!st?.isFile() || (f.size !== undefined && st.size !== f.size)) return false;
  const h = hashers(f);
  for await (const chunk of createReadStream(file)) {
    h.sha256?.update(chunk as Buffer);
    h.sha1?.update(chunk as Buffer);
  }
  return (!h.sha256 || h.sha256.digest('hex') === f.sha256) && (!h.sha1 || h.sha1.digest('hex') === f.sha1);
}

export interface DownloadOptions {
  signal?: AbortSignal;
  /** No byte for this long → abandon (the .part file stays for a resume). */
  stallMs?: number;
  /** Bytes of this file now on disk (including what a resume started from). */
  onBytes?: (onDisk: number) => void;
}

/**
 * Downloads one file into place; 'resumed' when it continued an earlier `.part`, 'shared' when
 * another thread or process downloaded it meanwhile. One downloader per file on this machine: an
 * exclusive lock next to the `.part`; the others wait (seeing the `.part` grow) and then reuse it.
 */
export async function downloadFile(
  client: HubClient,
  f: DownloadFile,
  opts: DownloadOptions = {},
): Promise<'downloaded' | 'resumed' | 'shared'> {
  mkdirSync(path.dirname(f.dest), { recursive: true });
  const part = `${f.dest}.part`;
  return withFileLock(
    `${part}.lock`,
    {
      // A holder refreshes the lock every second at most; a dead one is given up on like a stalled server.
      staleMs: Math.max(2_000, opts.stallMs ?? 30_000),
      signal: opts.signal,
      onWait: () => opts.onBytes?.(statSync(part, { throwIfNoEntry: false })?.size ?? 0),
    },
    async (waited) => {
      // The first holder renames the file into place only once it is verified.
      const done = statSync(f.dest, { throwIfNoEntry: false });
      if (waited && done?.isFile() && (f.size === undefined || done.size === f.size)) {
        opts.onBytes?.(done.size);
        return 'shared';
      }
      return downloadUnlocked(client, f, opts);
    },
  );
}

async function downloadUnlocked(
  client: HubClient,
  f: DownloadFile,
  opts: DownloadOptions,
): Promise<'downloaded' | 'resumed'> {
  const part = `${f.dest}.part`;
  let offset = statSync(part, { throwIfNoEntry: false })?.size ?? 0;
  if (f.size !== undefined && offset > f.size) {
    rmSync(part);
    offset = 0;
  }
  let h = hashers(f);
  if (offset > 0)
    for await (const chunk of createReadStream(part))
      h.sha256?.update(chunk as Buffer), h.sha1?.update(chunk as Buffer);
  const resumedFrom = offset;
  opts.onBytes?.(offset);

  if (f.size === undefined || offset < f.size) {
    const stallMs = opts.stallMs ?? 30_000;
    const stall = new AbortController();
    // One timer checking the time of the last byte: cheaper than re-arming a timer per chunk.
    let lastByte = Date.now();
    const timer = setInterval(
      () => Date.now() - lastByte >= stallMs && stall.abort(),
      Math.min(1000, Math.max(50, stallMs / 4)),
    );
    const kick = () => {
      lastByte = Date.now();
    };
    const signal = opts.signal ? AbortSignal.any([opts.signal, stall.signal]) : stall.signal;
    const host = new URL(f.url).host;
    try {
      const { res, url: finalUrl } = await client.download(f.url, {
        headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
        signal,
      });
      const status = res.statusCode ?? 0;
      if (status === 416 && offset > 0 && offset === f.size) {
        res.resume();
      } else {
        if (status < 200 || status >= 300) {
          res.resume();
          throw new HubError(
            status === 404 ? 'file_not_found' : 'http',
            `HTTP ${status} from ${new URL(finalUrl).host} for ${f.label}`,
            host,
            status,
          );
        }
        if (status !== 206 && offset > 0) {
          // The server ignored the Range: start over.
          offset = 0;
          h = hashers(f);
        }
        let onDisk = offset;
        // Chunks are gathered into large writes, one write in flight while the next bytes arrive
        // (a write per network chunk costs more than the network itself); whatever arrived is
        // written before the file is closed, even on an interruption, so a resume loses nothing.
        const fh = await open(part, offset > 0 ? 'a' : 'w');
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        let writing: Promise<unknown> = Promise.resolve();
        const flush = async () => {
          if (!pendingBytes) return;
          const bufs = pending;
          const n = pendingBytes;
          pending = [];
          pendingBytes = 0;
          await writing;
          writing = fh.writev(bufs).then(() => {
            onDisk += n;
            opts.onBytes?.(onDisk);
          });
        };
        try {
          for await (const chunk of res as AsyncIterable<Buffer>) {
            kick();
            h.sha256?.update(chunk);
            h.sha1?.update(chunk);
            pending.push(chunk);
            pendingBytes += chunk.length;
            if (pendingBytes >= WRITE_BYTES) await flush();
          }
        } finally {
          await flush().catch(() => undefined);
          await writing.catch(() => undefined);
          await fh.close();
        }
      }
    } catch (err) {
      if (stall.signal.aborted && !opts.signal?.aborted)
        throw new StalledError(f.label, Math.round(stallMs / 1000), host);
      if (err instanceof HubError || opts.signal?.aborted) throw err;
      // A connection cut mid-body: what arrived stays in .part for the next try.
      throw new HubError(
        'network',
        `the download of ${f.label} from ${host} was interrupted (${(err as Error).message}); run it again to resume`,
        host,
        undefined,
        { why: 'interrupted' },
      );
    } finally {
      clearInterval(timer);
    }
  }

  const size = statSync(part).size;
  if (f.size !== undefined && size !== f.size) {
    rmSync(part, { force: true });
    throw new ChecksumError(f.label, `${f.size} bytes`, `${size} bytes`);
  }
  for (const [kind, expected] of [
    ['sha256', f.sha256],
    ['sha1', f.sha1],
  ] as const) {
    const hash = h[kind];
    if (!hash || !expected) continue;
    const actual = hash.digest('hex');
    if (actual !== expected) {
      rmSync(part, { force: true });
      throw new ChecksumError(f.label, expected, actual);
    }
  }
  renameSync(part, f.dest);
  return resumedFrom > 0 && offset > 0 ? 'resumed' : 'downloaded';
}

export interface ModelProgress {
  bytes: number;
  total: number;
}

/**
 * One download per model however many requests want it: later callers join
 * the one in flight and see the same progress; a failure is forgotten so the
 * next request tries again (and resumes).
 */
export class SingleFlight {
  private readonly flights = new Map<
    string,
    { promise: Promise<unknown>; listeners: Set<(p: ModelProgress) => void>; last?: ModelProgress }
  >();

  run<T>(
    key: string,
    work: (emit: (p: ModelProgress) => void) => Promise<T>,
    listener?: (p: ModelProgress) => void,
  ): Promise<T> {
    let flight = this.flights.get(key);
    if (!flight) {
      const listeners = new Set<(p: ModelProgress) => void>();
      const f: { promise: Promise<unknown>; listeners: typeof listeners; last?: ModelProgress } = {
        promise: Promise.resolve(),
        listeners,
      };
      f.promise = work((p) => {
        f.last = p;
        for (const l of listeners) {
          try {
            l(p);
          } catch {
            // A listener (an adapter's progress edit) must not break the download.
          }
        }
      }).finally(() => this.flights.delete(key));
      flight = f;
      this.flights.set(key, flight);
    }
    if (listener) {
      flight.listeners.add(listener);
      if (flight.last) listener(flight.last);
      const l = listener;
      void flight.promise.then(
        () => flight!.listeners.delete(l),
        () => flight!.listeners.delete(l),
      );
    }
    return flight.promise as Promise<T>;
  }

  inFlight(key: string): ModelProgress | undefined {
    return this.flights.get(key)?.last;
  }
}
