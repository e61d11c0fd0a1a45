// The adapter under a classroom's burst: 50 /detect-faces interactions from 25 users at once, each
// with a 1920×1448 photo, through the real discord.js bot against the fake Discord (its own process,
// which timestamps both ends). Jobs in worker threads against the peer in the same run: jobs on the
// adapter's own event loop (SINAPSIS_WORKER_THREADS=false). The event-loop delay is this process's:
// the adapter's. Settings given in the environment (SINAPSIS_CONCURRENCY, SINAPSIS_ORT_THREADS, and a
// queue or store driver when there is one) reach the app as they would `npm start`.
//
//   npm run --silent bench -- discord-load [--burst 50] [--users 25] [--modes threads,inline] [--memory]
//
// Scale-out mode: with SINAPSIS_REDIS_URL (and SINAPSIS_DATABASE_URL) in the environment,
// `--modes workers --workers 2 [--kill-one]` runs the adapter with no task of its own and N separate
// `npm run worker` processes (each a pool of SINAPSIS_CONCURRENCY threads); --kill-one sends kill -9
// to one of them once half the burst is answered. It counts answers per interaction (none twice).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import sharp from 'sharp';
import { startDiscord } from '../src/adapters/discord/bot.js';
import { APP_ID, GUILD_ID } from '../tests/fakes/discord/server.js';
import { testApp } from '../tests/helpers/app.js';
import { quantile, round } from './lib/stats.js';
import { startFakeDiscordProcess } from './lib/fake-discord.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODELS = path.resolve(process.env.SINAPSIS_MODELS_DIR ?? path.join(ROOT, '../shared/models'));
const FIXTURES = path.join(ROOT, 'tests/fixtures/models');
interface Call {
  at: number;
  method: string;
  path: string;
  json?: { content?: string };
  files: { name: string; size: number }[];
}
type Calls = { calls: Call[]; sentAt: Record<string, number> };

/** Settings from the environment the app should see (never the data dir: each run gets a fresh one). */
const fromEnv = () =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[0].startsWith('SINAPSIS_') && e[0] !== 'SINAPSIS_DATA_DIR' && e[1] !== undefined,
    ),
  );

/** A 1920×1448 photo made now from the shared crowd photo (shared data is never committed). */
async function photo(): Promise<Buffer> {
  const src = path.join(MODELS, '../data/faces-demo/1.jpg');
  return sharp(readFileSync(src)).resize(1920, 1448, { fit: 'cover' }).jpeg({ quality: 90 }).toBuffer();
}

const mb = (b: number) => round(b / 1024 / 1024, 1);

