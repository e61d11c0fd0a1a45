import path from 'node:path';
import pino from 'pino';
import type { Config } from '../config/index.js';
import { adminSpec } from '../../commands/index.js';
import type { ModelRegistry } from '../models/registry.js';
import { registryFromConfig } from '../models/setup.js';
import { queueFromConfig } from '../queue/from-config.js';
import type { ThreadPool } from '../queue/thread-pool.js';
import { openDatabase, type DB } from '../store/db.js';
import { Gate } from './gate.js';
import { pgStores, sqliteStores, type Stores, type StoresOptions } from '../store/stores.js';
import { Service } from './service.js';
import { ImageSpool } from './spool.js';
import type { JobPayload } from './processor.js';
import { jobRunner, type JobRunner } from './runner.js';
import type { TaskResult } from '../tasks/types.js';

export interface App {
  config: Config;
  /** The SQLite database handle (absent on PostgreSQL): for tests and close() only; adapters use `stores`. */
  db?: DB;
  /** Every store (interaction states, key-value, jobs log, accepted jobs, moderators' rules): what adapters receive. */
  stores: Stores;
  models: ModelRegistry;
  /** The worker threads running jobs (SINAPSIS_WORKER_THREADS), or none when jobs run in this thread. */
  pool?: ThreadPool;
  service: Service;
  logger: pino.Logger;
  /** Resolves once the worker threads (if any) can take jobs: a server starts listening after it. */
  start(): Promise<void>;
  /** Loads models ahead of the first request, where jobs run (every worker thread, or here). */
  warm(models: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Wires store, models, queue and service from the config; every entry point starts here.
 * Stays synchronous: a PostgreSQL store connects and migrates in `stores.ready()`, which entry
 * points await before serving (and every store call awaits too).
 */
export function createApp(config: Config, opts: { logger?: pino.Logger } = {}): App {
  const logger = opts.logger ?? pino({ level: config.LOG_LEVEL });
  const models = registryFromConfig(config, logger);
  const storeOpts: StoresOptions = {
    jobsRetentionDays: config.SINAPSIS_JOBS_RETENTION_DAYS,
    onJobsLogError: (err) =>
      logger.error(
        { err: String((err as Error).message ?? err) },
        'store write failed; the request is answered anyway',
      ),
  };
  // SINAPSIS_DATABASE_URL picks the shared PostgreSQL store; otherwise SQLite in the data dir.
  const db = config.SINAPSIS_DATABASE_URL ? undefined : openDatabase(config.dataDir);
  const stores = db
    ? sqliteStores(db, storeOpts)
    : pgStores(
        {
          url: config.SINAPSIS_DATABASE_URL!,
          poolSize: config.SINAPSIS_DATABASE_POOL_SIZE,
          onIdleError: (err) =>
            logger.warn({ err: err.message }, 'a PostgreSQL connection was lost; reconnecting on next use'),
        },
        storeOpts,
      );
  // In-process queue, or BullMQ on Redis (SINAPSIS_REDIS_URL) with the tasks in worker processes.
  // The runner exists only when this process runs jobs itself.
  let runner: JobRunner | undefined;
  const queue = queueFromConfig<JobPayload, TaskResult>(config, (size) => {
    // A stopped job's worker gets the queue's own grace (MemoryQueue's default) to notice it.
    runner = jobRunner(config, models, logger, {
      size,
      stopGraceMs: Math.min(1_000, config.SINAPSIS_JOB_TIMEOUT_S * 1000),
    });
    return runner.run;
  });
  const service = new Service({
    models,
    gate: new Gate(stores.rules, {
      disabledByConfig: config.SINAPSIS_DISABLED_COMMANDS,
      timeZone: config.SINAPSIS_TIMEZONE,
      auditRetentionDays: config.SINAPSIS_AUDIT_RETENTION_DAYS,
      adminCommand: config.SINAPSIS_ADMIN_COMMAND,
    }),
    adminSpec: adminSpec(config.SINAPSIS_ADMIN_COMMAND),
    queueMax: config.SINAPSIS_QUEUE_MAX,
    jobsLog: stores.jobsLog,
    accepted: stores.accepted,
    admission: stores.admission,
    ping: stores.ping,
    spool: new ImageSpool(path.join(config.dataDir, 'accepted-uploads')),
    // A recovered job is re-run only if its reply outlives a whole run (timeout) plus a minute.
    rerunMarginMs: config.SINAPSIS_JOB_TIMEOUT_S * 1000 + 60_000,
    logInputs: config.SINAPSIS_LOG_INPUTS,
    queue,
  });

  return {
    config,
    db,
    stores,
    models,
    pool: runner?.pool,
    service,
    logger,
    start: async () => runner?.start(),
    warm: (ids) => (runner ? runner.warm(ids) : models.warm(ids)),
    async close() {
      await service.queue.close(config.SINAPSIS_SHUTDOWN_TIMEOUT_S * 1000);
      await runner?.close();
      await models.close();
      await stores.close();
    },
  };
}
