import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { adminSpec } from '../commands/index.js';
import { Admin, roleId } from '../src/core/admin.js';
import type { RequestContext } from '../src/core/service.js';
import type { SinapsisError } from '../src/errors.js';
import { migrate, openDatabase } from '../src/store/db.js';
import { dayKey, Gate, nextMidnight } from '../src/store/gate.js';
import { tempDir, testApp } from './helpers/app.js';
import { ROOT } from './helpers/assets.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const TZ = 'America/Argentina/Buenos_Aires';

function setup(start = Date.parse('2026-11-28T12:00:00-03:00')) {
  const dir = tempDir();
  dirs.push(dir);
  const db = openDatabase(dir);
  const clock = { now: start };
  const gate = new Gate(db, { timeZone: TZ, now: () => clock.now, disabledByConfig: ['colorize'] });
  const admin = new Admin({
    gate,
    spec: adminSpec(),
    commands: ['translate', 'generate-text', 'colorize', 'detect-faces', 'explain'],
    available: (c) => c !== 'colorize',
    queueStats: () => ({
      waiting: 3,
      running: 1,
      stuck: 0,
      serverJobs: 2,
      waitingByKind: { 'detect-faces': 2, translate: 1 },
    }),
  });
  const mod = (over: Partial<RequestContext> = {}): RequestContext => ({
    platform: 'discord',
    userId: 'mod',
    serverId: 'S1',
    channelId: 'C1',
    isAdmin: true,
    lang: 'en',
    ...over,
  });
  const user = (over: Partial<RequestContext> = {}): RequestContext => ({
    platform: 'discord',
    userId: 'u1',
    serverId: 'S1',
    channelId: 'C1',
    lang: 'en',
    ...over,
  });
  const refusal = async (fn: () => unknown): Promise<SinapsisError> => {
    try {
      await fn();
    } catch (e) {
      return e as SinapsisError;
    }
    throw new Error('expected a refusal');
  };
  return { db, gate, admin, clock, mod, user, refusal, dir };
}

describe('switches: most specific wins', () => {
  it('channel over server over global; a command’s own rule over "*"; config list last', async () => {
    const { gate, admin, mod, user } = setup();
    expect(await gate.isEnabled('detect-faces', user())).toBe(true);
    expect(await gate.switchState('colorize', 'S1', 'C1')).toEqual({ enabled: false, source: 'config' });
    await admin.run({ sub: 'disable', options: { command: 'detect-faces' }, ctx: mod() });
    expect(await gate.switchState('detect-faces', 'S1', 'C1')).toEqual({ enabled: false, source: 'server' });
    expect(await gate.isEnabled('detect-faces', { serverId: 'S2', channelId: 'C9' })).toBe(true);
    await admin.run({ sub: 'enable', options: { command: 'detect-faces', scope: 'channel' }, ctx: mod() });
    expect(await gate.switchState('detect-faces', 'S1', 'C1')).toEqual({ enabled: true, source: 'channel' });
    expect((await gate.switchState('detect-faces', 'S1', 'C2')).enabled).toBe(false);
    // "*" at the channel loses to the command's own channel rule, beats the server rule of another command.
    await admin.run({ sub: 'disable', options: { command: '*', scope: 'channel' }, ctx: mod({ channelId: 'C3' }) });
    expect(await gate.switchState('translate', 'S1', 'C3')).toEqual({ enabled: false, source: 'channel' });
    await admin.run({
      sub: 'enable',
      options: { command: 'translate', scope: 'channel' },
      ctx: mod({ channelId: 'C3' }),
    });
    expect((await gate.switchState('translate', 'S1', 'C3')).enabled).toBe(true);
    expect((await gate.switchState('explain', 'S1', 'C3')).enabled).toBe(false);
    // A stored switch beats the config list.
    await admin.run({ sub: 'enable', options: { command: 'colorize' }, ctx: mod() });
    expect(await gate.switchState('colorize', 'S1', 'C1')).toEqual({ enabled: true, source: 'server' });
  });

  it('refuses a disabled command in the user’s language, saying where and who can change it', async () => {
    const { gate, admin, mod, user, refusal } = setup();
    await admin.run({ sub: 'disable', options: { command: 'detect-faces', scope: 'channel' }, ctx: mod() });
    const e = await refusal(() => gate.check('detect-faces', user()));
    expect(e.code).toBe('command_disabled');
    expect(e.localized('en')).toBe(
      '/detect-faces is turned off in this channel. Members with the Manage Server permission can turn it on with /sinapsis enable.',
    );
    expect(e.localized('es')).toBe(
      '/detect-faces está desactivado en este canal. Quienes tienen el permiso Gestionar servidor lo pueden activar con /sinapsis enable.',
    );
    const slack = await refusal(() => gate.check('detect-faces', user({ platform: 'slack' })));
    expect(slack.localized('es')).toMatch(/Los administradores del espacio de trabajo/);
  });
});

