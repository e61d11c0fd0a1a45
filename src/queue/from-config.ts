import type { Config } from '../config/index.js';
import { BullmqQueue } from './bullmq-queue.js';
import type { BullmqWorkerOptions } from './bullmq-worker.js';
import { MemoryQueue } from './memory-queue.js';
import type { JobQueue, Processor } from './types.js';

/** What `SINAPSIS_REDIS_URL` and its neighbours give a worker process (`npm run worker`). */
export function workerOptions(config: Config & { SINAPSIS_REDIS_URL: string }): BullmqWorkerOptions {
  return {
    url: config.SINAPSIS_REDIS_URL,
    prefix: config.SINAPSIS_REDIS_PREFIX,
    concurrency: config.SINAPSIS_CONCURRENCY,
    timeoutMs: config.SINAPSIS_JOB_TIMEOUT_S * 1000,
    ttlMs: config.SINAPSIS_REDIS_TTL_S * 1000,
    stallMs: config.SINAPSIS_REDIS_STALL_S * 1000,
  };
}

/**
 * The queue of an adapter process: in this process (the default), or on Redis when
 * SINAPSIS_REDIS_URL is set, where tasks run in `npm run worker` processes and here only with
 * SINAPSIS_WORKERS > 0. `processor` is built only when this process runs tasks, for that many jobs at once.
 */
export function queueFromConfig<P, R>(
  config: Config,
  processor: (jobsAtOnce: number) => Processor<P, R>,
): JobQueue<P, R> {
  const timeoutMs = config.SINAPSIS_JOB_TIMEOUT_S * 1000;
  if (!config.SINAPSIS_REDIS_URL) {
    const queue = new MemoryQueue(processor(config.SINAPSIS_CONCURRENCY), {
      concurrency: config.SINAPSIS_CONCURRENCY,
      maxWaiting: config.SINAPSIS_QUEUE_MAX,
      maxWaitingPerUser: config.SINAPSIS_QUEUE_MAX_PER_USER,
      timeoutMs,
    });
    return queue;
  }
  const queue = new BullmqQueue<P, R>({
    url: config.SINAPSIS_REDIS_URL,
    prefix: config.SINAPSIS_REDIS_PREFIX,
    maxWaiting: config.SINAPSIS_QUEUE_MAX,
    maxWaitingPerUser: config.SINAPSIS_QUEUE_MAX_PER_USER,
    timeoutMs,
    ttlMs: config.SINAPSIS_REDIS_TTL_S * 1000,
  });
  if (config.SINAPSIS_WORKERS > 0)
    queue.runWorkers(processor(config.SINAPSIS_WORKERS), config.SINAPSIS_WORKERS, {
      stallMs: config.SINAPSIS_REDIS_STALL_S * 1000,
    });
  return queue;
}
