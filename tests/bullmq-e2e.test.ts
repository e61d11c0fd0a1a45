import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, expect, it } from 'vitest';
import { buildWebServer } from '../src/adapters/web/server.js';
import { loadConfig } from '../src/config/index.js';
import { createApp, type App } from '../src/core/app.js';
import type { RecoveredOutcome } from '../src/core/service.js';
import { describeWith, facesDir, MODELS_DIR, ROOT, yunetFile } from './helpers/assets.js';
import type { RecordedCall } from './fakes/discord/server.js';
import { startBotAgainstFake } from './helpers/discord.js';
import { form } from './helpers/web.js';
import { describeRedis, dropPrefix, REDIS_URL, testPrefix } from './helpers/redis.js';

const prefix = testPrefix('e2e');
const dirs: string[] = [];
const children: ChildProcess[] = [];
const apps: App[] = [];

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const a of apps) await a.close().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await dropPrefix(prefix);
});

const env = (extra: Record<string, string> = {}) => ({
  SINAPSIS_MODELS_DIR: MODELS_DIR,
  SINAPSIS_AUTO_DOWNLOAD: 'false',
  SINAPSIS_REDIS_URL: REDIS_URL,
  SINAPSIS_REDIS_PREFIX: prefix,
  SINAPSIS_REDIS_STALL_S: '2',
  SINAPSIS_CONCURRENCY: '1',
  ...extra,
});
function tmp() {
  const d = mkdtempSync(path.join(os.tmpdir(), 'sinapsis-test-'));
  dirs.push(d);
  return d;
}
function appOn(dir: string, extra: Record<string, string> = {}) {
  const app = createApp(loadConfig({ SINAPSIS_DATA_DIR: dir, ...env(extra) }, { dotenv: false }), {
    logger: pino({ level: 'silent' }),
  });
  apps.push(app);
  return app;
}
const photo = readFileSync(path.join(facesDir, readdirSync(facesDir).find((f) => f.endsWith('.jpg'))!));