export async function run(args: string[]) {
  const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const burst = Number(opt('--burst')) || 50;
  const users = Number(opt('--users')) || 25;
  const modes = (opt('--modes') ?? 'threads,inline').split(',') as ('threads' | 'inline' | 'workers')[];
  const workerCount = Number(opt('--workers')) || 2;
  const killOne = args.includes('--kill-one');
  if (args.includes('--memory')) return memory();
  if (opt('--memory-one') !== undefined) return memoryOne(Number(opt('--memory-one')));

  const image = await photo();
  const meta = await sharp(image).metadata();
  const { port, ctl, stop: stopFake } = await startFakeDiscordProcess();
  const att = (await ctl('attachment', { name: 'class.jpg', base64: image.toString('base64') })) as { id: string };
  const send = async (user: string): Promise<string> =>
    (
      await ctl('command', {
        name: 'detect-faces',
        options: [{ name: 'image', type: 11, value: att.id }],
        opts: { attachments: { [att.id]: att }, userId: user },
      })
    ).id;
  const calls = (): Promise<Calls> => ctl('calls');
  const finalOf = (s: Calls, id: string) =>
    s.calls.find((c) => c.method === 'PATCH' && c.path.includes(`/tok-${id}/`) && c.files.length > 0);
  /** Polls the fake until every id has its answer; `each` sees every poll (the kill happens there). */
  const until = async (ids: string[], limitMs: number, each?: (s: Calls) => void) => {
    const end = performance.now() + limitMs;
    for (;;) {
      const s = await calls();
      each?.(s);
      if (ids.every((id) => finalOf(s, id)) || performance.now() > end) return s;
      // Seldom: the answer times are the fake's own stamps, and parsing its log costs this (measured) loop.
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  const out: Record<string, Record<string, number | string>> = {};
  for (const mode of modes) {
    const env = {
      ...fromEnv(),
      SINAPSIS_WORKER_THREADS: mode === 'inline' ? 'false' : 'true',
      ...(mode === 'workers' ? scaleOutEnv() : {}),
      SINAPSIS_QUEUE_MAX: String(burst * 2),
      SINAPSIS_JOB_TIMEOUT_S: '300',
      DISCORD_TOKEN: 'fake-token',
      DISCORD_APPLICATION_ID: APP_ID,
      DISCORD_GUILD_ID: GUILD_ID,
      DISCORD_API_URL: `http://127.0.0.1:${port}/api`,
      DISCORD_CDN_URLS: `http://127.0.0.1:${port}/cdn/`,
    };
    const rss0 = process.memoryUsage().rss;
    const app = testApp(env);
    await app.stores.ready();
    const workers = mode === 'workers' ? await startWorkers(workerCount, env) : [];
    const bot = await startDiscord({ ...app, logger: pino({ level: 'silent' }) });
    // Both sides start warm: every worker has its model loaded and has run once.
    await app.warm(['yunet-n']);
    const slots = mode === 'workers' ? workerCount * app.config.SINAPSIS_CONCURRENCY : (app.pool?.size ?? 1);
    const warm = await Promise.all(
      Array.from({ length: slots }, (_, k) => send(String(790000000000000000n + BigInt(k)))),
    );
    await until(warm, 120_000);
    const workerRss = workers.map((w) => rssOf(w.pid!));
    const rssWarm = process.memoryUsage().rss;

    let peak = rssWarm;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    // Node records each whole timer interval: with a 1 ms resolution an idle loop reads about 1 ms.
    const loop = monitorEventLoopDelay({ resolution: 1 });
    const elu0 = performance.eventLoopUtilization();
    loop.enable();
    const ids = await Promise.all(
      Array.from({ length: burst }, (_, k) => send(String(710000000000000000n + BigInt(k % users)))),
    );
    let killedAt: number | undefined;
    const s = await until(ids, 300_000, (now) => {
      // kill -9 one worker process once half the burst is answered: its running jobs must be retried elsewhere.
      if (!killOne || !workers.length || killedAt !== undefined) return;
      if (ids.filter((id) => finalOf(now, id)).length >= burst / 2) {
        workers[0]!.kill('SIGKILL');
        killedAt = performance.now();
      }
    });
    loop.disable();
    clearInterval(sampler);
    const elu = performance.eventLoopUtilization(elu0);
    const start = Math.min(...ids.map((id) => s.sentAt[id]!));
    const defers = ids.map(
      (id) =>
        s.calls.find((c) => c.method === 'POST' && c.path.startsWith(`/api/v10/interactions/${id}/`))!.at -
        s.sentAt[id]!,
    );
    const finals = ids.map((id) => finalOf(s, id)).filter((c): c is Call => Boolean(c));
    const answers = finals.map((c) => c.at - start);
    // Every reply edit carrying a picture, per interaction: 1 each, or someone was answered twice.
    const answersPerId = ids.map((id) => s.calls.filter((c) => isFinalFor(c, id)).length);
    // The last edit of a reply without a picture: that user got an error (or nothing) instead of an answer.
    const failedReplies = ids.filter((id) => {
      const edits = s.calls.filter((c) => c.method === 'PATCH' && c.path.includes(`/tok-${id}/`));
      return !edits.at(-1)?.files.length;
    }).length;
    const imageBytes = finals.map((c) => c.files[0]!.size);
    out[mode] = {
      interactions: burst,
      users,
      answered: finals.length,
      with_faces: finals.filter((c) => /\d+ (faces|caras)/.test(c.json?.content ?? '')).length,
      defer_p99_ms: round(quantile(defers, 0.99)),
      answer_p50_ms: round(quantile(answers, 0.5)),
      last_answer_ms: round(Math.max(...answers)),
      loop_delay_p50_ms: round(loop.percentile(50) / 1e6),
      loop_delay_p99_ms: round(loop.percentile(99) / 1e6),
      loop_delay_max_ms: round(loop.max / 1e6),
      loop_utilization: round(elu.utilization, 3),
      answer_image_kb: round(quantile(imageBytes, 0.5) / 1024, 0),
      answered_twice: answersPerId.filter((n) => n > 1).length,
      error_replies: failedReplies,
      ...(workers.length
        ? {
            worker_processes: workers.length,
            worker_rss_warm_mb: workerRss.map(mb).join(', '),
            killed_one_worker: killedAt !== undefined ? 'yes' : 'no',
          }
        : {}),
      rss_warm_mb_over_start: mb(rssWarm - rss0),
      rss_peak_mb: mb(peak),
      pool: workers.length
        ? `${workers.length} worker processes × ${app.config.SINAPSIS_CONCURRENCY} threads`
        : app.pool
          ? `${app.pool.size} threads`
          : 'none (in the adapter thread)',
      concurrency: app.config.SINAPSIS_CONCURRENCY,
      ort_threads: app.config.SINAPSIS_ORT_THREADS,
    };
    await bot.stop();
    await app.dispose();
    for (const w of workers) w.kill('SIGTERM');
  }
  stopFake();

  console.log(
    JSON.stringify(
      { photo: `${meta.width}×${meta.height} JPEG, ${round(image.length / 1024, 0)} KB`, ...out },
      null,
      2,
    ),
  );
  if (out.workers)
    console.log(
      JSON.stringify({
        targets_workers: {
          all_answered: out.workers.answered === burst,
          none_twice: out.workers.answered_twice === 0,
          loop_p99_lt_20ms: Number(out.workers.loop_delay_p99_ms) < 20,
        },
      }),
    );
  const [a, b] = [out.threads, out.inline];
  if (a && b)
    console.log(
      JSON.stringify({
        last_answer_threads_over_inline: round(Number(a.last_answer_ms) / Number(b.last_answer_ms)),
        loop_p99_threads_over_inline: round(Number(a.loop_delay_p99_ms) / Number(b.loop_delay_p99_ms)),
        defer_p99_threads_over_inline: round(Number(a.defer_p99_ms) / Number(b.defer_p99_ms)),
        targets: {
          all_answered: a.answered === burst,
          last_answer_le_5s: Number(a.last_answer_ms) <= 5_000,
          loop_p99_lt_20ms: Number(a.loop_delay_p99_ms) < 20,
        },
      }),
    );
}

/**
 * RSS a worker thread adds with every default model of the tiny set loaded (each command run once in
 * each worker): pools of 0 (jobs in the main thread), 1 and 2 threads, each in a fresh process so
 * one measurement's freed pages do not hide the next one's.
 */
async function memory() {
  const rows: { threads: number; rss_over_start_mb: number }[] = [];
  for (const threads of [0, 1, 2]) {
    const child = spawn(
      path.join(ROOT, 'node_modules/.bin/tsx'),
      [path.join(ROOT, 'bench/run.ts'), 'discord-load', '--memory-one', String(threads)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let text = '';
    for await (const c of child.stdout!) text += c;
    rows.push(JSON.parse(text.trim().split('\n').pop()!));
  }
  console.log(JSON.stringify(rows, null, 2));
  const [none, one, two] = rows;
  console.log(
    JSON.stringify({
      first_thread_mb: round(one!.rss_over_start_mb - none!.rss_over_start_mb, 1),
      second_thread_mb: round(two!.rss_over_start_mb - one!.rss_over_start_mb, 1),
    }),
  );
}

async function memoryOne(threads: number) {
  const env = {
    ...fromEnv(),
    SINAPSIS_TRANSLATION_MODELS: `es-en=${FIXTURES}/marian-tiny-es-en,en-es=${FIXTURES}/marian-tiny-en-es`,
    SINAPSIS_COLORIZE_MODEL: path.join(FIXTURES, 'colorizer-tiny/colorizer-tiny-512.onnx'),
    SINAPSIS_TEXT_MODEL: path.join(MODELS, 'stories260K'),
    SINAPSIS_EMBEDDING_MODEL: path.join(FIXTURES, 'bert-tiny-embed'),
  };
  const image = await photo();
  const none: Record<string, Buffer> = {};
  const jobs: { command: string; options: Record<string, string>; images: Record<string, Buffer> }[] = [
    { command: 'detect-faces', options: {}, images: { image } },
    { command: 'colorize', options: {}, images: { image } },
    { command: 'translate', options: { text: 'hola, ¿cómo andás?' }, images: none },
    { command: 'generate-text', options: { prompt: 'Once upon a time' }, images: none },
    { command: 'explain', options: { topic: 'convolution' }, images: none },
  ];
  const rss0 = process.memoryUsage().rss;
  const app = testApp({
    ...env,
    SINAPSIS_WORKER_THREADS: threads ? 'true' : 'false',
    SINAPSIS_CONCURRENCY: String(threads || 1),
  });
  const failed: string[] = [];
  await app.warm([]);
  // As many of each job at once as there are threads: every worker loads every model.
  for (const job of jobs)
    await Promise.all(
      Array.from({ length: threads || 1 }, (_, k) =>
        app.service
          .run({ ...job, ctx: { platform: 'bench', userId: `u${k}`, lang: 'en' } })
          .catch((e) => failed.push(`${job.command}: ${(e as Error).message}`)),
      ),
    );
  const rss = process.memoryUsage().rss;
  const perThread = threads ? await app.pool!.memory() : [];
  console.log(
    JSON.stringify({
      threads,
      rss_mb: mb(rss),
      rss_over_start_mb: mb(rss - rss0),
      heap_per_thread_mb: perThread.map((m) => mb(m.heapUsed)),
      failed,
    }),
  );
  await app.dispose();
}

/** A reply edit with a picture for this interaction (the answer). */
function isFinalFor(c: Call, id: string): boolean {
  return c.method === 'PATCH' && c.path.includes(`/tok-${id}/`) && c.files.length > 0;
}

/** The adapter runs no task of its own; a fresh prefix keeps earlier runs' jobs out; a dead worker's job is retried after 5 s. */
function scaleOutEnv(): Record<string, string> {
  if (!process.env.SINAPSIS_REDIS_URL)
    throw new Error('--modes workers needs SINAPSIS_REDIS_URL (and SINAPSIS_DATABASE_URL)');
  return {
    SINAPSIS_WORKERS: '0',
    SINAPSIS_REDIS_PREFIX: `bench-${process.pid}-${Date.now()}`,
    SINAPSIS_REDIS_STALL_S: process.env.SINAPSIS_REDIS_STALL_S ?? '5',
  };
}

/** N `npm run worker` processes (src/worker.ts), each warmed on YuNet in every thread; resolves once all say ready. */
async function startWorkers(n: number, env: Record<string, string>): Promise<ChildProcess[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sinapsis-bench-worker-'));
  return Promise.all(
    Array.from({ length: n }, async () => {
      // Node itself with tsx's loader (not the tsx launcher, which would put its own process between
      // kill -9 and the worker, and whose RSS is not the worker's).
      const w = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/worker.ts')], {
        env: {
          ...process.env,
          ...env,
          SINAPSIS_DATA_DIR: dataDir,
          SINAPSIS_MODELS_DIR: MODELS,
          SINAPSIS_AUTO_DOWNLOAD: 'false',
          SINAPSIS_WARM_MODELS: 'yunet-n',
          LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const lines = createInterface({ input: w.stdout! });
      await new Promise<void>((resolve, reject) => {
        lines.on('line', (l) => l.includes('worker ready') && resolve());
        w.once('exit', (code) => reject(new Error(`a worker exited (${code}) before it was ready`)));
      });
      return w;
    }),
  );
}

/** Resident memory of a process, from /proc (bytes). */
function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb ?? 0) * 1024;
}
