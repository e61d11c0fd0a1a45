// `npm run worker`: runs queued jobs from Redis (SINAPSIS_REDIS_URL). Start any number of them, on
// any machine that has the models; the adapters (`npm start`) only validate, queue and reply.
import pino from 'pino';
import { COMMANDS } from '../commands/index.js';
import { loadConfig, type Config } from './config/index.js';
import { createProcessor, type JobPayload } from './core/processor.js';
import type { ModelRegistry } from './models/registry.js';
import { registryFromConfig } from './models/setup.js';
import { startBullmqWorker } from './queue/bullmq-worker.js';
import { workerOptions } from './queue/from-config.js';
import { assertRedisReachable, redactUrl } from './queue/redis.js';
import type { Processor } from './queue/types.js';
import { preloadTasks } from './tasks/load.js';
import type { TaskResult } from './tasks/types.js';

/**
 * The seam: what runs a job's payload in this process. Today the tasks run on this process's
 * event loop (createProcessor); a worker-thread pool with the same Processor type drops in here.
 */
function buildProcessor(config: Config, models: ModelRegistry): Processor<JobPayload, TaskResult> {
  preloadTasks(COMMANDS);
  return createProcessor({
    models,
    blocklist: config.SINAPSIS_BLOCKLIST,
    explainRephrase: config.SINAPSIS_EXPLAIN_REPHRASE,
  });
}

const config = loadConfig();
const log = pino({ level: config.LOG_LEVEL });
const url = config.SINAPSIS_REDIS_URL;
if (!url) {
  log.fatal('npm run worker needs SINAPSIS_REDIS_URL (redis://host:6379): the queue it takes jobs from');
  process.exit(1);
}
try {
  await assertRedisReachable(url);
} catch (err) {
  log.fatal((err as Error).message);
  process.exit(1);
}
process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));

const models = registryFromConfig(config, log);
if (config.SINAPSIS_WARM_MODELS.length)
  models
    .warm(config.SINAPSIS_WARM_MODELS)
    .catch((err) => log.warn({ err }, 'model warm-up failed; models load on first use'));
const worker = startBullmqWorker(buildProcessor(config, models), {
  ...workerOptions({ ...config, SINAPSIS_REDIS_URL: url }),
  onError: (err, jobId) => log.error({ err, jobId }, 'job failed unexpectedly'),
});
log.info(
  {
    redis: redactUrl(url),
    prefix: config.SINAPSIS_REDIS_PREFIX,
    concurrency: config.SINAPSIS_CONCURRENCY,
    pid: process.pid,
  },
  'worker ready',
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    const graceMs = config.SINAPSIS_SHUTDOWN_TIMEOUT_S * 1000;
    log.info({ signal, graceS: config.SINAPSIS_SHUTDOWN_TIMEOUT_S }, 'worker stopping: finishing running jobs');
    // Bounded whatever hangs; a job still running then is taken up by another worker (stalled job).
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), graceMs + 5_000).unref();
    await worker.close(graceMs);
    await models.close().catch(() => undefined);
    process.exit(0);
  });
}
