// `npm run worker`: runs queued jobs from Redis (SINAPSIS_REDIS_URL). Start any number of them, on
// any machine that has the models; the adapters (`npm start`) only validate, queue and reply.
import pino from 'pino';
import { loadConfig } from './config/index.js';
import { jobRunner } from './core/runner.js';
import { registryFromConfig } from './models/setup.js';
import { onStopSignal } from './stop-signal.js';
import { startBullmqWorker } from './queue/bullmq-worker.js';
import { workerOptions } from './queue/from-config.js';
import { assertRedisReachable, redactUrl } from './queue/redis.js';

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
// Worker threads by default: inference never blocks this process's event loop, which renews BullMQ's
// job locks (a blocked loop would let Redis think the job stalled).
const runner = jobRunner(config, models, log, { size: config.SINAPSIS_CONCURRENCY });
// The threads load the tasks' code before the first job is taken.
await runner.start();
if (config.SINAPSIS_WARM_MODELS.length)
  runner
    .warm(config.SINAPSIS_WARM_MODELS)
    .catch((err) => log.warn({ err }, 'model warm-up failed; models load on first use'));
const worker = startBullmqWorker(runner.run, {
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

const graceMs = config.SINAPSIS_SHUTDOWN_TIMEOUT_S * 1000;
// Bounded whatever hangs; a job still running then is taken up by another worker (stalled job).
onStopSignal(log, graceMs + 5_000, async (signal) => {
  log.info({ signal, graceS: config.SINAPSIS_SHUTDOWN_TIMEOUT_S }, 'worker stopping: finishing running jobs');
  await worker.close(graceMs);
  await runner.close().catch(() => undefined);
  await models.close().catch(() => undefined);
  process.exit(0);
});
