import { COMMANDS } from '../../commands/index.js';
import type { Config } from '../config/index.js';
import type { ModelRegistry } from '../models/registry.js';
import { createThreadPool, type PoolLogger, type ThreadPool, type ThreadPoolOptions } from '../queue/thread-pool.js';
import type { Processor } from '../queue/types.js';
import { preloadTasks } from '../tasks/load.js';
import type { TaskResult } from '../tasks/types.js';
import { type JobPayload, processorFromConfig } from './processor.js';

/** What runs the jobs of a process that runs any (`npm start` with its own queue, `npm run worker`). */
export interface JobRunner {
  run: Processor<JobPayload, TaskResult>;
  /** The worker threads, when jobs run there. */
  pool?: ThreadPool;
  /** Resolves once the threads have loaded their code (nothing to wait for in this thread). */
  start(): Promise<void>;
  warm(ids: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Jobs in a pool of worker threads (SINAPSIS_WORKER_THREADS, the default), each with its own models,
 * so inference never holds up this process's event loop (the adapters' replies, BullMQ's job locks);
 * or in this thread, whose tasks' code is then loaded now, not on the first request.
 */
export function jobRunner(
  config: Config,
  models: ModelRegistry,
  logger: PoolLogger,
  opts: Pick<ThreadPoolOptions, 'size' | 'stopGraceMs'>,
): JobRunner {
  if (config.SINAPSIS_WORKER_THREADS) {
    const pool = createThreadPool(config, logger, opts);
    return { run: pool.run, pool, start: () => pool.start(), warm: (ids) => pool.warm(ids), close: () => pool.close() };
  }
  preloadTasks(COMMANDS);
  return {
    run: processorFromConfig(config, models),
    start: async () => undefined,
    warm: (ids) => models.warm(ids),
    close: async () => undefined,
  };
}
