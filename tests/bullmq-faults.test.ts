import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { SinapsisError } from '../src/errors.js';
import { BullmqQueue } from '../src/queue/bullmq-queue.js';
import { startBullmqWorker } from '../src/queue/bullmq-worker.js';
import { assertRedisReachable } from '../src/queue/redis.js';
import { ROOT } from './helpers/assets.js';
import { describeRedis, dropPrefix, REDIS_URL, testPrefix } from './helpers/redis.js';

type P = { ms: number; fail?: boolean };
type R = { by: number };
const prefixes: string[] = [];
const closers: (() => Promise<unknown> | void)[] = [];
const children: ChildProcess[] = [];
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const close of closers) await close();
  for (const p of prefixes) await dropPrefix(p);
});

function queue(prefix: string, opts: Partial<ConstructorParameters<typeof BullmqQueue>[0]> = {}) {
  const q = new BullmqQueue<P, R>({
    url: REDIS_URL,
    prefix,
    maxWaiting: 10,
    maxWaitingPerUser: 10,
    timeoutMs: 30_000,
    ttlMs: 60_000,
    refreshMs: 100,
    ...opts,
  });
  closers.push(() => q.close(500));
  return q;
}

/** A worker in its own process (tests/helpers/bullmq-child-worker.ts); `running` resolves when it takes a job up. */
function childWorker(prefix: string) {
  // Node itself with tsx's loader (not the tsx wrapper): the pid killed is the worker's own.
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/bullmq-child-worker.ts'], {
    cwd: ROOT,
    env: { ...process.env, TEST_REDIS_URL: REDIS_URL, TEST_PREFIX: prefix, TEST_STALL_MS: '1000' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  let out = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout!.on('data', (d) => {
    out += String(d);
    for (const w of waiters.splice(0))
      if (out.includes(w.text)) w.resolve();
      else waiters.push(w);
  });
  const saw = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (out.includes(text)) return resolve();
      waiters.push({ text, resolve });
      setTimeout(() => reject(new Error(`worker ${child.pid} never printed "${text}"`)), 30_000);
    });
  return { child, ready: saw('ready'), running: () => saw('running 1') };
}

/** The adapter process "crashes": its connections drop, nothing is cleaned up in Redis. */
function crash(q: BullmqQueue<P, R>) {
  const internals = q as unknown as {
    redis: { disconnect(): void };
    eventsRedis: { disconnect(): void };
    closed: boolean;
    owned: Map<string, unknown>;
  };
  internals.closed = true;
  internals.owned.clear();
  internals.redis.disconnect();
  internals.eventsRedis.disconnect();
}

