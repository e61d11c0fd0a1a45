import { type Job, Worker } from 'bullmq';
import { asSinapsisError, SinapsisError } from '../errors.js';
import { blobKeys, getBlobs, putBlobs } from './blobs.js';
import { cancelChannel, cancelKey, encodeError, QUEUE_NAME } from './bullmq-protocol.js';
import { openRedis } from './redis.js';
import type { JobProgress, Processor } from './types.js';

export interface BullmqWorkerOptions {
  url: string;
  /** Key prefix shared with the adapters (SINAPSIS_REDIS_PREFIX). */
  prefix: string;
  /** Jobs this process runs at once. */
  concurrency: number;
  timeoutMs: number;
  /** How long result images stay in Redis for their adapter to fetch (SINAPSIS_REDIS_TTL_S). */
  ttlMs: number;
  /**
   * Lock of a running job and the stalled-job check interval: a worker killed mid-job has its job
   * taken up again by another worker within about twice this. Default 30 s.
   */
  stallMs?: number;
  /** After a job is stopped, how long its work may take to notice before its slot is given back. */
  stopGraceMs?: number;
  /** Streamed progress is sent at most this often (the latest wins); default 100 ms. */
  progressEveryMs?: number;
  /** Where a task's unexpected failure is logged (its user sees `internal`). */
  onError?: (err: unknown, jobId: string) => void;
}

export interface BullmqWorker {
  /** Jobs running in this process, and stopped ones whose work never settled. */
  stats(): { running: number; stuck: number };
  /**
   * Stops taking jobs and waits at most `graceMs` for the running ones; any still running are left
   * locked, so another worker takes them up once the lock expires (a stalled job, retried once).
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * A BullMQ worker that runs queued jobs with `processor` (the seam: createProcessor today, the
 * worker-thread pool tomorrow). Images arrive and leave by reference; a job fails with its
 * SinapsisError (never retried: a bad photo stays bad), and only a worker that dies mid-job makes
 * BullMQ run it again elsewhere (maxStalledCount 1), then fail it with `worker_lost`.
 */
export function startBullmqWorker<P, R>(processor: Processor<P, R>, opts: BullmqWorkerOptions): BullmqWorker {
  const redis = openRedis(opts.url);
  const sub = openRedis(opts.url, { blocking: true });
  const controllers = new Map<string, AbortController>();
  let running = 0;
  let stuck = 0;
  const stallMs = opts.stallMs ?? 30_000;
  const grace = opts.stopGraceMs ?? Math.min(1_000, opts.timeoutMs);
  const channel = cancelChannel(opts.prefix);
  void sub.subscribe(channel).catch(() => undefined);
  sub.on('message', (ch: string, id: string) => {
    if (ch === channel) controllers.get(id)?.abort(new SinapsisError('cancelled'));
  });

  async function handle(job: Job): Promise<unknown> {
    const id = job.id!;
    const abort = new AbortController();
    controllers.set(id, abort);
    running++;
    const seconds = Math.round(opts.timeoutMs / 1000);
    const timer = setTimeout(() => abort.abort(new SinapsisError('timeout', { seconds })), opts.timeoutMs);
    const report = throttle(
      (p: JobProgress) => job.updateProgress(p as object).catch(() => undefined),
      opts.progressEveryMs ?? 100,
    );
    const inputs = blobKeys(job.data?.payload);
    try {
      if (await redis.exists(cancelKey(opts.prefix, id))) throw new SinapsisError('cancelled');
      const payload = await getBlobs<P>(redis, job.data?.payload);
      const result = await untilStopped(
        Promise.resolve().then(() => processor(payload, abort.signal, report.send)),
        abort.signal,
        grace,
        () => stuck++,
        () => stuck--,
      );
      report.stop();
      const encoded = await putBlobs(redis, opts.prefix, result, opts.ttlMs);
      void dropBlobs(inputs);
      return encoded;
    } catch (err) {
      report.stop();
      const e = asSinapsisError(err);
      if (e.code === 'internal') opts.onError?.(err, id);
      void dropBlobs(inputs);
      // attempts: 1 on every job, so a task's own failure is final (not retried).
      throw new Error(encodeError(e));
    } finally {
      clearTimeout(timer);
      controllers.delete(id);
      running--;
    }
  }

  async function dropBlobs(keys: string[]) {
    if (keys.length) await redis.del(...keys).catch(() => undefined);
  }

  const workerRedis = openRedis(opts.url, { blocking: true });
  const worker = new Worker(QUEUE_NAME, handle, {
    connection: workerRedis,
    prefix: opts.prefix,
    concurrency: opts.concurrency,
    lockDuration: stallMs,
    stalledInterval: stallMs,
    maxStalledCount: 1,
  });
  // Connection losses are retried by BullMQ itself; nothing to crash on.
  worker.on('error', () => undefined);

  return {
    stats: () => ({ running, stuck }),
    async close(graceMs = 10_000) {
      let timer: NodeJS.Timeout | undefined;
      const done = worker.close();
      const inTime = await Promise.race([
        done.then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs))),
      ]);
      clearTimeout(timer);
      if (!inTime) await worker.close(true).catch(() => undefined);
      for (const c of [sub, redis, workerRedis]) c.disconnect();
    },
  };
}

/**
 * The work's own outcome; once it is stopped (timeout, cancel), at most `grace` more before the
 * slot is given back anyway. Work that never settles then counts as stuck until it does.
 */
function untilStopped<R>(
  work: Promise<R>,
  signal: AbortSignal,
  grace: number,
  onStuck: () => void,
  onUnstuck: () => void,
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    let given = false;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      timer = setTimeout(() => {
        given = true;
        onStuck();
        reject(signal.reason);
      }, grace);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work
      .then(
        (r) => {
          if (given) return onUnstuck();
          resolve(r);
        },
        (e) => {
          if (given) return onUnstuck();
          reject(signal.aborted ? signal.reason : e);
        },
      )
      .finally(() => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      });
  });
}

/** Streamed progress is cumulative (the text so far): sending the latest at most every `ms` loses nothing. */
function throttle<T>(fn: (v: T) => unknown, ms: number) {
  let last = 0;
  let pending: { v: T } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const flush = () => {
    timer = undefined;
    if (!pending || stopped) return;
    const { v } = pending;
    pending = undefined;
    last = Date.now();
    fn(v);
  };
  return {
    send(v: T) {
      if (stopped) return;
      pending = { v };
      if (timer) return;
      const wait = last + ms - Date.now();
      if (wait <= 0) flush();
      else timer = setTimeout(flush, wait);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
