import { SinapsisError } from '../errors.js';
import type { JobEvents, JobHandle, JobProgress, JobQueue, JobRequest, Processor, QueueStats } from './types.js';

export interface MemoryQueueOptions {
  concurrency: number;
  maxWaiting: number;
  maxWaitingPerUser: number;
  timeoutMs: number;
  /**
   * After a running job is stopped (timeout, cancel, shutdown), how long its work may take to
   * notice before its slot is given to the next job anyway. Work that never settles (a model
   * load hung on a FIFO or a stalled read) then stays counted as "stuck" instead of wedging the queue.
   */
  stopGraceMs?: number;
}

interface Job<P, R> {
  req: JobRequest<P>;
  events: JobEvents;
  resolve(r: R): void;
  reject(e: unknown): void;
  state: 'waiting' | 'running' | 'done';
  /** Arrival order, so "waiting by kind" lists kinds as they came. */
  seq: number;
  position: number;
  abort?: AbortController;
  /** Gives the slot back (once); set while the job holds one. */
  release?: () => void;
}

/**
 * In-process queue: a concurrency limit, fair share between users (each
 * user's own jobs stay in order), bounded waiting, live positions,
 * cancellation and a per-job timeout.
 */
export class MemoryQueue<P, R> implements JobQueue<P, R> {
  /** Waiting jobs per user, in arrival order of the users' first waiting job. */
  private readonly waiting = new Map<string, Job<P, R>[]>();
  private running = 0;
  private readonly runningByUser = new Map<string, number>();
  private readonly lastServed = new Map<string, number>();
  private seq = 0;
  private waitingCount = 0;
  private closed = false;
  private idle: (() => void)[] = [];
  /** Work whose job was stopped but that has not settled past the grace period. */
  private stuck = 0;
  private readonly runningJobs = new Set<Job<P, R>>();
  /** Jobs waiting or running (not yet finished) per server: the per-server share reads it. */
  private readonly serverJobs = new Map<string, number>();
  private arrivals = 0;

  constructor(
    private readonly process: Processor<P, R>,
    private readonly opts: MemoryQueueOptions,
  ) {}

  submit(req: JobRequest<P>, events: JobEvents = {}): JobHandle<R> {
    if (this.closed) throw new SinapsisError('queue_full');
    const mine = this.waiting.get(req.userId) ?? [];
    if (this.waitingCount >= this.opts.maxWaiting) throw new SinapsisError('queue_full');
    if (mine.length >= this.opts.maxWaitingPerUser) {
      throw new SinapsisError('user_queue_full', { limit: this.opts.maxWaitingPerUser });
    }
    let job!: Job<P, R>;
    const result = new Promise<R>((resolve, reject) => {
      job = { req, events, resolve, reject, state: 'waiting', position: 0, seq: ++this.arrivals };
    });
    mine.push(job);
    this.waiting.set(req.userId, mine);
    this.waitingCount++;
    const server = req.server ?? '';
    this.serverJobs.set(server, (this.serverJobs.get(server) ?? 0) + 1);
    this.pump();
    this.publishPositions();
    return {
      id: req.id,
      result,
      position: () => (job.state === 'waiting' ? job.position : 0),
      cancel: () => this.cancel(job),
    };
  }

  stats(server?: string): QueueStats {
    const all = { waiting: this.waitingCount, running: this.running, stuck: this.stuck };
    if (server === undefined) return all;
    const waiting = [...this.waiting.values()].flat().sort((a, b) => a.seq - b.seq);
    const waitingByKind: Record<string, number> = {};
    for (const j of waiting)
      if (j.req.kind !== undefined) waitingByKind[j.req.kind] = (waitingByKind[j.req.kind] ?? 0) + 1;
    return { ...all, serverJobs: this.serverJobs.get(server) ?? 0, waitingByKind };
  }

