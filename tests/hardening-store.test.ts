// Issue 12: items 4 (a failing store never costs a result), 6 (accepted jobs survive a crash:
// refunded and told), 8 (jobs pruned by age, identical refusals rate-limited).
import { SqliteClient } from '../src/store/sqlite-client.js';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDiscord } from '../src/adapters/discord/bot.js';
import { loadConfig } from '../src/config/index.js';
import { createApp, type App } from '../src/core/app.js';
import type { CommandRequest } from '../src/core/service.js';
import { AcceptedJobs } from '../src/store/accepted-jobs.js';
import { InteractionStates } from '../src/store/interaction-state.js';
import { openDatabase } from '../src/store/db.js';
import { JobsLog } from '../src/store/jobs-log.js';
import { startSlack } from '../src/adapters/slack/app.js';
import { APP_ID, FakeDiscord } from './fakes/discord/server.js';
import { APP_TOKEN, BOT_TOKEN, CHANNEL, FakeSlack } from './fakes/slack/server.js';
import { testApp } from './helpers/app.js';
import { MODELS_DIR } from './helpers/assets.js';
import { startWeb } from './helpers/web.js';

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
/** The code of the SinapsisError `fn` throws. */
const codeOf = async (fn: () => unknown) => {
  try {
    await fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};
const explain = (userId: string, platform = 'web'): CommandRequest => ({
  command: 'explain',
  options: { topic: 'neurona' },
  ctx: { platform, userId, lang: 'es' },
});

describe('item 6: a crash neither loses nor overcharges accepted jobs', () => {
  it('jobs in flight at kill -9 are refunded on restart and logged as "restarted"; the user can use the quota again', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sinapsis-test-'));
    const first = appOn(dir);
    await first.service.admin({
      sub: 'limits',
      options: { command: 'explain', quota: 3 },
      ctx: { platform: 'test', userId: 'mod', lang: 'en', isAdmin: true },
    });
    // Three accepted jobs that never finish (the process "dies" before they answer).
    first.service.queue.close = async () => undefined;
    (first.service as unknown as { deps: { models: unknown } }).deps.models = {
      onnxSession: () => new Promise(() => undefined),
    };
    const stuck = [];
    for (let i = 0; i < 3; i++)
      stuck.push(await first.service.submit({ ...explain('ana'), options: { topic: 'convolución' } }));
    for (const h of stuck) h.result.catch(() => undefined);
    expect(await codeOf(() => first.service.submit(explain('ana')))).toBe('daily_quota');
    first.db!.close(); // kill -9: nothing settles, nothing is written after this.

    const second = appOn(dir);
    try {
      const interrupted = await second.service.recoverInterrupted();
      expect(interrupted).toHaveLength(3);
      // No web server registered to re-run them (npm start always has one: see recovery.test.ts).
      second.service.finishRecovery();
      expect(interrupted[0]).toMatchObject({ platform: 'web', userId: 'ana', command: 'explain' });
      expect((await second.stores.jobsLog.recent()).filter((j) => j.outcome === 'restarted')).toHaveLength(3);
      // Quota back: three more runs are allowed, the fourth is refused.
      for (let i = 0; i < 3; i++)
        await expect(second.service.run(explain('ana'))).resolves.toMatchObject({ text: expect.any(String) });
      expect(await codeOf(() => second.service.submit(explain('ana')))).toBe('daily_quota');
      // Answered jobs leave nothing behind to recover.
      expect(await second.stores.accepted.drain()).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('Discord: a restarted bot edits the interrupted "thinking…" reply with "Se reinició el bot: probá de nuevo"', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sinapsis-test-'));
    const db = openDatabase(dir);
    const rows = new AcceptedJobs(new SqliteClient(db));
    await rows.add({
      id: 'j-fresh',
      createdAt: Date.now() - 60_000,
      platform: 'discord',
      userId: 'u1',
      serverId: 'g1',
      command: 'detect-faces',
      day: '2026-01-01',
      reply: { applicationId: APP_ID, token: 'tok-fresh', lang: 'es' },
    });
    await rows.add({
      id: 'j-old',
      createdAt: Date.now() - 20 * 60_000,
      platform: 'discord',
      userId: 'u2',
      serverId: 'g1',
      command: 'detect-faces',
      day: '2026-01-01',
      reply: { applicationId: APP_ID, token: 'tok-old', lang: 'es' },
    });
    db.close();
    const fake = await new FakeDiscord().start();
    const app = testApp({
      SINAPSIS_DATA_DIR: dir,
      DISCORD_TOKEN: 'fake-token',
      DISCORD_APPLICATION_ID: APP_ID,
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_CDN_URLS: fake.cdnUrl,
    });
    expect(await app.service.recoverInterrupted()).toHaveLength(2);
    const bot = await startDiscord({ ...app, logger: silent });
    try {
      const edit = await fake.waitFor((c) => c.method === 'PATCH' && c.path.includes('/tok-fresh/messages/@original'));
      expect(edit.json.content).toBe('⚠️ Se reinició el bot: probá de nuevo. Este pedido no se contó en tu cupo.');
      // A token past its 15 minutes cannot be used: not even tried.
      expect(fake.callsFor('tok-old')).toEqual([]);
    } finally {
      await bot.stop();
      await app.dispose();
      await fake.stop();
    }
  });
});

describe('item 6 on Slack', () => {
  it('a restarted bot edits the interrupted "working…" message', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sinapsis-test-'));
    const db = openDatabase(dir);
    await new AcceptedJobs(new SqliteClient(db)).add({
      id: 'j-slack',
      createdAt: Date.now() - 3600_000,
      platform: 'slack',
      userId: 'U1',
      serverId: 'T1',
      command: 'explain',
      day: '2026-01-01',
      reply: { channel: CHANNEL, ts: '1700000000.000100', lang: 'en' },
    });
    db.close();
    const fake = await new FakeSlack().start();
    const app = testApp({
      SINAPSIS_DATA_DIR: dir,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_APP_TOKEN: APP_TOKEN,
      SLACK_API_URL: fake.apiUrl,
      SLACK_FILE_URLS: fake.filesUrl,
    });
    expect(await app.service.recoverInterrupted()).toHaveLength(1);
    const bot = await startSlack({ ...app, logger: silent }, { retries: 0 });
    try {
      const update = await fake.waitFor((c) => c.method === 'chat.update' && c.args.ts === '1700000000.000100');
      expect(update.args).toMatchObject({
        channel: CHANNEL,
        text: '⚠️ The bot restarted before answering: please try again. This request was not counted against your quota.',
      });
    } finally {
      await bot.stop();
      await app.dispose();
      await fake.stop();
    }
  });
});

describe('item 4: a store that refuses writes (full disk) never costs the user their result', () => {
  let s: Awaited<ReturnType<typeof startWeb>>;
  beforeAll(async () => {
    s = await startWeb();
  });
  afterAll(() => s.stop());

  it('the result comes back (200) and /healthz reports the store degraded', async () => {
    // SQLITE_FULL exactly as on a full disk: cap the database at its current size and fill the slack.
    const db = s.app.db!;
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    // Every table the request writes has free room in its own pages: fill them all.
    const fills = [
      (i: number, pad: string) =>
        db.prepare('INSERT INTO kv (key, value) VALUES (?, ?)').run(`fill-${i}-${pad.length}`, pad),
      (i: number, pad: string) =>
        db
          .prepare(
            "INSERT INTO jobs (id, created_at, platform, user_id, command, outcome) VALUES (?, ?, 'f', ?, 'f', 'f')",
          )
          .run(`fill-${i}-${pad.length}`, Date.now(), pad),
      (i: number, pad: string) =>
        db
          .prepare(
            "INSERT INTO accepted_jobs (id, created_at, platform, user_id, server_id, command, day) VALUES (?, 0, 'f', ?, '', 'f', 'f')",
          )
          .run(`fill-${i}-${pad.length}`, pad),
      (i: number, pad: string) =>
        db
          .prepare(
            "INSERT INTO usage (server_id, user_id, command, day, count, last_at) VALUES ('f', ?, 'f', 'f', 1, 0)",
          )
          .run(`fill-${i}-${pad.length}${pad}`),
    ];
    for (const size of [500, 20, 1]) {
      for (const fill of fills) {
        expect(() => {
          for (let i = 0; i < 100_000; i++) fill(i, 'x'.repeat(size));
        }).toThrow(/full/);
      }
    }
    const r = await fetch(`${s.url}/api/commands/explain`, {
      method: 'POST',
      body: JSON.stringify({ topic: 'neurona' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(200);
    expect((await r.json()).text).toMatch(/neurona/i);
    const health = await fetch(`${s.url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({
      status: 'degraded',
      store: { ok: false, failedWrites: expect.any(Number), lastError: expect.stringMatching(/full/) },
    });
    // A refusal on a full disk is still the user's clear refusal, not an internal error.
    const unknown = await fetch(`${s.url}/api/commands/paint`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(unknown.status).toBe(404);
  });
});

describe("item 4 in chat: the buttons' state failing to save never costs the reply", () => {
  it('save() on a store that refuses writes returns an id that simply finds nothing', async () => {
    const db = openDatabase(mkdtempSync(path.join(os.tmpdir(), 'sinapsis-test-')));
    const states = new InteractionStates(new SqliteClient(db));
    db.exec('DROP TABLE interaction_state; CREATE TABLE interaction_state (id TEXT CHECK (0))');
    const id = await states.save({ platform: 'discord', userId: 'u', command: 'explain', options: {} });
    expect(id).toMatch(/^[\w-]{12}$/);
    db.close();
  });
});

describe('item 8: the jobs table stays bounded', () => {
  it('5 000 identical refusals write one row a minute, not 5 000', async () => {
    const app = testApp();
    try {
      for (let i = 0; i < 5000; i++)
        await expect(
          app.service.submit({
            command: 'paint',
            options: {},
            ctx: { platform: 'web', userId: '10.0.0.1', lang: 'en' },
          }),
        ).rejects.toThrow();
      // A different reason or user is its own row.
      await expect(
        app.service.submit({ command: 'paint', options: {}, ctx: { platform: 'web', userId: '10.0.0.2', lang: 'en' } }),
      ).rejects.toThrow();
      expect(app.db!.prepare('SELECT count(*) FROM jobs').pluck().get()).toBe(2);
    } finally {
      await app.dispose();
    }
  });

  it('rows older than SINAPSIS_JOBS_RETENTION_DAYS are pruned', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sinapsis-test-'));
    const db = openDatabase(dir);
    let now = Date.UTC(2026, 0, 31);
    const log = new JobsLog(new SqliteClient(db), { retentionDays: 7, now: () => now });
    const row = (id: string, daysAgo: number) => ({
      id,
      createdAt: now - daysAgo * 86_400_000,
      platform: 'web',
      userId: 'u',
      command: 'explain',
      outcome: 'ok',
    });
    await log.record(row('recent', 1));
    await log.record(row('old', 30));
    now += 2 * 3600_000; // the hourly prune runs on the next write
    await log.record(row('new', 0));
    expect((await log.recent()).map((j) => j.id).sort()).toEqual(['new', 'recent']);
    db.close();
  });
});
