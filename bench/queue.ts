// `npm run --silent bench -- queue [--rounds N]`: what the queue on Redis (BullMQ, a worker in this
// process) costs per job against the in-process queue, on the same machine: round trip of a job that
// does nothing with a 1 MB image in and out, and a burst of 50 jobs from 25 users (2 at a time, 20 ms each).
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { BullmqQueue } from '../src/queue/bullmq-queue.js';
import { MemoryQueue } from '../src/queue/memory-queue.js';
import type { JobQueue, Processor } from '../src/queue/types.js';
import { median, quantile, round } from './lib/stats.js';

type P = { img: Buffer; ms: number };
const URL = 'redis://127.0.0.1:6379';
const opts = { maxWaiting: 100, maxWaitingPerUser: 5, timeoutMs: 30_000 };
const work: Processor<P, P> = async (p) => {
  if (p.ms) await new Promise((r) => setTimeout(r, p.ms));
  return p;
};

async function measure(name: string, make: (concurrency: number) => JobQueue<P, P>, rounds: number) {
  const img = Buffer.alloc(1_000_000, 1);
  const q1 = make(1);
  const trips: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await (await q1.submit({ id: randomUUID(), userId: 'u', payload: { img, ms: 0 } })).result;
    trips.push(performance.now() - t0);
  }
  await q1.close(1_000);
  const q2 = make(2);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const t0 = performance.now();
  const small = Buffer.alloc(10_000, 2);
  const handles = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      q2.submit({ id: randomUUID(), userId: `user${i % 25}`, payload: { img: small, ms: 20 } }),
    ),
  );
  const done: number[] = [];
  await Promise.all(handles.map((h) => h.result.then(() => done.push(performance.now() - t0))));
  loop.disable();
  await q2.close(1_000);
  return {
    name,
    tripMedianMs: round(median(trips)),
    tripP90Ms: round(quantile(trips, 0.9)),
    burstLastMs: round(Math.max(...done)),
    burstIdealMs: 25 * 20,
    loopP99Ms: round(loop.percentile(99) / 1e6),
  };
}

export async function run(args: string[]) {
  const rounds = Number(args[args.indexOf('--rounds') + 1]) || 50;
  const redis = new Redis(URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  await redis.connect().catch(() => {
    console.error(`bench queue needs Redis at ${URL}`);
    process.exit(1);
  });
  const prefix = `bench-queue-${randomUUID().slice(0, 8)}`;
  const memory = await measure('in-process', (c) => new MemoryQueue(work, { ...opts, concurrency: c }), rounds);
  const bullmq = await measure(
    'bullmq',
    (c) => {
      const q = new BullmqQueue<P, P>({ url: URL, prefix, ...opts, ttlMs: 60_000 });
      q.runWorkers(work, c);
      return q;
    },
    rounds,
  );
  console.table([memory, bullmq]);
  console.log(
    `bullmq/in-process: round trip ${round(bullmq.tripMedianMs / memory.tripMedianMs, 1)}× (+${round(bullmq.tripMedianMs - memory.tripMedianMs)} ms), burst ${round(bullmq.burstLastMs / memory.burstLastMs)}×`,
  );
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
}
