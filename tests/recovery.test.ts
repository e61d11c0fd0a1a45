// Issue 12 item 6: jobs in flight at kill -9 are re-run after the restart when their reply can
// still be delivered (Discord token < 15 min, Slack placeholder, web by job id), exactly once, and
// charged once; otherwise refunded with "the bot restarted".
import { SqliteClient } from '../src/store/sqlite-client.js';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startDiscord } from '../src/adapters/discord/bot.js';
import { startSlack } from '../src/adapters/slack/app.js';
import { buildWebServer } from '../src/adapters/web/server.js';
import { loadConfig } from '../src/config/index.js';
import { createApp, type App } from '../src/core/app.js';
import type { CommandRequest, RequestContext } from '../src/core/service.js';
import { AcceptedJobs } from '../src/store/accepted-jobs.js';
import { JobsLog } from '../src/store/jobs-log.js';
import { APP_ID, FakeDiscord } from './fakes/discord/server.js';
import { BOT_TOKEN, APP_TOKEN, CHANNEL, FakeSlack } from './fakes/slack/server.js';
import { facesDir, MODELS_DIR } from './helpers/assets.js';
import { form } from './helpers/web.js';

const silent = pino({ level: 'silent' });
const appOn = (dataDir: string, env: Record<string, string> = {}): App =>
  createApp(
    loadConfig(
      {
        SINAPSIS_DATA_DIR: dataDir,
        SINAPSIS_MODELS_DIR: MODELS_DIR,
        SINAPSIS_AUTO_DOWNLOAD: 'false',
        SINAPSIS_SHUTDOWN_TIMEOUT_S: '1',
        ...env,
      },
      { dotenv: false },
    ),
    { logger: silent },
  );
const codeOf = async (fn: () => unknown) => {
  try {
    await fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};
const photo = readFileSync(path.join(facesDir, readdirSync(facesDir).find((f) => f.endsWith('.jpg'))!));
const mod = { platform: 'test', userId: 'mod', lang: 'en' as const, isAdmin: true, serverId: 'g1' };

/** A first process whose jobs never settle, then "kill -9": the database closes with the rows in it. */
async function crashWith(
  dir: string,
  quota: Record<string, number>,
  submit: (app: App) => Promise<unknown>,
  serverId = 'g1',
) {
  const first = appOn(dir);
  for (const [command, n] of Object.entries(quota))
    await first.service.admin({ sub: 'limits', options: { command, quota: n }, ctx: { ...mod, serverId } });
  first.service.queue.close = async () => undefined;
  // Every model load hangs: nothing answers before the "crash".
  hangModels(first);
  await submit(first);
  first.db!.close();
}
/** A model registry whose every call hangs: jobs stay in flight until the "crash". */
function hangModels(app: App) {
  const models = app.models as unknown as Record<string, unknown>;
  for (const m of ['onnxSession', 'pipeline']) models[m] = () => new Promise(() => undefined);
}
/** Resolves once the job is accepted (its result never comes). */
const hang = async (app: App, req: CommandRequest) => {
  (await app.service.submit(req)).result.catch(() => undefined);
};

describe('item 6: Discord jobs in flight at the crash', () => {
  it('a fresh token: re-run, the original reply edited once with the result and its buttons; an old one: "the bot restarted"; quota charged once', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sinapsis-test-'));
    const fake = await new FakeDiscord().start();
    const att = fake.attachment('face.jpg', photo);
    const ctx = (token: string): RequestContext => ({
      platform: 'discord',
      userId: 'u1',
      serverId: 'g1',
      lang: 'es',
      reply: { applicationId: APP_ID, token, lang: 'es' },
      imageRefs: { image: { url: att.url, size: att.size } },
    });
    await crashWith(dir, { 'detect-faces': 3 }, async (app) => {
      await hang(app, { command: 'detect-faces', options: {}, images: { image: photo }, ctx: ctx('tok-fresh') });
      await hang(app, { command: 'detect-faces', options: {}, images: { image: photo }, ctx: ctx('tok-old') });
    });
    // The second job was accepted 13 minutes ago: its token outlives no whole run any more.
    const db = appOn(dir).db!;
    db.prepare("UPDATE accepted_jobs SET created_at = ? WHERE reply_json LIKE '%tok-old%'").run(
      Date.now() - 13 * 60_000,
    );
    // Image references only: no bytes in the database.
    expect(JSON.stringify(await new AcceptedJobs(new SqliteClient(db)).all())).not.toMatch(/data|base64/i);
    expect(
      (db.prepare('SELECT max(length(request_json)) AS n FROM accepted_jobs').get() as { n: number }).n,
    ).toBeLessThan(1000);
    db.close();

    const app = appOn(dir, {
      DISCORD_TOKEN: 'fake-token',
      DISCORD_APPLICATION_ID: APP_ID,
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_CDN_URLS: fake.cdnUrl,
    });
    expect(await app.service.recoverInterrupted()).toHaveLength(2);
    const bot = await startDiscord(app);
    try {
      const edit = await fake.waitFor(
        (c) => c.method === 'PATCH' && c.path.includes('/tok-fresh/messages/@original'),
        60_000,
      );
      expect(edit.json.content).toMatch(/cara|face/i);
      expect(edit.files.length).toBe(1);
      expect(JSON.stringify(edit.json.components)).toMatch(/sx:/);
      const notice = await fake.waitFor((c) => c.method === 'PATCH' && c.path.includes('/tok-old/messages/@original'));
      expect(notice.json.content).toBe('⚠️ Se reinició el bot: probá de nuevo. Este pedido no se contó en tu cupo.');
      await new Promise((r) => setTimeout(r, 300));
      // Exactly one answer each.
      expect(fake.callsFor('tok-fresh').filter((c) => c.method === 'PATCH')).toHaveLength(1);
      expect(fake.callsFor('tok-old').filter((c) => c.method === 'PATCH')).toHaveLength(1);
      // Quota 3: the re-run job stays counted (once), the refunded one does not: two more, then refused.
      const more = (): CommandRequest => ({
        command: 'detect-faces',
        options: {},
        images: { image: photo },
        ctx: { platform: 'discord', userId: 'u1', serverId: 'g1', lang: 'es' },
      });
      await app.service.run(more());
      await app.service.run(more());
      expect(await codeOf(() => app.service.submit(more()))).toBe('daily_quota');
      expect(await app.stores.accepted.all()).toEqual([]);
      const outcomes = (await app.stores.jobsLog.recent()).map((j) => j.outcome);
      expect(outcomes.filter((o) => o === 'restarted')).toHaveLength(1);
    } finally {
      await bot.stop();
      await app.close();
      await fake.stop();
    }
  });

  it('a job already taken up once by a restart (it may be what crashed the process) is not re-run again', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sinapsis-test-'));
    await crashWith(dir, {}, (app) =>
      hang(app, {
        command: 'explain',
        options: { topic: 'neurona' },
        ctx: { platform: 'slack', userId: 'U1', lang: 'es', reply: { channel: CHANNEL, ts: '1.1', lang: 'es' } },
      }),
    );
    const second = appOn(dir);
    expect((await second.service.recoverInterrupted())[0]).toMatchObject({ attempts: 0 });
    second.db!.close(); // crashed again while re-running
    const third = appOn(dir);
    try {
      const delivered: string[] = [];
      await third.service.recoverInterrupted();
      await third.service.onRecovered('slack', {
        replyTtlMs: Infinity,
        deliver: async (_j, o) => void delivered.push('error' in o ? o.error.code : 'result'),
      });
      expect(delivered).toEqual(['restarted']);
      expect(await third.stores.accepted.all()).toEqual([]);
    } finally {
      await third.close();
    }
  });
});

