// The whole app on PostgreSQL: several processes admitting at once, the database lost and back,
// and unreachable at start. Skipped with a message without PostgreSQL (a failure under SINAPSIS_NO_SKIP=1).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandRequest } from '../src/core/service.js';
import { PG_MIGRATIONS } from '../src/store/pg-migrations.js';
import { pgStores } from '../src/store/stores.js';
import { tempDir, testApp } from './helpers/app.js';
import { ROOT } from './helpers/assets.js';
import { adminQuery, dropSchemas, flakyProxy, freshSchema, pgForThisFile, urlWithSchema } from './helpers/pg.js';

const pgUp = await pgForThisFile();
const schemas: string[] = [];
const disposals: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const d of disposals.splice(0)) await d().catch(() => undefined);
  await dropSchemas(schemas);
});

const mod = { platform: 'cli', userId: 'op', serverId: 'S1', isAdmin: true, lang: 'en' as const };
const explain = (userId: string): CommandRequest => ({
  command: 'explain',
  options: { topic: 'neurona' },
  ctx: { platform: 'discord', userId, serverId: 'S1', lang: 'es' },
});
const codes = (settled: PromiseSettledResult<unknown>[]) =>
  settled.map((s) => (s.status === 'fulfilled' ? 'ok' : (s.reason as { code: string }).code));

async function pgApp(url: string, env: Record<string, string> = {}) {
  const app = testApp({ SINAPSIS_DATABASE_URL: url, ...env });
  disposals.push(() => app.dispose());
  await app.stores.ready();
  return app;
}

describe.skipIf(!pgUp)('the app on PostgreSQL', () => {
  it('two apps (two pools, as two processes) submit one user’s requests at once: exactly the quota runs', async () => {
    const schema = freshSchema('pg_app');
    schemas.push(schema);
    const url = await urlWithSchema(schema);
    const [a, b] = [await pgApp(url), await pgApp(url)];
    expect(a.db).toBeUndefined();
    expect(a.stores.driver).toBe('pg');
    await a.service.admin({ sub: 'limits', options: { command: 'explain', quota: 3 }, ctx: mod });
    const settled = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).service.submit(explain('ana'))),
    );
    expect(codes(settled).sort()).toEqual([...Array(7).fill('daily_quota'), 'ok', 'ok', 'ok']);
    for (const s of settled) if (s.status === 'fulfilled') await s.value.result;
    // Each settled job's accepted row is gone, whichever process accepted it.
    await expect.poll(() => b.stores.accepted.all()).toEqual([]);
  });

  it('PostgreSQL lost while running: requests are refused with a localized "unavailable", then served again', async () => {
    const schema = freshSchema('pg_lost');
    schemas.push(schema);
    await urlWithSchema(schema);
    const proxy = await flakyProxy();
    disposals.push(() => proxy.close());
    const u = new URL(await urlWithSchema(schema));
    u.port = String(proxy.port);
    const app = await pgApp(u.toString());
    await (await app.service.submit(explain('ana'))).result;

    await proxy.down();
    const refused = await app.service.submit(explain('ana')).catch((e) => e);
    expect(refused).toMatchObject({ code: 'store_unavailable', httpStatus: 503 });
    expect(refused.localized('es')).toMatch(/base de datos.*Probá de nuevo/);
    expect(refused.localized('en')).toMatch(/database.*try again/);
    await expect(app.service.serverLanguage('S1')).rejects.toMatchObject({ code: 'store_unavailable' });
    // /healthz says the store is failing: it does not answer, and the refusal's own jobs-log row was lost.
    expect(await app.service.storeHealth()).toMatchObject({
      ok: false,
      reachable: false,
      failedWrites: expect.any(Number),
    });

    await proxy.up();
    await (await app.service.submit(explain('ana'))).result;
    expect(await app.service.storeHealth()).toMatchObject({ failedWrites: expect.any(Number) });
    expect(await app.service.storeHealth()).not.toHaveProperty('reachable');
    expect(await app.service.serverLanguage('S1')).toBeUndefined();
  });

  it('two processes starting at once on an empty database: the migrations run once, in order', async () => {
    const schema = freshSchema('pg_migrate');
    schemas.push(schema);
    const url = await urlWithSchema(schema);
    const both = [pgStores({ url }), pgStores({ url })];
    try {
      await Promise.all(both.map((s) => s.ready()));
      const { rows } = await adminQuery(`SELECT version FROM ${schema}.sinapsis_migrations ORDER BY version`);
      expect(rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((_, i) => i + 1));
    } finally {
      for (const s of both) await s.close();
    }
  });

  it('unreachable at start: ready() names SINAPSIS_DATABASE_URL (password hidden)', async () => {
    const stores = pgStores({ url: 'postgres://sinapsis:s3cret@127.0.0.1:1/test', connectTimeoutMs: 2000 });
    const err = await stores.ready().then(
      () => new Error('connected'),
      (e: Error) => e,
    );
    await stores.close();
    expect(err.message).toMatch(
      /SINAPSIS_DATABASE_URL=postgres:\/\/sinapsis:\*\*\*@127\.0\.0\.1:1\/test: .*ECONNREFUSED/,
    );
    expect(err.message).not.toContain('s3cret');
  });
});

it('npm start with PostgreSQL unreachable exits 1 with one line naming SINAPSIS_DATABASE_URL', async () => {
  const [bin, ...args] = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start.split(' ');
  const child = spawn(path.join(ROOT, 'node_modules/.bin', bin), args, {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      SINAPSIS_DATA_DIR: tempDir(),
      SINAPSIS_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test',
      DISCORD_TOKEN: '',
      SLACK_BOT_TOKEN: '',
    },
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  expect(code).toBe(1);
  expect(log).toContain('SINAPSIS_DATABASE_URL=postgres://postgres@127.0.0.1:1/test');
  expect(log).not.toMatch(/^\s+at /m);
  expect(log).not.toContain('playground on');
});

it('the CLI with PostgreSQL unreachable exits 1 naming SINAPSIS_DATABASE_URL, without a stack trace', async () => {
  const [bin, ...args] = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.cli.split(' ');
  const child = spawn(path.join(ROOT, 'node_modules/.bin', bin), [...args, 'explain', '--topic', 'neurona'], {
    cwd: ROOT,
    env: {
      ...process.env,
      SINAPSIS_DATA_DIR: tempDir(),
      SINAPSIS_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test',
    },
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  expect(code).toBe(1);
  expect(log).toMatch(
    /^Cannot use the PostgreSQL store at SINAPSIS_DATABASE_URL=postgres:\/\/postgres@127\.0\.0\.1:1\/test/m,
  );
  expect(log).not.toMatch(/^\s+at /m);
});
