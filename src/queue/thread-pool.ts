// Runs jobs in worker threads, so decoding, inference, drawing and encoding never block the
// event loop that talks to Discord, Slack and the web. The queue (MemoryQueue, or a BullMQ
// worker) still decides what runs when; the pool only runs what it is handed.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/index.js';
import type { JobPayload } from '../core/processor.js';
import { SinapsisError } from '../errors.js';
import type { TaskResult } from '../tasks/types.js';
import { asBuffer, type FromWorker, fromWire, type ToWorker, toWire } from './thread-messages.js';
import type { WorkerInit } from './thread-worker.js';
import type { JobProgress, Processor } from './types.js';

export interface PoolLogger {
  info(extra: object, msg: string): void;
  warn(extra: object, msg: string): void;
  error(extra: object, msg: string): void;
}

export interface ThreadPoolOptions {
  /** Worker threads (each runs one job at a time). Default: the config's SINAPSIS_CONCURRENCY. */
  size?: number;
  /** Modules each worker imports before its first job (tests register stand-in tasks this way). */
  preload?: string[];
  /**
   * After a running job is stopped (cancel, timeout, shutdown), how long its worker may take to
   * notice. Past it, a worker whose thread is busy computing (an inference call cannot be
   * interrupted) is terminated and replaced; in one idle waiting on I/O the job lingers (see Slot).
   */
  stopGraceMs?: number;
}

