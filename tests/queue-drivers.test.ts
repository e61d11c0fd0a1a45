import { afterAll, describe, expect, it } from 'vitest';
import { SinapsisError } from '../src/errors.js';
import { BullmqQueue } from '../src/queue/bullmq-queue.js';
import { MemoryQueue } from '../src/queue/memory-queue.js';
import type { JobEvents, JobHandle, JobQueue, Processor } from '../src/queue/types.js';
import { describeRedis, dropPrefix, REDIS_URL, redisUp, testPrefix } from './helpers/redis.js';

/**
 * The queue's behaviour as Service and the adapters see it, for every driver: the in-process
 * queue and BullMQ on the real Redis (a worker in this process). MemoryQueue's exact scheduling
 * is tested in queue.test.ts; here only what every driver promises.
 */
interface Opts {
  concurrency: number;
  maxWaiting: number;
  maxWaitingPerUser: number;
  timeoutMs: number;
}
type Make = <P, R>(process: Processor<P, R>, opts: Opts) => JobQueue<P, R>;

const base: Opts = { concurrency: 1, maxWaiting: 10, maxWaitingPerUser: 10, timeoutMs: 5_000 };
const prefixes: string[] = [];
const open: JobQueue<unknown, unknown>[] = [];

const drivers: { name: string; make: Make; needsRedis?: boolean }[] = [
  {
    name: 'in-process (MemoryQueue)',
    make: <P, R>(process: Processor<P, R>, opts: Opts) => {
      const q = new MemoryQueue(process, opts);
      open.push(q as JobQueue<unknown, unknown>);
      return q;
    },
  },
  {
    name: 'BullMQ on Redis',
    needsRedis: true,
    make: <P, R>(process: Processor<P, R>, opts: Opts) => {
      const prefix = testPrefix('drivers');
      prefixes.push(prefix);
      const q = new BullmqQueue<P, R>({ url: REDIS_URL, prefix, ...opts, ttlMs: 60_000, refreshMs: 100 });
      q.runWorkers(process, opts.concurrency, { stallMs: 2_000 });
      open.push(q as JobQueue<unknown, unknown>);
      return q;
    },
  },
];

afterAll(async () => {
  await Promise.all(open.map((q) => q.close(200)));
  if (redisUp) for (const p of prefixes) await dropPrefix(p);
});

/** A processor whose jobs finish only when the test releases them. */
function gated() {
  const started: string[] = [];
  const aborted: string[] = [];
  const release = new Map<string, () => void>();
  const process = (p: string, signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      started.push(p);
      release.set(p, () => resolve(p));
      signal.addEventListener('abort', () => {
        aborted.push(p);
        reject(signal.reason);
      });
    });
  return { started, aborted, release, process };
}