describeRedis('BullMQ queue: faults', () => {
  it('a worker killed mid-job: the job runs again on another worker, and is answered once', async () => {
    const prefix = testPrefix('faults-kill');
    prefixes.push(prefix);
    const q = queue(prefix);
    const a = childWorker(prefix);
    await a.ready;
    const starts: number[] = [];
    const h = await q.submit(
      { id: 'k1', userId: 'u', payload: { ms: 1_500 } },
      { onStart: () => starts.push(Date.now()) },
    );
    await a.running();
    a.child.kill('SIGKILL');
    const b = childWorker(prefix);
    await b.ready;
    const r = await h.result;
    expect(r.by).toBe(b.child.pid);
    // onStart once: the retry is the same job, not a second answer.
    expect(starts.length).toBe(1);
    b.child.kill('SIGTERM');
  });

  it('a job whose worker dies twice fails with a clear localized message', async () => {
    const prefix = testPrefix('faults-twice');
    prefixes.push(prefix);
    const q = queue(prefix);
    const a = childWorker(prefix);
    await a.ready;
    const h = await q.submit({ id: 'k2', userId: 'u', payload: { ms: 20_000 } });
    const outcome = h.result.catch((e) => e);
    await a.running();
    a.child.kill('SIGKILL');
    const b = childWorker(prefix);
    await b.running();
    b.child.kill('SIGKILL');
    const c = childWorker(prefix);
    await c.ready;
    const err = await outcome;
    expect(err).toBeInstanceOf(SinapsisError);
    expect(err.code).toBe('worker_lost');
    expect(err.localized('es')).toMatch(/se detuvo dos veces/);
    expect(err.localized('en')).toMatch(/stopped twice/);
    c.child.kill('SIGTERM');
  });

  it("a task's own error (a bad photo) is not retried", async () => {
    const prefix = testPrefix('faults-noretry');
    prefixes.push(prefix);
    const q = queue(prefix);
    let calls = 0;
    q.runWorkers(
      async () => {
        calls++;
        throw new SinapsisError('corrupt_image');
      },
      1,
      { stallMs: 300 },
    );
    const h = await q.submit({ id: 'bad', userId: 'u', payload: { ms: 0 } });
    await expect(h.result).rejects.toMatchObject({ code: 'corrupt_image' });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(calls).toBe(1);
  });

  it('a waiting job survives a restart of its adapter: the new process attaches to it by id, it runs once', async () => {
    const prefix = testPrefix('faults-restart');
    prefixes.push(prefix);
    const first = queue(prefix);
    await first.submit({ id: 'w1', userId: 'u', payload: { ms: 10 } });
    crash(first);
    const second = queue(prefix);
    const calls: number[] = [];
    second.runWorkers(
      async (p) => {
        calls.push(p.ms);
        return { by: p.ms };
      },
      1,
      { stallMs: 1_000 },
    );
    // Service re-submits with the same id (and a payload rebuilt from the accepted row).
    const h = await second.submit({ id: 'w1', userId: 'u', payload: { ms: 99 } });
    await expect(h.result).resolves.toEqual({ by: 10 });
    expect(calls).toEqual([10]);
  });

  it('a job that finished while its adapter was down: the restarted adapter gets its result without running it again', async () => {
    const prefix = testPrefix('faults-done');
    prefixes.push(prefix);
    const first = queue(prefix);
    const img = Buffer.alloc(50_000, 3);
    const withImage = first as unknown as BullmqQueue<{ img: Buffer }, { img: Buffer }>;
    await withImage.submit({ id: 'd1', userId: 'u', payload: { img } });
    crash(first);
    let calls = 0;
    const worker = startBullmqWorker<{ img: Buffer }, { img: Buffer }>(
      async (p) => {
        calls++;
        return { img: Buffer.concat([p.img, p.img]) };
      },
      { url: REDIS_URL, prefix, concurrency: 1, timeoutMs: 5_000, ttlMs: 60_000, stallMs: 1_000 },
    );
    closers.push(() => worker.close(500));
    const probe = queue(prefix);
    for (let i = 0; i < 100 && calls === 0; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    expect((await probe.stats()).running).toBe(0);
    const second = queue(prefix) as unknown as BullmqQueue<{ img: Buffer }, { img: Buffer }>;
    const h = await second.submit({ id: 'd1', userId: 'u', payload: { img: Buffer.alloc(1) } });
    const r = await h.result;
    expect(r.img.length).toBe(100_000);
    expect(calls).toBe(1);
  });

  it('two adapter processes agree: bounds and fair priorities are counted in Redis, and each gets only its own results', async () => {
    const prefix = testPrefix('faults-two');
    prefixes.push(prefix);
    const a = queue(prefix, { maxWaitingPerUser: 2 });
    const b = queue(prefix, { maxWaitingPerUser: 2 });
    const order: number[] = [];
    a.runWorkers(
      async (p) => {
        order.push(p.ms);
        await new Promise((r) => setTimeout(r, 200));
        return { by: p.ms };
      },
      1,
      { stallMs: 1_000 },
    );
    // alice: one running and two waiting, submitted through both adapters.
    const alice = [await a.submit({ id: 'a1', userId: 'alice', payload: { ms: 1 } })];
    for (let i = 0; i < 50 && order.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    alice.push(await a.submit({ id: 'a2', userId: 'alice', payload: { ms: 2 } }));
    alice.push(await b.submit({ id: 'a3', userId: 'alice', payload: { ms: 3 } }));
    await expect(
      Promise.resolve().then(() => b.submit({ id: 'a4', userId: 'alice', payload: { ms: 4 } })),
    ).rejects.toMatchObject({
      code: 'user_queue_full',
    });
    // bob's single job, through the other adapter, goes before alice's waiting ones.
    const bob = await b.submit({ id: 'b1', userId: 'bob', payload: { ms: 10 } });
    const heard: string[] = [];
    for (const h of alice) void h.result.then((r) => heard.push(`a${r.by}`));
    await expect(bob.result).resolves.toEqual({ by: 10 });
    await Promise.all(alice.map((h) => h.result));
    expect(order).toEqual([1, 10, 2, 3]);
    expect(heard.sort()).toEqual(['a1', 'a2', 'a3']);
  });

  it('images travel by reference: job data, results and events stay small, and the image keys expire', async () => {
    const prefix = testPrefix('faults-refs');
    prefixes.push(prefix);
    const q = queue(prefix, { ttlMs: 60_000 }) as unknown as BullmqQueue<{ img: Buffer }, { img: Buffer }>;
    q.runWorkers(async (p) => ({ img: Buffer.concat([p.img, p.img]) }), 1, { stallMs: 1_000 });
    const img = Buffer.alloc(2_000_000, 9);
    const r = await (await q.submit({ id: 'big', userId: 'u', payload: { img } })).result;
    expect(r.img.length).toBe(4_000_000);
    const redis = new Redis(REDIS_URL);
    try {
      const job = await redis.hgetall(`${prefix}:jobs:big`);
      expect(job.data!.length).toBeLessThan(500);
      expect(job.returnvalue!.length).toBeLessThan(500);
      const events = await redis.xrange(`${prefix}:jobs:events`, '-', '+');
      const biggest = Math.max(...events.map(([, fields]) => fields.join('').length));
      expect(biggest).toBeLessThan(1_000);
      // The input was dropped once used; the result expires a minute after it was read.
      const blobs = await redis.keys(`${prefix}:blob:*`);
      expect(blobs.length).toBe(1);
      const ttl = await redis.pttl(blobs[0]!);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    } finally {
      redis.disconnect();
    }
  });

  it('Redis unreachable at start: a clear error naming SINAPSIS_REDIS_URL, and `npm run worker` exits non-zero', async () => {
    await expect(assertRedisReachable('redis://127.0.0.1:6399', 2_000)).rejects.toThrow(/SINAPSIS_REDIS_URL/);
    let failed: { status: number; out: string } | undefined;
    try {
      execFileSync(TSX, ['src/worker.ts'], {
        cwd: ROOT,
        env: { ...process.env, SINAPSIS_REDIS_URL: 'redis://127.0.0.1:6399', LOG_LEVEL: 'info' },
        stdio: 'pipe',
        timeout: 30_000,
      });
    } catch (e) {
      const err = e as { status: number; stdout: Buffer; stderr: Buffer };
      failed = { status: err.status, out: `${err.stdout}${err.stderr}` };
    }
    expect(failed?.status).not.toBe(0);
    expect(failed?.out).toMatch(/SINAPSIS_REDIS_URL/);
    // `npm start` too: nothing is served without the queue it was told to use.
    failed = undefined;
    try {
      execFileSync(TSX, ['src/main.ts'], {
        cwd: ROOT,
        env: { ...process.env, SINAPSIS_REDIS_URL: 'redis://127.0.0.1:6399', PORT: '0' },
        stdio: 'pipe',
        timeout: 30_000,
      });
    } catch (e) {
      const err = e as { status: number; stdout: Buffer; stderr: Buffer };
      failed = { status: err.status, out: `${err.stdout}${err.stderr}` };
    }
    expect(failed?.status).toBe(1);
    expect(failed?.out).toMatch(/SINAPSIS_REDIS_URL/);
  });

  it('Redis lost while running: submits are refused with queue_unavailable, and work again when it is back', async () => {
    const port = 6390 + Math.floor(Math.random() * 9);
    const url = `redis://127.0.0.1:${port}`;
    const start = () =>
      execFileSync('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--daemonize', 'yes']);
    const stop = () => {
      try {
        execFileSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave'], { stdio: 'ignore' });
      } catch {
        // already down
      }
    };
    start();
    closers.push(stop);
    await assertRedisReachable(url, 5_000).catch(async () => {
      await new Promise((r) => setTimeout(r, 500));
      await assertRedisReachable(url, 5_000);
    });
    const q = queue('lost', { url });
    q.runWorkers(async (p) => ({ by: p.ms }), 1, { stallMs: 1_000 });
    await expect((await q.submit({ id: 'l1', userId: 'u', payload: { ms: 1 } })).result).resolves.toEqual({ by: 1 });
    stop();
    await new Promise((r) => setTimeout(r, 300));
    const err = await Promise.resolve()
      .then(() => q.submit({ id: 'l2', userId: 'u', payload: { ms: 2 } }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(SinapsisError);
    expect(err.code).toBe('queue_unavailable');
    expect(err.localized('es')).toMatch(/Probá de nuevo/);
    await expect(Promise.resolve().then(() => q.stats('S'))).rejects.toMatchObject({ code: 'queue_unavailable' });
    start();
    let result: R | undefined;
    for (let i = 0; i < 60 && !result; i++) {
      await new Promise((r) => setTimeout(r, 250));
      result = await Promise.resolve()
        .then(() => q.submit({ id: `l3-${i}`, userId: 'u', payload: { ms: 3 } }))
        .then((h) => h.result)
        .catch(() => undefined);
    }
    expect(result).toEqual({ by: 3 });
  });
});