export interface WorkerMemory {
  /** This thread's own JavaScript heap and the memory its ArrayBuffers and native objects declare. */
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export interface ThreadPool {
  readonly size: number;
  /** The processor a queue hands jobs to: runs one job in the next free worker thread. */
  readonly run: Processor<JobPayload, TaskResult>;
  /** Starts every worker; resolves once each has loaded its code and can take a job at once. */
  start(): Promise<void>;
  /** Starts every worker and loads these models in each (and in any worker started later). */
  warm(models: readonly string[]): Promise<void>;
  /** Per-thread memory, asked of each live worker. */
  memory(): Promise<WorkerMemory[]>;
  /** Ends every job still running or waiting with `shutting_down` and terminates the workers. */
  close(): Promise<void>;
}

interface PoolJob {
  id: number;
  payload: JobPayload;
  report: (p: JobProgress) => void;
  resolve(r: TaskResult): void;
  reject(e: unknown): void;
  signal: AbortSignal;
  slot?: Slot;
  killTimer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  job?: PoolJob;
  /** Warm-up, memory and other requests waiting for this worker's reply. */
  replies: Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>;
  ready: boolean;
  gone: boolean;
  /**
   * Stopped jobs whose work goes on only waiting for I/O (a stalled download, shared with later
   * requests through the disk), like a stopped job in the adapter's thread: they hold no slot (the
   * worker takes its next job) and settle when that work does.
   */
  lingering: Set<PoolJob>;
}

const ENTRY = new URL('./thread-entry.mjs', import.meta.url);
const WORKER = new URL('./thread-worker.ts', import.meta.url).href;
/** How long a worker has to answer a ping before its thread counts as busy computing. */
const PING_MS = 500;

/**
 * The parent's node options for a worker, minus module preloads: Node would run an inherited
 * `--import ./x.ts` before the worker can read TypeScript. Those modules (say, a command registered
 * before the CLI starts) are imported by the worker after thread-entry.mjs has set TypeScript up;
 * tsx's own are dropped, thread-entry.mjs does that part.
 */
export function workerArgs(argv: readonly string[]): { execArgv: string[]; imports: string[] } {
  const execArgv: string[] = [];
  const imports: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--(import|require|loader|experimental-loader)(?:=(.*))?$/.exec(argv[i]!);
    if (!m) {
      execArgv.push(argv[i]!);
      continue;
    }
    const value = m[2] ?? argv[++i] ?? '';
    if (/(^|[\\/])tsx([\\/]|$)/.test(value)) continue;
    if (m[1] === 'import') imports.push(/^\.{0,2}\//.test(value) ? pathToFileURL(path.resolve(value)).href : value);
    else execArgv.push(`--${m[1]}`, value);
  }
  return { execArgv, imports };
}

export function createThreadPool(config: Config, logger: PoolLogger, opts: ThreadPoolOptions = {}): ThreadPool {
  const size = Math.max(1, opts.size ?? config.SINAPSIS_CONCURRENCY);
  const stopGraceMs = opts.stopGraceMs ?? 1_000;
  const slots: Slot[] = [];
  const waiting: PoolJob[] = [];
  const warmed = new Set<string>();
  let seq = 0;
  let closed = false;

  const send = (slot: Slot, msg: ToWorker) => slot.worker.postMessage(msg);
  const live = () => slots.filter((s) => !s.gone);

  function ask<T>(slot: Slot, msg: (id: number) => ToWorker): Promise<T> {
    const id = ++seq;
    return new Promise<T>((resolve, reject) => {
      slot.replies.set(id, { resolve: resolve as (v: unknown) => void, reject });
      send(slot, msg(id));
    });
  }

  /** Workers start when a job needs one (or on `warm`); one that dies is not restarted until a job needs it. */
  function spawn(): Slot {
    const { execArgv, imports } = workerArgs(process.execArgv);
    const init: WorkerInit = { entry: WORKER, config, preload: [...imports, ...(opts.preload ?? [])] };
    const worker = new Worker(ENTRY, { workerData: init, execArgv, name: 'sinapsis-task' });
    const slot: Slot = { worker, replies: new Map(), ready: false, gone: false, lingering: new Set() };
    worker.on('message', (m: FromWorker) => onMessage(slot, m));
    worker.on('error', (err) => onGone(slot, err));
    worker.on('exit', (code) => onGone(slot, new Error(`worker thread exited with code ${code}`)));
    if (warmed.size) void ask(slot, (id) => ({ type: 'warm', id, models: [...warmed] })).catch(() => undefined);
    return slot;
  }

  function onMessage(slot: Slot, m: FromWorker) {
    if (m.type === 'ready') slot.ready = true;
    else if (m.type === 'log') logger[m.level]({ ...m.extra, thread: slot.worker.threadId }, m.msg);
    else if (m.type === 'reply') {
      const r = slot.replies.get(m.id);
      slot.replies.delete(m.id);
      if (m.error) r?.reject(fromWire(m.error));
      else r?.resolve(m.value);
    } else {
      const job = slot.job?.id === m.id ? slot.job : [...slot.lingering].find((j) => j.id === m.id);
      if (!job) return;
      if (m.type === 'progress') {
        if (!job.signal.aborted) job.report(m.progress);
      } else if (m.type === 'done') {
        const result = { ...m.result, images: m.result.images.map((i) => ({ ...i, data: asBuffer(i.data) })) };
        settle(job, () => job.resolve(result));
      } else if (m.type === 'error') {
        settle(job, () => job.reject(fromWire(m.error)));
      }
    }
  }

  /** A worker crashed, ran out of memory or was terminated: its job fails clearly and a fresh worker takes its place. */
  function onGone(slot: Slot, err: Error) {
    if (slot.gone) return;
    slot.gone = true;
    void slot.worker.terminate();
    for (const r of slot.replies.values()) r.reject(new SinapsisError('worker_crashed', {}, { cause: err }));
    slot.replies.clear();
    for (const job of [...(slot.job ? [slot.job] : []), ...slot.lingering]) {
      if (!job.signal.aborted) logger.error({ err: err.message }, 'a worker thread died while running a job');
      settle(job, () =>
        job.reject(job.signal.aborted ? job.signal.reason : new SinapsisError('worker_crashed', {}, { cause: err })),
      );
    }
    // The next job that needs a worker starts a fresh one.
    const i = slots.indexOf(slot);
    if (i >= 0) slots.splice(i, 1);
    dispatch();
  }

  function settle(job: PoolJob, how: () => void) {
    clearTimeout(job.killTimer);
    const slot = job.slot;
    if (slot && slot.job === job) slot.job = undefined;
    slot?.lingering.delete(job);
    job.slot = undefined;
    how();
    dispatch();
  }

  /** Past the grace of a stopped job: terminate a worker busy computing; in one that is waiting, the job lingers. */
  async function overdue(slot: Slot, job: PoolJob) {
    const alive = await Promise.race([
      ask(slot, (id) => ({ type: 'memory', id })).then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((r) => setTimeout(() => r(false), PING_MS)),
    ]);
    if (slot.job !== job || slot.gone) return;
    if (!alive) return onGone(slot, new Error('stopped job did not end in time'));
    slot.job = undefined;
    slot.lingering.add(job);
    dispatch();
  }

  function dispatch() {
    while (waiting.length) {
      let slot = live().find((s) => !s.job);
      if (!slot && live().length < size && !closed) slots.push((slot = spawn()));
      if (!slot) return;
      const job = waiting.shift()!;
      job.slot = slot;
      slot.job = job;
      // Copied, not transferred: the caller may keep the upload (to re-run it after a restart).
      send(slot, { type: 'run', id: job.id, payload: job.payload });
    }
  }

  const run: Processor<JobPayload, TaskResult> = (payload, signal, report) =>
    new Promise<TaskResult>((resolve, reject) => {
      if (closed) return reject(new SinapsisError('shutting_down'));
      if (signal.aborted) return reject(signal.reason);
      const job: PoolJob = { id: ++seq, payload, report, resolve, reject, signal };
      signal.addEventListener(
        'abort',
        () => {
          const slot = job.slot;
          if (!slot) {
            const i = waiting.indexOf(job);
            if (i >= 0) waiting.splice(i, 1);
            return reject(signal.reason);
          }
          send(slot, { type: 'abort', id: job.id, reason: toWire(signal.reason) });
          job.killTimer = setTimeout(() => {
            if (slot.job === job) void overdue(slot, job);
          }, stopGraceMs);
        },
        { once: true },
      );
      waiting.push(job);
      dispatch();
    });

  return {
    size,
    run,
    async start() {
      while (!closed && live().length < size) slots.push(spawn());
      await Promise.all(live().map((s) => ask(s, (id) => ({ type: 'memory', id }))));
    },
    async warm(models) {
      // Workers start on demand (a CLI run needs one, `models status` none); warming starts them all.
      while (!closed && live().length < size) slots.push(spawn());
      for (const m of models) warmed.add(m);
      await Promise.all(live().map((s) => ask(s, (id) => ({ type: 'warm', id, models: [...models] }))));
    },
    async memory() {
      return Promise.all(live().map((s) => ask<WorkerMemory>(s, (id) => ({ type: 'memory', id }))));
    },
    async close() {
      if (closed) return;
      closed = true;
      const reason = new SinapsisError('shutting_down');
      for (const job of waiting.splice(0)) job.reject(reason);
      for (const slot of slots) {
        slot.gone = true;
        for (const job of [...(slot.job ? [slot.job] : []), ...slot.lingering]) settle(job, () => job.reject(reason));
        for (const r of slot.replies.values()) r.reject(reason);
      }
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
