import { randomUUID } from 'node:crypto';
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { SinapsisError } from '../errors.js';
import { blobKeys, getBlobs, putBlobs } from './blobs.js';
import {
  cancelChannel,
  cancelKey,
  decodeError,
  decodeMeta,
  encodeMeta,
  type JobMeta,
  QUEUE_NAME,
} from './bullmq-protocol.js';
import { type BullmqWorker, startBullmqWorker } from './bullmq-worker.js';
import { openRedis, unavailable } from './redis.js';
import type { JobEvents, JobHandle, JobProgress, JobQueue, JobRequest, Processor, QueueStats } from './types.js';

export interface BullmqQueueOptions {
  url: string;
  /** Key prefix of every key (SINAPSIS_REDIS_PREFIX): several deployments, or test files, share one Redis. */
  prefix: string;
  maxWaiting: number;
  maxWaitingPerUser: number;
  timeoutMs: number;
  /** How long images and finished jobs stay in Redis (SINAPSIS_REDIS_TTL_S): a restarted adapter finds results this long. */
  ttlMs: number;
  /** Grace after a stop before a hung worker's job is given up here. */
  stopGraceMs?: number;
  /** Positions of this process's waiting jobs are re-read at least this often (and on every queue event). */
  refreshMs?: number;
}

interface Owned<R> {
  id: string;
  events: JobEvents;
  resolve(r: R): void;
  reject(e: unknown): void;
  state: 'waiting' | 'running' | 'done';
  position: number;
  /** In Redis (or attached to a job there): from then on a job missing from Redis finished unseen. */
  queued: boolean;
  /** When a running job's state was last read from Redis (events lost while Redis was away). */
  checkedAt: number;
  timer?: NodeJS.Timeout;
}

/** BullMQ's priorities run 1 (first) to 2^21 - 1. */
const MAX_PRIORITY = 2_097_151;
/** A finished job's result images are dropped this long after their adapter read them (not at once: a crash in between). */
const READ_BLOB_TTL_MS = 60_000;
/** How often a running job's state is read from Redis besides its events. */
const RECHECK_RUNNING_MS = 5_000;

/**
 * The job queue on Redis (BullMQ), seen from an adapter process exactly like MemoryQueue: bounds,
 * positions, progress, cancel, timeout, stats. The jobs run in workers (`npm run worker`, or
 * `runWorkers` here); each adapter process hears every queue event and keeps those of the jobs it
 * submitted. Fair share: a job's priority is 1 + its user's jobs waiting or running at submit
 * (counted in Redis, so every adapter agrees), so one user's burst queues behind others' single jobs.
 */
export class BullmqQueue<P, R> implements JobQueue<P, R> {
  private readonly redis: Redis;
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  /** QueueEvents reads with a blocking command: it needs a connection of its own. */
  private readonly eventsRedis: Redis;
  private readonly owned = new Map<string, Owned<R>>();
  private readonly ready: Promise<void>;
  private closed = false;
  private workers?: BullmqWorker;
  private refreshTimer?: NodeJS.Timeout;
  private refreshing = false;
  private refreshAgain = false;
  private readonly keys: {
    wait: string;
    prioritized: string;
    active: string;
    lock: string;
    job: (id: string) => string;
  };