describe('roles', () => {
  it('an allow-list admits only its roles; deny beats allow; the command’s list replaces the "*" one', async () => {
    const { gate, admin, mod, user, refusal } = setup();
    await admin.run({ sub: 'roles', options: { command: 'generate-text', role: '<@&111>' }, ctx: mod() });
    expect((await refusal(() => gate.check('generate-text', user({ roles: ['222'] })))).code).toBe('role_not_allowed');
    await expect(gate.check('generate-text', user({ roles: ['111'] }))).resolves.toBeUndefined();
    await expect(gate.check('translate', user({ roles: [] }))).resolves.toBeUndefined();
    await admin.run({ sub: 'roles', options: { command: '*', role: '333', action: 'deny' }, ctx: mod() });
    expect((await refusal(() => gate.check('generate-text', user({ roles: ['111', '333'] })))).localized('es')).toMatch(
      /^Tus roles no permiten usar \/generate-text acá/,
    );
    await admin.run({ sub: 'roles', options: { command: 'generate-text', role: '111', action: 'clear' }, ctx: mod() });
    await expect(gate.check('generate-text', user({ roles: ['222'] }))).resolves.toBeUndefined();
    expect(roleId('<!subteam^S0123ABC|@tutores>')).toBe('S0123ABC');
  });
});

describe('fair use: cooldowns and daily quotas (time injected)', () => {
  it('cooldown counts from the last accepted use and says the time left', async () => {
    const { gate, admin, mod, user, refusal, clock } = setup();
    await admin.run({ sub: 'limits', options: { command: 'generate-text', cooldown: 30 }, ctx: mod() });
    await gate.check('generate-text', user());
    await gate.count('generate-text', user());
    clock.now += 10_000;
    const e = await refusal(() => gate.check('generate-text', user()));
    expect([e.code, e.localized('en'), e.localized('es')]).toEqual([
      'cooldown',
      'Wait 20 s before using /generate-text again.',
      'Esperá 20 s antes de volver a usar /generate-text.',
    ]);
    await expect(gate.check('generate-text', user({ userId: 'u2' }))).resolves.toBeUndefined();
    clock.now += 20_000;
    await expect(gate.check('generate-text', user())).resolves.toBeUndefined();
  });

  it('a cooldown running over midnight still holds after it', async () => {
    const { gate, admin, mod, user, refusal, clock } = setup(Date.parse('2026-11-28T23:59:50-03:00'));
    await admin.run({ sub: 'limits', options: { command: 'translate', cooldown: 60 }, ctx: mod() });
    await gate.count('translate', user());
    clock.now += 20_000; // 00:00:10 the next day, local time
    expect(dayKey(clock.now, TZ)).toBe('2026-11-29');
    expect((await refusal(() => gate.check('translate', user()))).params.seconds).toBe(40);
  });

  it('the daily quota resets at local midnight and says when', async () => {
    const { gate, admin, mod, user, refusal, clock } = setup(Date.parse('2026-11-28T22:00:00-03:00'));
    await admin.run({ sub: 'limits', options: { command: '*', quota: 2 }, ctx: mod() });
    for (let i = 0; i < 2; i++) {
      await gate.check('detect-faces', user());
      await gate.count('detect-faces', user());
    }
    const e = await refusal(() => gate.check('detect-faces', user()));
    expect(e.code).toBe('daily_quota');
    expect(e.localized('en')).toBe(
      'You have used /detect-faces 2 times today, the daily limit here. It resets in 2 h.',
    );
    expect(e.localized('es')).toBe('Ya usaste /detect-faces 2 veces hoy, el límite diario acá. Se renueva en 2 h.');
    await expect(gate.check('translate', user())).resolves.toBeUndefined(); // per command
    clock.now = Date.parse('2026-11-29T00:00:01-03:00');
    await expect(gate.check('detect-faces', user())).resolves.toBeUndefined();
    expect(nextMidnight(Date.parse('2026-11-28T22:00:00-03:00'), TZ)).toBe(Date.parse('2026-11-29T00:00:00-03:00'));
  });

  it('a command’s own limit overrides the server-wide one field by field', async () => {
    const { gate, admin, mod } = setup();
    await admin.run({ sub: 'limits', options: { command: '*', cooldown: 10, quota: 5, share: 50 }, ctx: mod() });
    await admin.run({ sub: 'limits', options: { command: 'explain', quota: 50 }, ctx: mod() });
    expect(await gate.limits('explain', 'S1')).toEqual({ cooldown_s: 10, daily_quota: 50, queue_share: 0.5 });
    expect(await gate.limits('explain', 'S2')).toEqual({ cooldown_s: null, daily_quota: null, queue_share: null });
  });
});

