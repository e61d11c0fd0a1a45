import type { DownloadProgress } from '../models/progress.js';

/**
 * The job queue seen by adapters. Payloads are plain data (strings, numbers,
 * Buffers) so a process-external implementation (Redis/BullMQ workers) can sit
 * behind the same interface.
 */
export interface JobRequest<P> {
  id: string;
  /** Fairness key: one user's burst must not starve the others. */
  userId: string;
  /** The server (guild, workspace) the job counts against for its share of the queue; '' or absent outside one. */
  server?: string;
  /** What the job is (its command), for the moderators' "waiting by command". */
  kind?: string;
  payload: P;
}

export interface JobEvents {
  /**
   * 1-based place among waiting jobs; called whenever it changes, and already during `submit`
   * for a job that has to wait: positions come only by this event (a worker-backed queue cannot
   * answer `JobHandle.position()` synchronously and truthfully).
   */
  onPosition?(position: number): void;
  onStart?(): void;
  /** Partial results as the job runs (e.g. generated text so far); plain data. */
  onProgress?(progress: JobProgress): void;
}

/** Streamed text (generation so far), or a model download the job is waiting on. */
export type JobProgress = { kind?: 'text'; text: string } | DownloadProgress;

export interface JobHandle<R> {
  readonly id: string;
  readonly result: Promise<R>;
  /** 1-based place among waiting jobs, 0 once running or finished, as last reported: prefer `onPosition`. */
  position(): number;
  cancel(): void;
}

export interface QueueStats {
  waiting: number;
  running: number;
  /** Stopped jobs whose work has not settled after the grace period (a hung model load): no slot, but not healthy. */
  stuck: number;
  /** Only from `stats(server)`: that server's jobs now waiting or running. */
  serverJobs?: number;
  /** Only from `stats(server)`: waiting jobs of every server per kind (command), in arrival order. */
  waitingByKind?: Record<string, number>;
}

/** In-process queues answer at once; one on Redis answers after a round trip. Callers always await. */
export type Awaitable<T> = T | Promise<T>;

export interface JobQueue<P, R> {
  /**
   * Throws SinapsisError queue_full / user_queue_full when over the bounds (queue_unavailable when
   * its Redis is unreachable). Submitting an id the queue already holds attaches to that job.
   */
  submit(request: JobRequest<P>, events?: JobEvents): Awaitable<JobHandle<R>>;
  /**
   * Only for a queue that outlives its process (Redis): the job with this id if the queue still holds
   * it (waiting, running, or finished and kept), so a restarted process answers it without running it again.
   */
  attach?(id: string, events?: JobEvents): Promise<JobHandle<R> | undefined>;
  /** Queue-wide counts; with a server, also that server's jobs and the waiting jobs by kind. */
  stats(server?: string): Awaitable<QueueStats>;
  /** Stops taking jobs, ends every job with `shutting_down`, and waits at most `graceMs` for running work. */
  close(graceMs?: number): Promise<void>;
  /**
   * Queues that outlive their process (Redis): stop listening and leave every job where it is,
   * waiting, running or finished, unanswered here. The next process finds each by id (`attach`),
   * so a restart (a deploy, a SIGTERM) costs nobody their answer. Jobs it runs itself finish first.
   */
  detach?(graceMs?: number): Promise<void>;
}

export type Processor<P, R> = (payload: P, signal: AbortSignal, report: (progress: JobProgress) => void) => Promise<R>;