  constructor(private readonly opts: BullmqQueueOptions) {
    this.redis = openRedis(opts.url);
    const base = `${opts.prefix}:${QUEUE_NAME}`;
    this.keys = {
      wait: `${base}:wait`,
      prioritized: `${base}:prioritized`,
      active: `${base}:active`,
      lock: `${opts.prefix}:admit-lock`,
      job: (id) => `${base}:${id}`,
    };
    this.queue = new Queue(QUEUE_NAME, { connection: this.redis, prefix: opts.prefix });
    this.queue.on('error', () => undefined);
    this.eventsRedis = openRedis(opts.url, { blocking: true });
    this.events = new QueueEvents(QUEUE_NAME, {
      connection: this.eventsRedis,
      prefix: opts.prefix,
    });
    this.events.on('error', () => undefined);
    this.events.on('active', ({ jobId }) => this.started(jobId));
    this.events.on('progress', ({ jobId, data }) => this.progress(jobId, data as JobProgress));
    this.events.on('completed', ({ jobId, returnvalue }) => void this.completed(jobId, returnvalue));
    this.events.on('failed', ({ jobId, failedReason }) => this.settle(jobId, undefined, decodeError(failedReason)));
    for (const e of ['waiting', 'active', 'completed', 'failed', 'removed'] as const)
      this.events.on(e, () => this.scheduleRefresh());
    this.ready = Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady()]).then(() => undefined);
    this.ready.catch(() => undefined);
  }

  /** Resolves once Redis answered (main waits for it; a submit before then waits too, briefly). */
  whenReady(timeoutMs = 5_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      this.ready,
      new Promise<void>((_, reject) => {
        timer = setTimeout(() => reject(new SinapsisError('queue_unavailable')), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Also run jobs in this process (SINAPSIS_WORKERS), closed with the queue. */
  runWorkers(
    processor: Processor<P, R>,
    concurrency: number,
    extra: { stallMs?: number; onError?: (err: unknown, jobId: string) => void } = {},
  ) {
    this.workers = startBullmqWorker(processor, {
      url: this.opts.url,
      prefix: this.opts.prefix,
      concurrency,
      timeoutMs: this.opts.timeoutMs,
      ttlMs: this.opts.ttlMs,
      stopGraceMs: this.opts.stopGraceMs,
      ...extra,
    });
  }

  submit(req: JobRequest<P>, events: JobEvents = {}): Promise<JobHandle<R>> {
    return this.own(req.id, events, req) as Promise<JobHandle<R>>;
  }

  attach(id: string, events: JobEvents = {}): Promise<JobHandle<R> | undefined> {
    return this.own(id, events);
  }

  /**
   * Submits `req`, or, with the id of a job Redis still holds (a restarted process re-submits it),
   * attaches to that job whatever state it reached instead of running it twice. Without `req` it
   * only attaches (undefined when there is nothing to attach to).
   */
  private async own(id: string, events: JobEvents, req?: JobRequest<P>): Promise<JobHandle<R> | undefined> {
    if (this.closed) throw new SinapsisError('queue_full');
    let job!: Owned<R>;
    const result = new Promise<R>((resolve, reject) => {
      job = { id, events, resolve, reject, state: 'waiting', position: 0, queued: false, checkedAt: Date.now() };
    });
    // Known before the job exists in Redis: none of its events can be missed. A fast job can fail
    // before `submit` has returned its handle: marked handled here, the caller still gets the rejection.
    result.catch(() => undefined);
    this.owned.set(id, job);
    try {
      await this.whenReady(2_000);
      const state = await this.queue.getJobState(id);
      if (state === 'unknown') {
        if (!req) {
          this.owned.delete(id);
          return undefined;
        }
        await this.admit(req);
      } else if (state === 'completed' || state === 'failed') await this.settleFromRedis(id);
      else if (state === 'active') this.started(id);
      job.queued = true;
    } catch (err) {
      this.owned.delete(id);
      throw unavailable(err);
    }
    await this.refreshPositions().catch(() => undefined);
    return {
      id,
      result,
      position: () => (job.state === 'waiting' ? job.position : 0),
      cancel: () => this.cancel(job),
    };
  }

  async stats(server?: string): Promise<QueueStats> {
    const local = this.workers?.stats() ?? { running: 0, stuck: 0 };
    if (this.closed) return { waiting: 0, running: local.running, stuck: local.stuck };
    try {
      await this.whenReady(2_000);
      if (server === undefined) {
        const [w, p, a] = (await this.redis
          .multi()
          .llen(this.keys.wait)
          .zcard(this.keys.prioritized)
          .llen(this.keys.active)
          .exec()) as [Error | null, number][];
        return { waiting: (w?.[1] ?? 0) + (p?.[1] ?? 0), running: a?.[1] ?? 0, stuck: local.stuck };
      }
      const snap = await this.snapshot();
      const waitingByKind: Record<string, number> = {};
      for (const j of snap.waiting) if (j.kind) waitingByKind[j.kind] = (waitingByKind[j.kind] ?? 0) + 1;
      const serverJobs = [...snap.waiting, ...snap.running].filter((j) => j.server === server).length;
      return {
        waiting: snap.waiting.length,
        running: snap.running.length,
        stuck: local.stuck,
        serverJobs,
        waitingByKind,
      };
    } catch (err) {
      throw unavailable(err);
    }
  }

  async detach(graceMs = 10_000): Promise<void> {
    // The handles this process holds never settle: the process is going, and the answer is the
    // next one's to deliver. Its own workers finish what they run (the result waits in Redis).
    await this.shutdown(graceMs, async () => undefined);
  }

  async close(graceMs = 10_000): Promise<void> {
    await this.shutdown(graceMs, async () => {
      const reason = new SinapsisError('shutting_down');
      const mine = [...this.owned.values()].filter((j) => j.state !== 'done');
      for (const j of mine) this.finish(j, undefined, reason);
      // Nobody will answer them: take them out of Redis (waiting) or stop them (running).
      await withTimeout(Promise.all(mine.map((j) => this.stopInRedis(j.id))), 2_000);
    });
  }

  /** Once: stops refreshing, settles this process's jobs (`settle`), then lets go of workers and connections. */
  private async shutdown(graceMs: number, settle: () => Promise<void>): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.refreshTimer);
    await settle();
    await this.workers?.close(graceMs);
    await withTimeout(this.events.close(), 2_000);
    await withTimeout(this.queue.close(), 2_000);
    this.eventsRedis.disconnect();
    this.redis.disconnect();
  }

  /**
   * Bounds, priority and add under one short Redis lock: with several adapter processes, two
   * submits must not both take the last place or the same priority.
   */
  private async admit(req: JobRequest<P>): Promise<void> {
    const token = randomUUID();
    const deadline = Date.now() + 3_000;
    while ((await this.redis.set(this.keys.lock, token, 'PX', 5_000, 'NX')) !== 'OK') {
      if (Date.now() > deadline) throw new SinapsisError('queue_unavailable');
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 10));
    }
    try {
      const snap = await this.snapshot();
      const mineWaiting = snap.waiting.filter((j) => j.user === req.userId).length;
      if (snap.waiting.length >= this.opts.maxWaiting) throw new SinapsisError('queue_full');
      if (mineWaiting >= this.opts.maxWaitingPerUser)
        throw new SinapsisError('user_queue_full', { limit: this.opts.maxWaitingPerUser });
      const load = mineWaiting + snap.running.filter((j) => j.user === req.userId).length;
      // Inputs live as long as the job may wait and run, plus the time its result is kept.
      const data = {
        payload: await putBlobs(this.redis, this.opts.prefix, req.payload, this.opts.ttlMs + this.opts.timeoutMs),
      };
      const meta: JobMeta = { user: req.userId, server: req.server ?? '', kind: req.kind ?? '' };
      const keep = { age: Math.ceil(this.opts.ttlMs / 1000) };
      await this.queue.add(encodeMeta(meta), data, {
        jobId: req.id,
        priority: Math.min(1 + load, MAX_PRIORITY),
        attempts: 1,
        removeOnComplete: keep,
        removeOnFail: keep,
      });
    } finally {
      await this.redis
        .eval(
          "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0",
          1,
          this.keys.lock,
          token,
        )
        .catch(() => undefined);
    }
  }

  /** Every job waiting (in the order workers will take them) and running, with whom it belongs to. */
  private async snapshot(): Promise<{ waiting: (JobMeta & { id: string })[]; running: (JobMeta & { id: string })[] }> {
    const res = (await this.redis
      .multi()
      .lrange(this.keys.wait, 0, -1)
      .zrange(this.keys.prioritized, 0, -1)
      .lrange(this.keys.active, 0, -1)
      .exec()) as [Error | null, string[]][];
    const [wait, prio, active] = res.map(([err, v]) => {
      if (err) throw err;
      return v;
    }) as [string[], string[], string[]];
    const waitingIds = [...wait.reverse(), ...prio];
    const ids = [...waitingIds, ...active];
    const names = ids.length
      ? await this.redis.pipeline(ids.map((id) => ['hget', this.keys.job(id), 'name'])).exec()
      : [];
    const metas = ids.map((id, i) => ({
      id,
      ...(decodeMeta(names?.[i]?.[1] as string) ?? { user: '', server: '', kind: '' }),
    }));
    return { waiting: metas.slice(0, waitingIds.length), running: metas.slice(waitingIds.length) };
  }

  private started(id: string) {
    const job = this.owned.get(id);
    if (!job || job.state === 'done') return;
    const first = job.state === 'waiting';
    job.state = 'running';
    job.position = 0;
    // A backstop: the worker stops the job at its timeout; a worker that hangs or dies is given up here.
    clearTimeout(job.timer);
    const grace = this.opts.stopGraceMs ?? Math.min(1_000, this.opts.timeoutMs);
    const seconds = Math.round(this.opts.timeoutMs / 1000);
    job.timer = setTimeout(
      () => {
        this.finish(job, undefined, new SinapsisError('timeout', { seconds }));
        void this.stopInRedis(id);
      },
      this.opts.timeoutMs + grace + 1_000,
    );
    if (first) safe(() => job.events.onStart?.());
  }

  private progress(id: string, data: JobProgress) {
    const job = this.owned.get(id);
    if (job?.state === 'running' && data && typeof data === 'object') safe(() => job.events.onProgress?.(data));
  }

  private async completed(id: string, returnvalue: unknown) {
    const job = this.owned.get(id);
    if (!job || job.state === 'done') return;
    try {
      const result = await getBlobs<R>(this.redis, returnvalue);
      this.settle(id, result);
      void this.expireBlobs(returnvalue);
    } catch (err) {
      this.settle(id, undefined, unavailable(err));
    }
  }

  /** The outcome of a job that finished while no event could reach this process. */
  private async settleFromRedis(id: string) {
    const job = await Job.fromId(this.queue, id);
    if (!job) return this.settle(id, undefined, new SinapsisError('job_gone'));
    if (job.finishedOn && job.failedReason !== undefined && job.failedReason !== null && (await job.isFailed()))
      return this.settle(id, undefined, decodeError(job.failedReason));
    await this.completed(id, job.returnvalue);
  }

  private settle(id: string, result?: R, error?: unknown) {
    const job = this.owned.get(id);
    if (job) this.finish(job, result, error);
  }

  private finish(job: Owned<R>, result?: R, error?: unknown) {
    if (job.state === 'done') return;
    job.state = 'done';
    clearTimeout(job.timer);
    this.owned.delete(job.id);
    if (error !== undefined) job.reject(error);
    else job.resolve(result as R);
  }

  private cancel(job: Owned<R>) {
    if (job.state === 'done') return;
    this.finish(job, undefined, new SinapsisError('cancelled'));
    void this.stopInRedis(job.id);
    this.scheduleRefresh();
  }

  /** A waiting job is removed with its input images; a running one is told to stop (pub/sub, and a key for a worker just taking it). */
  private async stopInRedis(id: string) {
    try {
      const job = await Job.fromId(this.queue, id);
      if (!job) return;
      if ((await this.queue.remove(id)) === 1) {
        const keys = blobKeys(job.data?.payload);
        if (keys.length) await this.redis.del(...keys);
        return;
      }
      await this.redis.set(cancelKey(this.opts.prefix, id), '1', 'PX', this.opts.timeoutMs + 60_000);
      await this.redis.publish(cancelChannel(this.opts.prefix), id);
    } catch {
      // Redis gone: the job runs for nothing, its result is never read and expires.
    }
  }

  private async expireBlobs(value: unknown) {
    const keys = blobKeys(value);
    if (!keys.length) return;
    const multi = this.redis.multi();
    for (const k of keys) multi.pexpire(k, READ_BLOB_TTL_MS);
    await multi.exec().catch(() => undefined);
  }

  /** Re-reads positions soon (coalesced): after any queue event, and every `refreshMs` while a job of ours waits. */
  private scheduleRefresh(delayMs = 50) {
    if (this.closed || this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.refreshPositions()
        .catch(() => undefined)
        .finally(() => {
          if (!this.closed && this.owned.size) this.scheduleRefresh(this.opts.refreshMs ?? 1_000);
        });
    }, delayMs);
    this.refreshTimer.unref?.();
  }

  /**
   * 1-based place of each of this process's waiting jobs (wait list first, then by priority): one
   * round trip for all of them. A job found in neither list nor running finished unseen: its
   * outcome is read from Redis (a missed event cannot leave a user waiting for ever).
   */
  private async refreshPositions(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    try {
      do {
        this.refreshAgain = false;
        const mine = [...this.owned.values()].filter((j) => j.state !== 'done' && j.queued);
        if (!mine.length) return;
        const pipe = this.redis.pipeline().llen(this.keys.wait).lrange(this.keys.wait, 0, -1);
        for (const j of mine) pipe.zrank(this.keys.prioritized, j.id);
        const res = (await pipe.exec()) ?? [];
        const waitLen = Number(res[0]?.[1] ?? 0);
        const waitList = ((res[1]?.[1] as string[]) ?? []).slice().reverse();
        const lost: string[] = [];
        mine.forEach((job, i) => {
          const rank = res[i + 2]?.[1] as number | null;
          const inWait = waitList.indexOf(job.id);
          const pos = inWait >= 0 ? inWait + 1 : rank !== null && rank !== undefined ? waitLen + rank + 1 : 0;
          if (pos === 0) {
            // Not waiting: a job we thought waiting started or ended unseen; a running one is
            // re-read now and then, so an event lost with the connection cannot leave it hanging.
            if (job.state === 'waiting' || Date.now() - job.checkedAt > RECHECK_RUNNING_MS) {
              job.checkedAt = Date.now();
              lost.push(job.id);
            }
            return;
          }
          if (job.state !== 'waiting' || job.position === pos) return;
          job.position = pos;
          safe(() => job.events.onPosition?.(pos));
        });
        for (const id of lost) await this.reconcile(id);
      } while (this.refreshAgain);
    } finally {
      this.refreshing = false;
    }
  }

  /** A job of ours that is not waiting any more though no event said so. */
  private async reconcile(id: string) {
    const state = await this.queue.getJobState(id);
    if (state === 'active') this.started(id);
    else if (state === 'completed' || state === 'failed') await this.settleFromRedis(id);
    else if (state === 'unknown') this.settle(id, undefined, new SinapsisError('job_gone'));
  }
}

function safe(fn: () => void) {
  try {
    fn();
  } catch {
    // An adapter's callback failing must not take the queue down.
  }
}

async function withTimeout(p: Promise<unknown>, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
