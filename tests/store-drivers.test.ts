// One suite, every store driver: SQLite (embedded default) and PostgreSQL (SINAPSIS_DATABASE_URL).
// PostgreSQL tests use a fresh schema each, on the project's test database; absent, they skip
// with a message, and SINAPSIS_NO_SKIP=1 turns the absence into a failure.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Gate } from '../src/core/gate.js';
import { openDatabase } from '../src/store/db.js';
import { pgStores, sqliteStores, type Stores } from '../src/store/stores.js';
import { tempDir } from './helpers/app.js';
import { dropSchemas, freshSchema, pgForThisFile, urlWithSchema } from './helpers/pg.js';

const pgUp = await pgForThisFile();
const schemas: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0)) await c().catch(() => undefined);
  await dropSchemas(schemas);
});

interface Driver {
  name: 'sqlite' | 'pg';
  skip: boolean;
  /** A fresh, empty store; `twin` opens a second instance (another connection pool) on the same data. */
  open(): Promise<{ stores: Stores; twin(): Promise<Stores> }>;
}

const DRIVERS: Driver[] = [
  {
    name: 'sqlite',
    skip: false,
    async open() {
      const dir = tempDir();
      const stores = sqliteStores(openDatabase(dir));
      cleanups.push(async () => {
        await stores.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return {
        stores,
        async twin() {
          const other = sqliteStores(openDatabase(dir));
          cleanups.unshift(() => other.close());
          return other;
        },
      };
    },
  },
  {
    name: 'pg',
    skip: !pgUp,
    async open() {
      const schema = freshSchema('drivers');
      schemas.push(schema);
      const url = await urlWithSchema(schema);
      const make = async () => {
        const s = pgStores({ url, poolSize: 4 });
        cleanups.unshift(() => s.close());
        await s.ready();
        return s;
      };
      return { stores: await make(), twin: make };
    },
  },
];

const TZ = 'America/Argentina/Buenos_Aires';

for (const driver of DRIVERS) {
  describe.skipIf(driver.skip)(`the ${driver.name} store`, () => {
    it('rules: switches, roles and limits are set, read by precedence scope, and cleared', async () => {
      const { stores } = await driver.open();
      const r = stores.rules;
      await r.setSwitch('S1', '', 'translate', false, 'mod', 1);
      await r.setSwitch('S1', 'C1', 'translate', true, 'mod', 2);
      await r.setSwitch('', '', '*', false, 'op', 3);
      await r.setSwitch('S1', 'C1', 'translate', false, 'mod2', 4); // upsert
      expect(await r.switchAt('S1', 'C1', 'translate')).toEqual({
        server_id: 'S1',
        channel_id: 'C1',
        command: 'translate',
        enabled: 0,
        updated_at: 4,
        updated_by: 'mod2',
      });
      expect((await r.switchesFor('S1', 'C1', 'translate')).length).toBe(3);
      expect((await r.serverSwitches('S1')).map((s) => `${s.server_id}/${s.channel_id}/${s.command}`)).toEqual([
        '//*',
        'S1//translate',
        'S1/C1/translate',
      ]);
      await r.setSwitch('S1', 'C1', 'translate', undefined, 'mod', 5);
      expect(await r.switchAt('S1', 'C1', 'translate')).toBeUndefined();

      await r.setRole('S1', 'colorize', 'R1', true, 'mod', 1);
      await r.setRole('S1', '*', 'R2', false, 'mod', 1);
      expect(await r.roleAt('S1', 'colorize', 'R1')).toMatchObject({ allow: 1 });
      expect((await r.rolesFor('S1', 'colorize')).map((x) => x.role_id).sort()).toEqual(['R1', 'R2']);
      await r.setRole('S1', 'colorize', 'R1', undefined, 'mod', 2);
      expect((await r.serverRoles('S1')).map((x) => x.role_id)).toEqual(['R2']);

      await r.setLimits('S1', 'explain', { cooldown_s: 30, queue_share: 0.3 }, 'mod', 1);
      await r.setLimits('', '*', { daily_quota: 5 }, 'op', 1);
      expect(await r.limitsAt('S1', 'explain')).toMatchObject({ cooldown_s: 30, daily_quota: null, queue_share: 0.3 });
      expect((await r.limitsFor('S1', 'explain')).length).toBe(2);
      expect((await r.serverLimits('S1')).map((x) => x.command)).toEqual(['*', 'explain']);

      expect(await r.language('S1')).toBeUndefined();
      await r.setLanguage('S1', 'en', 'mod', 1);
      await r.setLanguage('S1', 'es', 'mod', 2);
      expect(await r.language('S1')).toBe('es');
    });

    it('usage: counted per day, refunded never below zero, latest use, totals per command', async () => {
      const { stores } = await driver.open();
      const r = stores.rules;
      const now = Date.UTC(2026, 10, 28, 15);
      await r.use('S1', 'ana', 'explain', '2026-11-28', now);
      await r.use('S1', 'ana', 'explain', '2026-11-28', now + 1000);
      await r.use('S1', 'ana', 'explain', '2026-11-27', now - 86_400_000);
      await r.use('S1', 'bob', 'translate', '2026-11-28', now);
      expect(await r.usage('S1', 'ana', 'explain', '2026-11-28')).toBe(2);
      expect(await r.usage('S1', 'ana', 'explain', '2026-11-29')).toBe(0);
      expect(await r.lastUse('S1', 'ana', 'explain', '2026-11-27')).toBe(now + 1000);
      expect(await r.lastUse('S1', 'zoe', 'explain', '2026-11-27')).toBeUndefined();
      expect(await r.usageByCommand('S1', '2026-11-28')).toEqual([
        { command: 'explain', count: 2 },
        { command: 'translate', count: 1 },
      ]);
      for (let i = 0; i < 3; i++) await r.refund('S1', 'bob', 'translate', '2026-11-28');
      expect(await r.usage('S1', 'bob', 'translate', '2026-11-28')).toBe(0);
    });

    it('audit: newest first, refusals only when asked, pruned by age', async () => {
      const { stores } = await driver.open();
      const r = stores.rules;
      const row = (at: number, action: string) => ({
        at,
        server_id: 'S1',
        channel_id: '',
        actor: 'discord:mod',
        action,
        command: 'explain',
        before: null,
        after: '{"enabled":false}',
      });
      await r.audit(row(1, 'disable'));
      await r.audit(row(2, 'refused'));
      await r.audit(row(3, 'enable'));
      expect((await r.recentAudit('S1', 10)).map((a) => a.action)).toEqual(['enable', 'disable']);
      const all = await r.recentAudit('S1', 10, true);
      expect(all.map((a) => a.action)).toEqual(['enable', 'refused', 'disable']);
      expect(all[0]).toMatchObject({ id: expect.any(Number), at: 3, before: null, after: '{"enabled":false}' });
      expect(await r.pruneAudit(3)).toBe(2);
      expect(await r.recentAudit('S1', 10, true)).toHaveLength(1);
    });

    it('key-value, button state (with its lifetime) and the jobs log', async () => {
      const { stores } = await driver.open();
      expect(await stores.kv.get('k')).toBeUndefined();
      await stores.kv.set('k', 'a');
      await stores.kv.set('k', 'b');
      expect(await stores.kv.get('k')).toBe('b');

      const id = await stores.interactions.save(
        { platform: 'slack', userId: 'u', command: 'colorize', options: { x: 1 } },
        1000,
      );
      expect(await stores.interactions.get(id, 2000)).toEqual({
        id,
        platform: 'slack',
        userId: 'u',
        command: 'colorize',
        options: { x: 1 },
        imageUrl: undefined,
        model: undefined,
        createdAt: 1000,
      });
      const ttl = stores.interactions.ttlMs;
      expect(await stores.interactions.get(id, 1000 + ttl + 1)).toBeUndefined();
      expect(await stores.interactions.purge(1000 + ttl + 1)).toBe(1);

      const base = { platform: 'web', userId: 'u', command: 'explain' };
      const t = Date.now();
      expect(await stores.jobsLog.record({ ...base, id: 'a', createdAt: t, outcome: 'ok', durationMs: 1.5 })).toBe(
        true,
      );
      await stores.jobsLog.record({ ...base, id: 'b', createdAt: t, outcome: 'cooldown', serverId: 'S1' });
      await stores.jobsLog.record({ ...base, id: 'c', createdAt: t - 1, outcome: 'ok' });
      const recent = await stores.jobsLog.recent();
      // Same millisecond: the later row first.
      expect(recent.map((j) => j.id)).toEqual(['b', 'a', 'c']);
      expect(recent[1]).toMatchObject({ createdAt: t, durationMs: 1.5, serverId: null });
    });

    it('accepted jobs: added, re-added, marked, listed oldest first, drained', async () => {
      const { stores } = await driver.open();
      const job = (id: string, createdAt: number) => ({
        id,
        createdAt,
        platform: 'discord',
        userId: 'ana',
        serverId: 'S1',
        command: 'colorize',
        day: '2026-11-28',
        reply: { token: 't' },
        request: { options: { a: 1 }, lang: 'es' },
      });
      await stores.accepted.add(job('j2', 20));
      await stores.accepted.add(job('j1', 10));
      await stores.accepted.add({ ...job('j1', 10), channelId: 'C1' });
      await stores.accepted.markAttempt('j1');
      expect(await stores.accepted.all()).toEqual([
        { ...job('j1', 10), channelId: 'C1', attempts: 1 },
        { ...job('j2', 20), attempts: 0 },
      ]);
      await stores.accepted.remove('j2');
      expect((await stores.accepted.drain()).map((j) => j.id)).toEqual(['j1']);
      expect(await stores.accepted.all()).toEqual([]);
    });

    it('accepted jobs after a crash: only a gone process’s rows are taken over, each by one process', async () => {
      const { stores, twin } = await driver.open();
      const job = {
        id: 'j1',
        createdAt: 1,
        platform: 'web',
        userId: 'ana',
        serverId: '',
        command: 'explain',
        day: '2026-11-28',
      };
      const crashed = await twin();
      await crashed.accepted.add(job);
      await stores.accepted.add({ ...job, id: 'mine' });
      if (driver.name === 'pg') {
        // Still running: its jobs are its own.
        expect(await stores.accepted.claimOrphans()).toEqual([]);
      }
      await crashed.close(); // PostgreSQL releases its liveness lock with its connections
      const [a, b] = [await twin(), await twin()];
      const claims = await Promise.all([a.accepted.claimOrphans(), b.accepted.claimOrphans()]);
      // 'mine' belongs to a running process on PostgreSQL; SQLite is one process's file, so any other client's rows are orphans.
      const expected = driver.name === 'pg' ? ['j1'] : ['j1', 'mine'];
      expect(
        claims
          .flat()
          .map((j) => j.id)
          .sort(),
      ).toEqual(expected);
      expect(await stores.accepted.all()).toHaveLength(2);
    });

    it('a failing side write is counted for /healthz and never thrown', async () => {
      const { twin } = await driver.open();
      // A closed store refuses every call, as a dead disk or database would.
      const failing = await twin();
      await failing.close();
      const log = failing.jobsLog;
      const entry = { id: 'x', createdAt: 1, platform: 'web', userId: 'u', command: 'c', outcome: 'ok' };
      expect(await log.record(entry)).toBe(false);
      expect(await log.guarded(() => failing.rules.refund('S', 'u', 'c', 'd'))).toBe(false);
      expect(log.health()).toMatchObject({ ok: false, failedWrites: 2 });
      // Button state on a failing store: an id that answers "expired" later, never a rejection.
      expect(await failing.interactions.save({ platform: 'p', userId: 'u', command: 'c', options: {} })).toMatch(
        /^[\w-]{12}$/,
      );
    });

    it('admission: one section per key at a time, other keys in parallel', async () => {
      const { stores } = await driver.open();
      const order: string[] = [];
      const section = (name: string) => async () => {
        order.push(`${name}+`);
        await stores.kv.set(name, name); // a store call inside the section
        await new Promise((r) => setTimeout(r, 30));
        order.push(`${name}-`);
        return name;
      };
      const results = await Promise.all([
        stores.admission('S1', section('a1')),
        stores.admission('S1', section('a2')),
        stores.admission('S2', section('b1')),
      ]);
      expect(results).toEqual(['a1', 'a2', 'b1']);
      expect(order.indexOf('a2+')).toBeGreaterThan(order.indexOf('a1-'));
      expect(order.indexOf('b1+')).toBeLessThan(order.indexOf('a1-'));
      // A section that throws releases its key.
      await expect(stores.admission('S1', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      expect(await stores.admission('S1', async () => 'after')).toBe('after');
    });

    // SQLite is one process's file (admission is in-process); PostgreSQL is shared by many: only
    // PostgreSQL has this test (not a skip on SQLite, which would read as a missing service in CI).
    (driver.name === 'sqlite' ? () => undefined : it)(
      'two store instances (two pools, as two processes) admitting one user at once: quota and cooldown stay exact',
      async () => {
        const { stores, twin } = await driver.open();
        const other = await twin();
        const now = Date.UTC(2026, 10, 28, 15);
        const gates = [stores, other].map((s) => ({ s, gate: new Gate(s.rules, { timeZone: TZ, now: () => now }) }));
        await stores.rules.setLimits('S1', 'explain', { daily_quota: 3 }, 'mod', 1);
        await stores.rules.setLimits('S1', 'colorize', { cooldown_s: 60 }, 'mod', 1);
        const admit = (i: number, command: string) => {
          const { s, gate } = gates[i % 2]!;
          const ctx = { platform: 'discord', userId: 'ana', serverId: 'S1' };
          return s.admission('S1', async () => {
            await gate.check(command, ctx);
            await gate.count(command, ctx);
            return 'ok';
          });
        };
        const codes = async (command: string) =>
          (await Promise.allSettled(Array.from({ length: 12 }, (_, i) => admit(i, command)))).map((r) =>
            r.status === 'fulfilled' ? r.value : (r.reason as { code: string }).code,
          );
        const quota = await codes('explain');
        expect(quota.filter((c) => c === 'ok')).toHaveLength(3);
        expect(quota.filter((c) => c === 'daily_quota')).toHaveLength(9);
        expect(await other.rules.usage('S1', 'ana', 'explain', '2026-11-28')).toBe(3);
        const cool = await codes('colorize');
        expect(cool.filter((c) => c === 'ok')).toHaveLength(1);
        expect(cool.filter((c) => c === 'cooldown')).toHaveLength(11);
      },
    );
  });
}
