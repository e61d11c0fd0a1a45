import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { createProcessor, type JobPayload } from '../src/core/processor.js';
import { SinapsisError } from '../src/errors.js';
import { registryFromConfig } from '../src/models/setup.js';
import { MemoryQueue } from '../src/queue/memory-queue.js';
import { createThreadPool, type ThreadPool, workerArgs } from '../src/queue/thread-pool.js';
import type { JobProgress, Processor } from '../src/queue/types.js';
import type { TaskResult } from '../src/tasks/types.js';
import './fixtures/pool-tasks.js';
import { tempDir, testApp } from './helpers/app.js';
import { describeWith, facesDir, MODELS_DIR, yunetFile } from './helpers/assets.js';

const photo = path.join(facesDir, '2008_001009.jpg'); // 360×480, two faces
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const dataDir = tempDir();
const config = loadConfig(
  { SINAPSIS_DATA_DIR: dataDir, SINAPSIS_MODELS_DIR: MODELS_DIR, SINAPSIS_AUTO_DOWNLOAD: 'false' },
  { dotenv: false },
);
const payload = (command: string, images: Record<string, Buffer> = {}): JobPayload => ({
  command,
  task: command,
  options: {},
  images,
  lang: 'es',
  langSource: 'platform',
});

interface Runner {
  name: string;
  process: Processor<JobPayload, TaskResult>;
  pool?: ThreadPool;
  close(): Promise<void>;
}

function inThread(): Runner {
  const models = registryFromConfig(config, quiet);
  return { name: 'in this thread', process: createProcessor({ models }), close: () => models.close() };
}

function threads(): Runner {
  const pool = createThreadPool(config, quiet, {
    size: 2,
    preload: [new URL('./fixtures/pool-tasks.ts', import.meta.url).href],
    stopGraceMs: 500,
  });
  return { name: 'worker threads', process: pool.run, pool, close: () => pool.close() };
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** A queue over `make()`'s runner for the enclosing describe block, closed after it. */
function queueOver(make: () => Runner) {
  const ctx = {} as { runner: Runner; queue: MemoryQueue<JobPayload, TaskResult> };
  beforeAll(() => {
    ctx.runner = make();
    ctx.queue = new MemoryQueue(ctx.runner.process, {
      concurrency: 2,
      maxWaiting: 10,
      maxWaitingPerUser: 10,
      timeoutMs: 20_000,
    });
  });
  afterAll(async () => {
    await ctx.queue.close(1_000);
    await ctx.runner.close();
  });
  return ctx;
}

describe.each([
  ['in this thread', inThread],
  ['worker threads', threads],
])('the queue running jobs %s', (_name, make) => {
  const on = queueOver(make);

  it('streams progress in order and returns the images byte for byte, as Buffers', async () => {
    const upload = randomBytes(3 * 1024 * 1024);
    const seen: JobProgress[] = [];
    const r = await on.queue.submit(
      { id: 'e', userId: 'u', payload: payload('pool-echo', { image: upload }) },
      { onProgress: (p) => seen.push(p) },
    ).result;
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => ({ text: `token ${i + 1}` })));
    expect(r.text).toBe(`true ${upload.length}`);
    expect(Buffer.isBuffer(r.images[0]!.data)).toBe(true);
    expect(r.images[0]!.data.equals(Buffer.from(upload).reverse())).toBe(true);
    // The caller keeps its upload (copied to the worker, not handed over): a re-run after a restart needs it.
    expect(upload.length).toBe(3 * 1024 * 1024);
  });

  it("a task's own error keeps its code and values: the user reads it in their language", async () => {
    const err = await on.queue.submit({ id: 'f', userId: 'u', payload: payload('pool-fail') }).result.catch((e) => e);
    expect(err).toBeInstanceOf(SinapsisError);
    expect(err.code).toBe('invalid_option');
    expect((err as SinapsisError).localized('es')).toContain('x');
  });

  it('cancels a running job at once, and the next job runs', async () => {
    const h = on.queue.submit({ id: 'w', userId: 'u', payload: payload('pool-wait') });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    h.cancel();
    await expect(h.result).rejects.toMatchObject({ code: 'cancelled' });
    expect(Date.now() - t0).toBeLessThan(500);
    const r = await on.queue.submit({ id: 'e2', userId: 'u', payload: payload('pool-echo') }).result;
    expect(r.text).toBe('false 0');
    await expect.poll(() => on.queue.stats()).toMatchObject({ running: 0, stuck: 0 });
  });

  describeWith('detect-faces on the real YuNet', [yunetFile, photo], () => {
    it('finds both faces and sends back a picture that decodes', async () => {
      const r = await on.queue.submit({
        id: 'd',
        userId: 'u',
        payload: payload('detect-faces', { image: readFileSync(photo) }),
      }).result;
      expect(r.data.faces).toHaveLength(2);
      expect(r.text).toMatch(/2 caras/);
      const meta = await sharp(r.images[0]!.data).metadata();
      expect([meta.width, meta.height]).toEqual([360, 480]);
    });
  });
});