async function until(cond: () => boolean | Promise<boolean>, ms = 5_000) {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const driver of drivers) {
  const describeDriver = driver.needsRedis ? describeRedis : describe;
  describeDriver(`queue driver: ${driver.name}`, () => {
    it('runs at most `concurrency` jobs, and Buffers in payloads and results come back intact', async () => {
      let running = 0;
      let peak = 0;
      const q = driver.make<{ n: number; img: Buffer }, { n: number; img: Buffer }>(
        async (p) => {
          running++;
          peak = Math.max(peak, running);
          await sleep(30);
          running--;
          return { n: p.n * 2, img: Buffer.concat([p.img, Buffer.from([p.n])]) };
        },
        { ...base, concurrency: 2 },
      );
      const img = Buffer.alloc(300_000, 7);
      const handles = await Promise.all(
        [1, 2, 3, 4, 5].map((n) => q.submit({ id: `c${n}`, userId: `u${n}`, payload: { n, img } })),
      );
      const results = await Promise.all(handles.map((h) => h.result));
      expect(results.map((r) => r.n)).toEqual([2, 4, 6, 8, 10]);
      expect(results[2]!.img.length).toBe(300_001);
      expect(results[2]!.img.subarray(0, 300_000).equals(img)).toBe(true);
      expect(peak).toBeLessThanOrEqual(2);
    });

    it('tells a waiting job its position during submit and as the queue moves, then starts it', async () => {
      const g = gated();
      const q = driver.make(g.process, base);
      const h1 = await q.submit({ id: 'p1', userId: 'u1', payload: 'p1' });
      await until(() => g.started.includes('p1'));
      await q.submit({ id: 'p2', userId: 'u2', payload: 'p2' });
      const seen: number[] = [];
      let startedAt = 0;
      const events: JobEvents = { onPosition: (p) => seen.push(p), onStart: () => (startedAt = seen.length) };
      const h3 = await q.submit({ id: 'p3', userId: 'u3', payload: 'p3' }, events);
      expect(seen).toEqual([2]);
      expect(h3.position()).toBe(2);
      g.release.get('p1')!();
      await h1.result;
      await until(() => seen.includes(1));
      g.release.get('p2')!();
      await until(() => g.started.includes('p3'));
      await until(() => h3.position() === 0);
      expect(startedAt).toBe(2);
      g.release.get('p3')!();
      await expect(h3.result).resolves.toBe('p3');
    });

    it('refuses past the bounds with queue_full and user_queue_full', async () => {
      const g = gated();
      const q = driver.make(g.process, { ...base, maxWaiting: 3, maxWaitingPerUser: 2 });
      const running = await q.submit({ id: 'r', userId: 'x', payload: 'r' });
      await until(() => g.started.includes('r'));
      const held = [running];
      held.push(await q.submit({ id: 'b1', userId: 'a', payload: 'b1' }));
      held.push(await q.submit({ id: 'b2', userId: 'a', payload: 'b2' }));
      await expect(
        Promise.resolve().then(() => q.submit({ id: 'b3', userId: 'a', payload: 'b3' })),
      ).rejects.toMatchObject({
        code: 'user_queue_full',
      });
      held.push(await q.submit({ id: 'b4', userId: 'b', payload: 'b4' }));
      const full = await Promise.resolve()
        .then(() => q.submit({ id: 'b5', userId: 'c', payload: 'b5' }))
        .catch((e) => e);
      expect(full).toBeInstanceOf(SinapsisError);
      expect(full.code).toBe('queue_full');
      expect(full.localized('es')).toMatch(/cola está llena/);
      expect(await q.stats()).toEqual({ waiting: 3, running: 1, stuck: 0 });
      for (const h of held) h.cancel();
      await Promise.allSettled(held.map((h) => h.result));
    });

    it('cancels a waiting job (it never runs) and a running one (its task is aborted)', async () => {
      const g = gated();
      const q = driver.make(g.process, base);
      const running = await q.submit({ id: 'x1', userId: 'a', payload: 'x1' });
      const waiting = await q.submit({ id: 'x2', userId: 'b', payload: 'x2' });
      const third = await q.submit({ id: 'x3', userId: 'c', payload: 'x3' });
      await until(() => g.started.includes('x1'));
      waiting.cancel();
      await expect(waiting.result).rejects.toMatchObject({ code: 'cancelled' });
      await until(() => third.position() === 1);
      running.cancel();
      await expect(running.result).rejects.toMatchObject({ code: 'cancelled' });
      await until(() => g.aborted.includes('x1'));
      await until(() => g.started.includes('x3'));
      g.release.get('x3')!();
      await expect(third.result).resolves.toBe('x3');
      expect(g.started).toEqual(['x1', 'x3']);
    });

    it('stops a job past its timeout with a localized message and runs the next', async () => {
      const g = gated();
      const q = driver.make(g.process, { ...base, timeoutMs: 300 });
      const slow = await q.submit({ id: 'slow', userId: 'a', payload: 'slow' });
      const next = await q.submit({ id: 'next', userId: 'b', payload: 'next' });
      const err = await slow.result.catch((e) => e);
      expect(err).toBeInstanceOf(SinapsisError);
      expect(err.code).toBe('timeout');
      expect(err.localized('es')).toMatch(/tardó demasiado/);
      await until(() => g.started.includes('next'));
      g.release.get('next')!();
      await expect(next.result).resolves.toBe('next');
    });

    it("a task's SinapsisError reaches the caller with its code and params; a throwing callback harms nothing", async () => {
      const q = driver.make<string, string>(async (p) => {
        if (p === 'bad') throw new SinapsisError('unsupported_image_format', { format: 'tiff' });
        return p;
      }, base);
      const bad = await q.submit(
        { id: 'e1', userId: 'a', payload: 'bad' },
        {
          onStart: () => {
            throw new Error('adapter bug');
          },
        },
      );
      await expect(bad.result).rejects.toMatchObject({ code: 'unsupported_image_format', params: { format: 'tiff' } });
      await expect((await q.submit({ id: 'e2', userId: 'a', payload: 'ok' })).result).resolves.toBe('ok');
    });

    it("streams progress (the text so far) to the job's caller while it runs; the last one arrives", async () => {
      const q = driver.make<string, string>(async (p, _signal, report) => {
        for (const text of ['Había', 'Había una', 'Había una vez']) {
          report({ text });
          await sleep(20);
        }
        await sleep(200);
        return p;
      }, base);
      const seen: string[] = [];
      const h = await q.submit(
        { id: 'g1', userId: 'a', payload: 'done' },
        { onProgress: (p) => seen.push('text' in p ? p.text : '') },
      );
      await expect(h.result).resolves.toBe('done');
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.at(-1)).toBe('Había una vez');
    });

    it("stats(server) counts that server's waiting and running jobs and the waiting ones by kind", async () => {
      const g = gated();
      const q = driver.make(g.process, base);
      const h1 = await q.submit({ id: 's1', userId: 'a', server: 'S1', kind: 'translate', payload: 's1' });
      await until(() => g.started.includes('s1'));
      const rest: JobHandle<string>[] = [];
      rest.push(await q.submit({ id: 's2', userId: 'b', server: 'S1', kind: 'detect-faces', payload: 's2' }));
      rest.push(await q.submit({ id: 's3', userId: 'c', server: 'S2', kind: 'translate', payload: 's3' }));
      rest.push(await q.submit({ id: 's4', userId: 'd', server: 'S2', kind: 'detect-faces', payload: 's4' }));
      expect(await q.stats('S1')).toEqual({
        waiting: 3,
        running: 1,
        stuck: 0,
        serverJobs: 2,
        waitingByKind: { 'detect-faces': 2, translate: 1 },
      });
      expect((await q.stats('S2')).serverJobs).toBe(2);
      expect((await q.stats('elsewhere')).serverJobs).toBe(0);
      rest[1]!.cancel();
      await expect(rest[1]!.result).rejects.toMatchObject({ code: 'cancelled' });
      await until(async () => (await q.stats('S2')).serverJobs === 1);
      g.release.get('s1')!();
      await h1.result;
      await until(async () => (await q.stats('S1')).serverJobs === 1);
      for (const h of rest) h.cancel();
      await Promise.allSettled(rest.map((h) => h.result));
    });

    it("fair share: one user's burst of 5 delays another user's single job by at most one job", async () => {
      const order: string[] = [];
      const q = driver.make<string, string>(
        async (p) => {
          order.push(p);
          // Longer than the six submits take, so bob's job arrives while alice's first one runs.
          await sleep(250);
          return p;
        },
        { ...base, maxWaitingPerUser: 5 },
      );
      const burst = [];
      for (let i = 1; i <= 5; i++) burst.push(await q.submit({ id: `a${i}`, userId: 'alice', payload: `a${i}` }));
      const single = await q.submit({ id: 'b1', userId: 'bob', payload: 'b1' });
      await Promise.all([...burst, single].map((h) => h.result));
      // alice's first job may already run (or be next in line): bob's comes right after it.
      expect(order.indexOf('b1')).toBeLessThanOrEqual(1);
      expect(order.filter((p) => p.startsWith('a'))).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    });

    it('close() ends waiting and running jobs with shutting_down, within its grace, and refuses new ones', async () => {
      const q = driver.make<string, string>(() => new Promise<string>(() => undefined), base);
      const running = await q.submit({ id: 'z1', userId: 'a', payload: 'z1' });
      const waiting = await q.submit({ id: 'z2', userId: 'b', payload: 'z2' });
      await sleep(100);
      const errors = [running, waiting].map((h) => h.result.catch((e) => e));
      const t0 = Date.now();
      await q.close(200);
      expect(Date.now() - t0).toBeLessThan(5_000);
      for (const e of errors) {
        const err = await e;
        expect(err.code).toBe('shutting_down');
        expect(err.localized('es')).toMatch(/reiniciando/);
      }
      await expect(
        Promise.resolve().then(() => q.submit({ id: 'z3', userId: 'c', payload: 'z3' })),
      ).rejects.toBeInstanceOf(SinapsisError);
    });
  });
}
