import { SinapsisError } from '../errors.js';
import type { JobEvents, JobHandle, JobQueue, JobRequest, Processor, QueueStats } from './types.js';

export interface MemoryQueueOptions {
  concurrency: number;
  maxWaiting: number;
  maxWaitingPerUser: number;
  timeoutMs: number;
}

interface Job<P, R> {
  req: JobRequest<P>;
  events: JobEvents;
  resolve(r: R): void;
  reject(e: unknown): void;
  state: 'waiting' | 'running' | 'done';
  position: number;
  abort?: AbortController;
}

/**
 * In-process queue: a concurrency limit, round-robin between users (each
 * user's own jobs stay in order), bounded waiting, live positions,
 * cancellation and a per-job timeout.
 */
export class MemoryQueue<P, R> implements JobQueue<P, R> {
  /** Waiting jobs per user; Map order is the round-robin order (next user first). */
  private readonly waiting = new Map<string, Job<P, R>[]>();
  private running = 0;
  private waitingCount = 0;
  private closed = false;
  private idle: (() => void)[] = [];

  constructor(private readonly process: Processor<P, R>, private readonly opts: MemoryQueueOptions) {}

  submit(req: JobRequest<P>, events: JobEvents = {}): JobHandle<R> {
    if (this.closed) throw new SinapsisError('queue_full');
    const mine = this.waiting.get(req.userId) ?? [];
    if (this.waitingCount >= this.opts.maxWaiting) throw new SinapsisError('queue_full');
    if (mine.length >= this.opts.maxWaitingPerUser) {
      throw new SinapsisError('user_queue_full', { limit: this.opts.maxWaitingPerUser });
    }
    let job!: Job<P, R>;
    const result = new Promise<R>((resolve, reject) => {
      job = { req, events, resolve, reject, state: 'waiting', position: 0 };
    });
    mine.push(job);
    this.waiting.set(req.userId, mine);
    this.waitingCount++;
    this.pump();
    this.publishPositions();
    return {
      id: req.id,
      result,
      position: () => (job.state === 'waiting' ? job.position : 0),
      cancel: () => this.cancel(job),
    };
  }

  stats(): QueueStats {
    return { waiting: this.waitingCount, running: this.running };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const jobs of this.waiting.values()) for (const j of jobs) this.finish(j, undefined, new SinapsisError('cancelled'));
    this.waiting.clear();
    this.waitingCount = 0;
    if (this.running > 0) await new Promise<void>((r) => this.idle.push(r));
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

  /** Takes the next user's oldest job, then moves that user to the back of the rotation. */
  private next(): Job<P, R> | undefined {
    const first = this.waiting.entries().next();
    if (first.done) return undefined;
    const [user, list] = first.value;
    const job = list.shift()!;
    this.waiting.delete(user);
    if (list.length) this.waiting.set(user, list);
    this.waitingCount--;
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
    const abort = new AbortController();
    job.abort = abort;
    const seconds = Math.round(this.opts.timeoutMs / 1000);
    const timer = setTimeout(() => abort.abort(new SinapsisError('timeout', { seconds })), this.opts.timeoutMs);
    // The caller learns of a timeout or cancellation at once; the slot stays taken
    // until the work really stops, so a stuck task cannot oversubscribe the CPU.
    const onAbort = () => this.finish(job, undefined, abort.signal.reason);
    abort.signal.addEventListener('abort', onAbort, { once: true });
    try {
      job.events.onStart?.();
    } catch {
      // An adapter's callback failing must not take the job down.
    }
    Promise.resolve()
      .then(() => this.process(job.req.payload, abort.signal))
      .then(
        (r) => this.finish(job, r),
        (e) => this.finish(job, undefined, e),
      )
      .finally(() => {
        clearTimeout(timer);
        abort.signal.removeEventListener('abort', onAbort);
        this.running--;
        this.pump();
        this.publishPositions();
        if (this.running === 0) for (const r of this.idle.splice(0)) r();
      });
  }

  private finish(job: Job<P, R>, result?: R, error?: unknown) {
    if (job.state === 'done') return;
    job.state = 'done';
    if (error !== undefined) job.reject(error);
    else job.resolve(result as R);
  }

  /** Recomputes every waiting job's place in the round-robin order and reports changes. */
  private publishPositions() {
    const lists = [...this.waiting.values()];
    lists.forEach((list, u) => {
      list.forEach((job, i) => {
        let ahead = i;
        lists.forEach((other, v) => {
          if (v === u) return;
          ahead += Math.min(other.length, i) + (v < u && other.length > i ? 1 : 0);
        });
        const position = ahead + 1;
        if (position !== job.position) {
          job.position = position;
          try {
            job.events.onPosition?.(position);
          } catch {
            // Same as onStart: never let an adapter callback break the queue.
          }
        }
      });
    });
  }
}