describe('admin command', () => {
  it('is refused to non-moderators, and the refusal is audited', async () => {
    const { admin, gate, user, refusal } = setup();
    const e = await refusal(() => admin.run({ sub: 'disable', options: { command: 'explain' }, ctx: user() }));
    expect([e.code, e.localized('es')]).toEqual([
      'admin_only',
      'Solo quienes tienen el permiso gestionar servidor pueden cambiar la configuración del bot.',
    ]);
    expect(await gate.isEnabled('explain', { serverId: 'S1' })).toBe(true);
    expect((await gate.rules.recentAudit('S1', 5, true))[0]).toMatchObject({
      action: 'refused',
      actor: 'discord:u1',
      after: 'admin_only',
    });
  });

  it('audits every change (who, when, what, before → after); status shows them with the queue and today’s usage', async () => {
    const { admin, gate, mod, user, clock } = setup();
    await admin.run({ sub: 'disable', options: { command: 'detect-faces' }, ctx: mod() });
    clock.now += 1000;
    await admin.run({ sub: 'limits', options: { command: 'translate', cooldown: 15 }, ctx: mod() });
    clock.now += 1000;
    await admin.run({ sub: 'language', options: { language: 'es' }, ctx: mod() });
    await gate.count('translate', user());
    const [lang, limits, off] = await gate.rules.recentAudit('S1', 10);
    expect(off).toMatchObject({
      actor: 'discord:mod',
      action: 'disable',
      command: 'detect-faces',
      before: JSON.stringify({ enabled: true, source: 'default' }),
      after: JSON.stringify({ enabled: false, source: 'server' }),
    });
    expect(limits).toMatchObject({
      action: 'limits',
      before: JSON.stringify({ cooldown_s: null, daily_quota: null, queue_share: null }),
      after: JSON.stringify({ cooldown_s: 15, daily_quota: null, queue_share: null }),
    });
    expect(lang).toMatchObject({ action: 'language', after: 'es' });
    const status = await admin.run({ sub: 'status', options: {}, ctx: mod({ lang: 'es' }) });
    expect(status.text).toMatch(/\/detect-faces ⛔ \(este servidor\)/);
    expect(status.text).toMatch(/\/translate ✅ — esperar 15 s entre usos/);
    expect(status.text).toMatch(
      /Cola: 3 esperando, 1 en curso \(este servidor: 2\) — esperando: \/detect-faces ×2, \/translate ×1/,
    );
    expect(status.text).toMatch(/Uso de hoy: \/translate 1/);
    expect(status.text).toMatch(
      /Últimos cambios:\n• 2026-11-28 12:00 discord:mod: language — → es\n• 2026-11-28 12:00 discord:mod: limits translate sin límites → esperar 15 s entre usos\n• 2026-11-28 12:00 discord:mod: disable detect-faces activo \(por defecto\) → desactivado \(este servidor\)/,
    );
    expect(status.text).toMatch(/\/colorize ⛔ \(config del bot\) \(todavía no disponible\)/);
  });

  it('old audit entries go after the retention period', async () => {
    const { db, clock, mod } = setup();
    const gate = new Gate(db, { timeZone: TZ, now: () => clock.now, auditRetentionDays: 30 });
    await gate.audit(mod(), 'disable', 'explain', null, null);
    clock.now += 31 * 24 * 3600_000;
    await gate.audit(mod(), 'enable', 'explain', null, null);
    expect((await gate.rules.recentAudit('S1', 10)).map((a) => a.action)).toEqual(['enable']);
  });
});