describe('item 6: Slack jobs in flight at the crash', () => {
  it('re-run: the "working…" placeholder is updated once with the result and its buttons; the image fetched again by URL', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sinapsis-test-'));
    const fake = await new FakeSlack().start();
    const fileUrl = `${fake.filesUrl}F1/download/face.jpg`;
    fake.files.set('F1', { data: photo, mimetype: 'image/jpeg' });
    await crashWith(
      dir,
      { explain: 2 },
      async (app) => {
        await hang(app, {
          command: 'detect-faces',
          options: {},
          images: { image: photo },
          ctx: {
            platform: 'slack',
            userId: 'U1',
            serverId: 'T1',
            channelId: CHANNEL,
            lang: 'en',
            reply: { channel: CHANNEL, ts: '1700000000.000100', lang: 'en' },
            imageRefs: { image: { url: fileUrl } },
          },
        });
        await hang(app, {
          command: 'explain',
          options: { topic: 'neurona' },
          ctx: {
            platform: 'slack',
            userId: 'U1',
            serverId: 'T1',
            channelId: CHANNEL,
            lang: 'en',
            reply: { channel: CHANNEL, ts: '1700000000.000200', lang: 'en' },
          },
        });
      },
      'T1',
    );
    const app = appOn(dir, {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_APP_TOKEN: APP_TOKEN,
      SLACK_API_URL: fake.apiUrl,
      SLACK_FILE_URLS: fake.filesUrl,
    });
    expect(await app.service.recoverInterrupted()).toHaveLength(2);
    const bot = await startSlack(app, { retries: 0 });
    try {
      const faces = await fake.waitFor((c) => c.method === 'chat.update' && c.args.ts === '1700000000.000100', 60_000);
      expect(JSON.stringify(faces.args.blocks)).toMatch(/sx:/);
      await fake.waitFor(
        (c) =>
          c.method === 'files.completeUploadExternal' ||
          c.method === 'files.uploadV2' ||
          c.method === 'files.getUploadURLExternal',
        30_000,
      );
      const explained = await fake.waitFor(
        (c) => c.method === 'chat.update' && c.args.ts === '1700000000.000200',
        60_000,
      );
      expect(explained.args.text).not.toMatch(/restarted/);
      await new Promise((r) => setTimeout(r, 300));
      expect(fake.calls.filter((c) => c.method === 'chat.update')).toHaveLength(2);
      // Quota 2 on explain: the re-run counts once; one more is allowed, then refused.
      const more = (): CommandRequest => ({
        command: 'explain',
        options: { topic: 'neurona' },
        ctx: { platform: 'slack', userId: 'U1', serverId: 'T1', lang: 'en' },
      });
      await app.service.run(more());
      expect(await codeOf(() => app.service.submit(more()))).toBe('daily_quota');
      expect(await app.stores.accepted.all()).toEqual([]);
    } finally {
      await bot.stop();
      await app.close();
      await fake.stop();
    }
  });
});