describe('worker threads: what only threads can do', () => {
  const on = queueOver(threads);

  it('jobs run off the main thread', async () => {
    const r = await on.queue.submit({ id: 't', userId: 'u', payload: payload('pool-thread') }).result;
    expect(r.text).toMatch(/^false \d+$/);
  });

  it.each(['pool-crash', 'pool-throw-later'])(
    'a worker that dies (%s) fails its job with a clear localized error, and the next job runs',
    async (command) => {
      const err = await on.queue.submit({ id: command, userId: 'u', payload: payload(command) }).result.catch((e) => e);
      expect(err).toMatchObject({ code: 'worker_crashed' });
      expect((err as SinapsisError).localized('es')).toMatch(/se cortó de golpe/);
      expect((err as SinapsisError).localized('en')).toMatch(/stopped unexpectedly/);
      const r = await on.queue.submit({ id: `${command}-next`, userId: 'u', payload: payload('pool-echo') }).result;
      expect(r.text).toBe('false 0');
    },
  );

  it('work that ignores being stopped loses its thread: a fresh one runs the next job, nothing stays stuck', async () => {
    const spin = on.queue.submit({ id: 's', userId: 'u', payload: payload('pool-spin') });
    await new Promise((r) => setTimeout(r, 300));
    spin.cancel();
    await expect(spin.result).rejects.toMatchObject({ code: 'cancelled' });
    const r = await on.queue.submit({ id: 's-next', userId: 'u', payload: payload('pool-echo') }).result;
    expect(r.text).toBe('false 0');
    await expect.poll(() => on.queue.stats()).toMatchObject({ running: 0, stuck: 0 });
  });

  it('work that ignores being stopped but only waits (a stalled download) lingers like in one thread: stuck until it ends, and the next job runs meanwhile', async () => {
    // One thread, started before the clock runs: the next job must run in the same one, beside the stopped work.
    const pool = createThreadPool(config, quiet, {
      size: 1,
      preload: [new URL('./fixtures/pool-tasks.ts', import.meta.url).href],
      stopGraceMs: 300,
    });
    await pool.start();
    const q = new MemoryQueue(pool.run, {
      concurrency: 1,
      maxWaiting: 2,
      maxWaitingPerUser: 2,
      timeoutMs: 20_000,
      stopGraceMs: 300,
    });
    const waiting = q.submit({ id: 'io', userId: 'u', payload: payload('pool-io-wait') });
    await new Promise((r) => setTimeout(r, 300));
    waiting.cancel();
    await expect(waiting.result).rejects.toMatchObject({ code: 'cancelled' });
    const r = await q.submit({ id: 'io-next', userId: 'u', payload: payload('pool-thread') }).result;
    expect(r.text).toMatch(/^false \d+$/);
    expect(q.stats()).toMatchObject({ stuck: 1 });
    await expect.poll(() => q.stats(), { timeout: 5_000 }).toMatchObject({ running: 0, stuck: 0 });
    await q.close(1_000);
    await pool.close();
  });

  it('times a job out like the in-thread queue does', async () => {
    const q = new MemoryQueue(on.runner.process, {
      concurrency: 1,
      maxWaiting: 1,
      maxWaitingPerUser: 1,
      timeoutMs: 1_000,
    });
    await expect(q.submit({ id: 'slow', userId: 'u', payload: payload('pool-wait') }).result).rejects.toMatchObject({
      code: 'timeout',
    });
    await q.close(1_000);
  });

  describeWith('warming', [yunetFile], () => {
    it('warm() starts every worker and loads the model in each; memory() answers per thread', async () => {
      await on.runner.pool!.warm(['yunet-n']);
      const mem = await on.runner.pool!.memory();
      expect(mem).toHaveLength(2);
      for (const m of mem) expect(m.heapUsed).toBeGreaterThan(0);
    });
  });

  it('close() ends running work with shutting_down and refuses new jobs', async () => {
    const pool = threads().pool!;
    const running = pool.run(payload('pool-wait'), new AbortController().signal, () => undefined).catch((e) => e);
    await new Promise((r) => setTimeout(r, 200));
    await pool.close();
    await expect(running).resolves.toMatchObject({ code: 'shutting_down' });
    await expect(pool.run(payload('pool-echo'), new AbortController().signal, () => undefined)).rejects.toMatchObject({
      code: 'shutting_down',
    });
  });
});

describeWith(
  'the app with worker threads (SINAPSIS_WORKER_THREADS, the default outside tests)',
  [yunetFile, photo],
  () => {
    it('runs detect-faces through the service in a worker, and closes cleanly', async () => {
      const app = testApp({ SINAPSIS_WORKER_THREADS: 'true', SINAPSIS_CONCURRENCY: '1' });
      try {
        expect(app.pool?.size).toBe(1);
        const r = await app.service.run({
          command: 'detect-faces',
          options: {},
          images: { image: readFileSync(photo) },
          ctx: { platform: 'test', userId: 'u', lang: 'en' },
        });
        expect(r.data.faces).toHaveLength(2);
        expect(app.service.queue.stats()).toMatchObject({ running: 0, waiting: 0, stuck: 0 });
      } finally {
        await app.dispose();
      }
    });
  },
);

it("a worker keeps the parent's node options, and imports its preloads once TypeScript is set up (not before)", () => {
  const { execArgv, imports } = workerArgs([
    '--require',
    '/x/node_modules/tsx/dist/preflight.cjs',
    '--import',
    'file:///x/node_modules/tsx/dist/loader.mjs',
    '--import',
    './tests/fixtures/toy-command/register.ts',
    '--import=some-package',
    '--max-old-space-size=512',
  ]);
  expect(execArgv).toEqual(['--max-old-space-size=512']);
  expect(imports).toEqual([pathToFileURL(path.resolve('tests/fixtures/toy-command/register.ts')).href, 'some-package']);
});