describe('store upgrade', () => {
  it('a version-2 database keeps its global switches as rules after the upgrade', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const file = path.join(dir, 'sinapsis.db');
    const old = new Database(file);
    migrate(old); // brings it to the latest; rebuild a v2 one by hand instead
    old.close();
    rmSync(file);
    const v2 = new Database(file);
    v2.exec(`CREATE TABLE jobs (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, platform TEXT NOT NULL, user_id TEXT NOT NULL, server_id TEXT, channel_id TEXT, command TEXT NOT NULL, duration_ms REAL, outcome TEXT NOT NULL, model TEXT, input_json TEXT);
      CREATE INDEX jobs_created ON jobs(created_at);
      CREATE TABLE command_switches (command TEXT PRIMARY KEY, enabled INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE interaction_state (id TEXT PRIMARY KEY, platform TEXT NOT NULL, user_id TEXT NOT NULL, command TEXT NOT NULL, options_json TEXT NOT NULL, image_url TEXT, model TEXT, created_at INTEGER NOT NULL);
      INSERT INTO command_switches VALUES ('explain', 0, 5);
      INSERT INTO kv VALUES ('k', 'v');
      PRAGMA user_version = 2;`);
    v2.close();
    const db = openDatabase(dir);
    expect(db.pragma('user_version', { simple: true })).toBe(6);
    expect(await new Gate(db).switchState('explain')).toEqual({ enabled: false, source: 'global' });
    expect(db.prepare('SELECT value FROM kv').pluck().get()).toBe('v');
    db.close();
  });
});

describe('through the service', () => {
  it('settings survive a restart on the same data dir; the queue share refuses a server over it', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const mod: RequestContext = { platform: 'cli', userId: 'op', serverId: 'S1', isAdmin: true, lang: 'en' };
    let app = testApp({ SINAPSIS_DATA_DIR: dataDir, SINAPSIS_QUEUE_MAX: '4' });
    await app.service.admin({ sub: 'disable', options: { command: 'translate' }, ctx: mod });
    await app.service.admin({ sub: 'limits', options: { share: 50 }, ctx: mod });
    await app.close();
    app = testApp({ SINAPSIS_DATA_DIR: dataDir, SINAPSIS_QUEUE_MAX: '4', SINAPSIS_CONCURRENCY: '1' });
    try {
      const ask = async (serverId: string) =>
        await app.service.submit({
          command: 'explain',
          options: { topic: 'what is a neuron' },
          ctx: { platform: 'cli', userId: `u${Math.random()}`, serverId, lang: 'en' },
        });
      expect((await app.service.admin({ sub: 'status', options: {}, ctx: mod })).data.switches).toContainEqual(
        expect.objectContaining({ command: 'translate', enabled: false, source: 'server' }),
      );
      const jobs = [await ask('S1'), await ask('S1')];
      // The queue knows each job's server and command: one running, one waiting, both S1's.
      expect((await app.service.admin({ sub: 'status', options: {}, ctx: mod })).data.queue).toEqual({
        waiting: 1,
        running: 1,
        stuck: 0,
        this_server: 2,
        waiting_by_command: { explain: 1 },
      });
      const e = await ask('S1').then(
        () => undefined,
        (err) => err as SinapsisError,
      );
      expect([e?.code, e?.localized('en')]).toEqual([
        'server_queue_share',
        'This server already has 2 requests in the queue (its share is 50%). Try again when one finishes.',
      ]);
      jobs.push(await ask('S2'));
      await Promise.all(jobs.map((j) => j.result));
      await (await ask('S1')).result; // room again once they finished
    } finally {
      await app.close();
    }
  });
});

describe('CLI mirrors it', () => {
  const cli = (args: string[], dataDir: string) =>
    spawnSync('npm', ['run', '--silent', 'cli', '--', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, SINAPSIS_DATA_DIR: dataDir },
    });

  it('admin disable … --server S1 refuses there (exit 1, command_disabled) while S2 still works; bad subcommands are usage errors', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const off = cli(['admin', 'disable', 'explain', '--server', 'S1', '--json'], dataDir);
    expect(off.status).toBe(0);
    expect(JSON.parse(off.stdout)).toMatchObject({
      ok: true,
      command: 'explain',
      after: { enabled: false, source: 'server' },
    });
    const refused = cli(['explain', '--topic', 'neuron', '--server', 'S1', '--user', 'ana', '--json'], dataDir);
    expect(refused.status).not.toBe(0);
    expect(JSON.parse(refused.stdout).error.code).toBe('command_disabled');
    // A question, not the bare word: "/explain neuron" alone is the neuron computed by hand.
    const other = cli(['explain', '--topic', 'what is a neuron', '--server', 'S2', '--json'], dataDir);
    expect(other.status).toBe(0);
    expect(JSON.parse(other.stdout).sources[0].id).toBe('neuron');
    const status = cli(['admin', 'status', '--server', 'S1', '--json'], dataDir);
    expect(JSON.parse(status.stdout).recent_changes[0]).toMatchObject({ action: 'disable', command: 'explain' });
    const bad = cli(['admin', 'explode', '--json'], dataDir);
    expect([bad.status, JSON.parse(bad.stdout).error.code]).toEqual([2, 'unknown_command']);
  });
});