describe('item 6: web stream jobs in flight at the crash', () => {
  it('the page re-attaches by job id: the re-run result comes once; the kept upload is deleted; a plain API call is refunded; quota charged once', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sinapsis-test-'));
    // First process: the stream job is accepted (its id reaches the page), then kill -9.
    const first = appOn(dir);
    await first.service.admin({
      sub: 'limits',
      options: { command: 'detect-faces', quota: 2 },
      ctx: { ...mod, serverId: '' },
    });
    first.service.queue.close = async () => undefined;
    hangModels(first);
    const web1 = await buildWebServer(first);
    await web1.listen({ port: 0, host: '127.0.0.1' });
    const url1 = `http://127.0.0.1:${(web1.server.address() as { port: number }).port}`;
    const ctrl = new AbortController();
    const r = await fetch(`${url1}/api/commands/detect-faces/stream?lang=es`, {
      method: 'POST',
      body: form({ image: photo }),
      signal: ctrl.signal,
    });
    const reader = r.body!.pipeThrough(new TextDecoderStream()).getReader();
    let head = '';
    while (!head.includes('\n\n')) head += (await reader.read()).value ?? '';
    const id = /"id":"([^"]+)"/.exec(head)![1]!;
    // A plain API call in flight too: its connection dies with the process, nothing to re-attach to.
    void fetch(`${url1}/api/commands/detect-faces`, {
      method: 'POST',
      body: form({ image: photo }),
      signal: ctrl.signal,
    }).catch(() => undefined);
    while ((first.db!.prepare('SELECT count(*) AS n FROM accepted_jobs').get() as { n: number }).n < 2)
      await new Promise((ok) => setTimeout(ok, 20));
    expect(readdirSync(path.join(dir, 'accepted-uploads'))).toHaveLength(1);
    first.db!.close(); // kill -9: nothing settles after this.

    const second = appOn(dir);
    expect(await second.service.recoverInterrupted()).toHaveLength(2);
    const web2 = await buildWebServer(second);
    await web2.listen({ port: 0, host: '127.0.0.1' });
    const url2 = `http://127.0.0.1:${(web2.server.address() as { port: number }).port}`;
    second.service.finishRecovery();
    try {
      const events = await (await fetch(`${url2}/api/jobs/${id}/events`)).text();
      expect(events).toContain(`"id":"${id}"`);
      expect(events.match(/event: result/g)).toHaveLength(1);
      expect(events).not.toContain('event: error');
      expect(events).toMatch(/"recovered":true/);
      expect((await second.stores.jobsLog.recent()).filter((j) => j.outcome === 'restarted')).toHaveLength(1);
      // A second attach (a reload) gets the same outcome, not a second run.
      expect((await (await fetch(`${url2}/api/jobs/${id}/events`)).text()).match(/event: result/g)).toHaveLength(1);
      expect(readdirSync(path.join(dir, 'accepted-uploads'))).toEqual([]);
      expect(await second.stores.accepted.all()).toEqual([]);
      // Unknown ids: a clear, localized 404.
      const gone = await fetch(`${url2}/api/jobs/nope/events?lang=es`);
      expect(gone.status).toBe(404);
      expect((await gone.json()).error).toMatchObject({
        code: 'job_gone',
        message: expect.stringMatching(/probá de nuevo/),
      });
      // Quota 2: the re-run counts once; one more, then refused.
      const more = await fetch(`${url2}/api/commands/detect-faces`, { method: 'POST', body: form({ image: photo }) });
      expect(more.status).toBe(200);
      const refused = await fetch(`${url2}/api/commands/detect-faces`, {
        method: 'POST',
        body: form({ image: photo }),
      });
      expect((await refused.json()).error.code).toBe('daily_quota');
    } finally {
      ctrl.abort();
      await web2.close();
      await second.close();
      await web1.close().catch(() => undefined);
    }
  });
});
