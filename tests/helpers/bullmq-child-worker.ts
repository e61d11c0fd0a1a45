// A worker process for the fault tests: runs jobs whose payload says how long to take (or to fail),
// and prints "start <jobId>" when it takes one up, so a test knows whom to kill.
import { SinapsisError } from '../../src/errors.js';
import { startBullmqWorker } from '../../src/queue/bullmq-worker.js';

const worker = startBullmqWorker<{ ms: number; fail?: boolean }, { by: number }>(
  async (p, signal) => {
    if (p.fail) throw new SinapsisError('corrupt_image');
    await new Promise((resolve, reject) => {
      const t = setTimeout(resolve, p.ms);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        reject(signal.reason);
      });
    });
    return { by: process.pid };
  },
  {
    url: process.env.TEST_REDIS_URL!,
    prefix: process.env.TEST_PREFIX!,
    concurrency: 1,
    timeoutMs: 30_000,
    ttlMs: 60_000,
    stallMs: Number(process.env.TEST_STALL_MS ?? 1_000),
  },
);
// Job ids reach the test through the queue events; this line says which process took it.
const original = worker.stats;
let last = 0;
setInterval(() => {
  const { running } = original();
  if (running !== last) process.stdout.write(`running ${running}\n`);
  last = running;
}, 20);
process.stdout.write('ready\n');
process.on('SIGTERM', async () => {
  await worker.close(5_000);
  process.exit(0);
});