  /**
   * Stops taking jobs; every waiting and running job ends at once with `shutting_down` (the
   * adapters tell their users), then waits at most `graceMs` for the running work to stop.
   */
  async close(graceMs = 10_000): Promise<void> {
    this.closed = true;
    const reason = new SinapsisError('shutting_down');
    for (const jobs of this.waiting.values()) for (const j of jobs) this.finish(j, undefined, reason);
    this.waiting.clear();
    this.waitingCount = 0;
    for (const j of this.runningJobs) j.abort?.abort(reason);
    if (this.running > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => this.idle.push(r)),
        new Promise<void>((r) => (timer = setTimeout(r, graceMs))),
      ]);
      clearTimeout(timer);
    }
  }

  private cancel(job: Job<P, R>) {
    if (job.state === 'waiting') {
      this.removeWaiting(job);
      this.finish(job, undefined, new SinapsisError('cancelled'));
      this.publishPositions();
    } else if (job.state === 'running') {
      job.abort?.abort(new SinapsisError('cancelled'));
    }
  }

  private removeWaiting(job: Job<P, R>) {
    const list = this.waiting.get(job.req.userId);
    if (!list) return;
    const i = list.indexOf(job);
    if (i >= 0) {
      list.splice(i, 1);
      this.waitingCount--;
    }
    if (list.length === 0) this.waiting.delete(job.req.userId);
  }

  /**
   * Fair share: the next job belongs to the waiting user with the fewest jobs
   * running, then the one served least recently, then the one waiting longest.
   * `plan` repeats that choice to give every waiting job its place in line.
   */
  private plan(limit = Infinity): Job<P, R>[] {
    const load = new Map(this.runningByUser);
    const last = new Map(this.lastServed);
    const taken = new Map<string, number>();
    const users = [...this.waiting.keys()];
    const order: Job<P, R>[] = [];
    let seq = this.seq;
    while (order.length < Math.min(limit, this.waitingCount)) {
      let best: string | undefined;
      for (const u of users) {
        if ((taken.get(u) ?? 0) >= this.waiting.get(u)!.length) continue;
        if (best === undefined) best = u;
        else {
          const d = (load.get(u) ?? 0) - (load.get(best) ?? 0) || (last.get(u) ?? -1) - (last.get(best) ?? -1);
          if (d < 0) best = u;
        }
      }
      if (best === undefined) break;
      const i = taken.get(best) ?? 0;
      order.push(this.waiting.get(best)![i]!);
      taken.set(best, i + 1);
      load.set(best, (load.get(best) ?? 0) + 1);
      last.set(best, ++seq);
    }
    return order;
  }

  private next(): Job<P, R> | undefined {
    const job = this.plan(1)[0];
    if (job) this.removeWaiting(job);
    return job;
  }

  private pump() {
    while (this.running < this.opts.concurrency) {
      const job = this.next();
      if (!job) return;
      this.start(job);
    }
  }

  private start(job: Job<P, R>) {
    job.state = 'running';
    this.running++;
    this.runningJobs.add(job);
    const user = job.req.userId;
    this.runningByUser.set(user, (this.runningByUser.get(user) ?? 0) + 1);
    this.lastServed.set(user, ++this.seq);
    const abort = new AbortController();
    job.abort = abort;
    const seconds = Math.round(this.opts.timeoutMs / 1000);
    const timer = setTimeout(() => abort.abort(new SinapsisError('timeout', { seconds })), this.opts.timeoutMs);
    let settled = false;
    let grace: NodeJS.Timeout | undefined;
    job.release = () => {
      job.release = undefined;
      clearTimeout(timer);
      clearTimeout(grace);
      this.running--;
      this.runningJobs.delete(job);
      const left = (this.runningByUser.get(user) ?? 1) - 1;
      if (left > 0) this.runningByUser.set(user, left);
      else this.runningByUser.delete(user);
      this.pump();
      this.publishPositions();
      if (this.running === 0) for (const r of this.idle.splice(0)) r();
    };
    // The caller learns of a timeout or cancellation at once. The slot stays taken while the
    // work winds down (a stopping task must not oversubscribe the CPU), but only for the grace
    // period: work that never settles must not hold a slot for ever.
    const onAbort = () => {
      this.finish(job, undefined, abort.signal.reason);
      grace = setTimeout(() => {
        if (settled) return;
        this.stuck++;
        job.release?.();
      }, this.opts.stopGraceMs ?? Math.min(1_000, this.opts.timeoutMs));
    };
    abort.signal.addEventListener('abort', onAbort, { once: true });
    try {
      job.events.onStart?.();
    } catch {
      // An adapter's callback failing must not take the job down.
    }
    Promise.resolve()
      .then(() => this.process(job.req.payload, abort.signal, (p: JobProgress) => this.report(job, p)))
      .then(
        (r) => this.finish(job, r),
        (e) => this.finish(job, undefined, e),
      )
      .finally(() => {
        settled = true;
        abort.signal.removeEventListener('abort', onAbort);
        if (job.release) job.release();
        else this.stuck--;
      });
  }

  private report(job: Job<P, R>, progress: JobProgress) {
    if (job.state !== 'running') return;
    try {
      job.events.onProgress?.(progress);
    } catch {
      // An adapter's callback failing must not take the job down.
    }
  }

  private finish(job: Job<P, R>, result?: R, error?: unknown) {
    if (job.state === 'done') return;
    job.state = 'done';
    const server = job.req.server ?? '';
    const left = (this.serverJobs.get(server) ?? 1) - 1;
    if (left > 0) this.serverJobs.set(server, left);
    else this.serverJobs.delete(server);
    if (error !== undefined) job.reject(error);
    else job.resolve(result as R);
  }

  /** Recomputes every waiting job's place in line and reports the ones that changed. */
  private publishPositions() {
    this.plan().forEach((job, i) => {
      if (job.position === i + 1) return;
      job.position = i + 1;
      try {
        job.events.onPosition?.(i + 1);
      } catch {
        // Same as onStart: never let an adapter callback break the queue.
      }
    });
  }
}