describeRedis('BullMQ end to end', () => {
  describeWith('with YuNet and photos', [yunetFile, facesDir], () => {
    it('the playground queues /detect-faces on Redis and a separate `npm run worker` process answers it', async () => {
      const worker = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
        cwd: ROOT,
        env: { ...process.env, ...env({ SINAPSIS_DATA_DIR: tmp(), LOG_LEVEL: 'info' }) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(worker);
      await new Promise<void>((resolve, reject) => {
        let out = '';
        worker.stdout!.on('data', (d) => {
          out += String(d);
          if (out.includes('worker ready')) resolve();
        });
        worker.on('exit', (code) => reject(new Error(`worker exited ${code}: ${out}`)));
      });
      const app = appOn(tmp(), { SINAPSIS_WORKERS: '0' });
      const web = await buildWebServer(app);
      await web.listen({ port: 0, host: '127.0.0.1' });
      try {
        const url = `http://127.0.0.1:${(web.server.address() as { port: number }).port}`;
        const r = await fetch(`${url}/api/commands/detect-faces?inline=1`, {
          method: 'POST',
          body: form({ image: photo }),
        });
        const body = await r.json();
        expect(r.status, JSON.stringify(body)).toBe(200);
        expect(body.data.faces.length).toBeGreaterThan(0);
        expect(body.images.length).toBeGreaterThan(0);
        // The health check reads the queue from Redis.
        expect((await (await fetch(`${url}/healthz`)).json()).queue).toMatchObject({ waiting: 0, running: 0 });
      } finally {
        await web.close();
      }
      // Graceful SIGTERM: the worker exits 0.
      const exited = new Promise<number | null>((r) => worker.on('exit', (code) => r(code)));
      worker.kill('SIGTERM');
      expect(await exited).toBe(0);
    });

    it('Discord: the real bot against the fake queues on Redis; five users each get their own answer once, with their place in line', async () => {
      const s = await startBotAgainstFake(env({ SINAPSIS_DATA_DIR: tmp(), SINAPSIS_WORKERS: '1' }));
      try {
        const edits = (id: string) => (c: RecordedCall) =>
          c.method === 'PATCH' && c.path.includes(`/tok-${id}/messages/@original`);
        const ids = Array.from({ length: 5 }, (_, k) => {
          const att = s.fake.attachment('photo.jpg', photo);
          return s.fake.command('detect-faces', [{ name: 'image', type: 11, value: att.id }], {
            attachments: { [att.id]: att },
            userId: `70000000000000000${k}`,
            locale: 'en-US',
          });
        });
        const finals = await Promise.all(
          ids.map((id) => s.fake.waitFor((c) => edits(id)(c) && c.files.length > 0, 60_000)),
        );
        for (const f of finals) expect(f.json.content).toMatch(/^Found \d+ faces?\./);
        await new Promise((r) => setTimeout(r, 500));
        for (const id of ids) expect(s.fake.calls.filter((c) => edits(id)(c) && c.files.length > 0)).toHaveLength(1);
        const queued = s.fake.calls.filter(
          (c) => ids.some((id) => edits(id)(c)) && /⏳ Queued: \d/.test(c.json?.content ?? ''),
        );
        expect(queued.length).toBeGreaterThan(0);
      } finally {
        await s.stop();
      }
    });

    /** A chat job (with a reply target and an image by reference) accepted by an adapter that runs no task. */
    async function acceptedBy(first: App, user: string) {
      return first.service.submit({
        command: 'detect-faces',
        options: {},
        images: { image: photo },
        ctx: {
          platform: 'test',
          userId: user,
          lang: 'es',
          reply: { token: `t-${user}` },
          imageRefs: { image: { url: 'x' } },
        },
      });
    }

    /** The next adapter on the same data dir recovers the one job and delivers its outcome once. */
    async function recoveredBySecond(dir: string) {
      const second = appOn(dir, { SINAPSIS_WORKERS: '1' });
      expect(await second.service.recoverInterrupted()).toHaveLength(1);
      const delivered: RecoveredOutcome[] = [];
      let fetched = 0;
      await second.service.onRecovered('test', {
        replyTtlMs: 15 * 60_000,
        images: async () => {
          fetched++;
          return { image: photo };
        },
        deliver: async (_job, outcome) => {
          delivered.push(outcome);
        },
      });
      expect(delivered).toHaveLength(1);
      const outcome = delivered[0]!;
      expect('result' in outcome && (outcome.result.data.faces as unknown[]).length).toBeGreaterThan(0);
      expect(await second.stores.accepted.all()).toEqual([]);
      // Attached to the job in Redis: its images were not fetched again (a Discord URL may have expired).
      expect(fetched).toBe(0);
    }

    it('a job waiting in Redis survives a graceful restart (SIGTERM) of its adapter: nobody is told "restarting", the next process answers it once', async () => {
      const dir = tmp();
      const first = appOn(dir, { SINAPSIS_WORKERS: '0' });
      const handle = await acceptedBy(first, 'u2');
      let settled = false;
      handle.result.then(
        () => (settled = true),
        () => (settled = true),
      );
      // What main.ts does on SIGTERM with a queue on Redis: leave the job there, then close the rest.
      await first.service.queue.detach!(1_000);
      await first.close();
      apps.splice(apps.indexOf(first), 1);
      expect(settled).toBe(false);
      await recoveredBySecond(dir);
      expect(settled).toBe(false);
    });

    it('a job waiting in Redis survives a crash of its adapter: the restarted one re-runs nothing twice and delivers the answer', async () => {
      const dir = tmp();
      const first = appOn(dir, { SINAPSIS_WORKERS: '0' });
      const handle = await acceptedBy(first, 'u1');
      handle.result.catch(() => undefined);
      // "kill -9": the adapter's connections drop; the job stays in Redis, its row in the database.
      const q = first.service.queue as unknown as {
        closed: boolean;
        owned: Map<string, unknown>;
        redis: { disconnect(): void };
        eventsRedis: { disconnect(): void };
      };
      q.closed = true;
      q.owned.clear();
      q.redis.disconnect();
      q.eventsRedis.disconnect();
      first.db!.close();
      apps.splice(apps.indexOf(first), 1);
      await recoveredBySecond(dir);
    });
  });
});
