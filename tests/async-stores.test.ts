import { afterEach, describe, expect, it } from 'vitest';
import { KeyedLock } from '../src/core/keyed-lock.js';
import type { CommandRequest } from '../src/core/service.js';
import type { RulesStore } from '../src/store/stores.js';
import { testApp } from './helpers/app.js';
import { standInTask } from './helpers/tasks.js';

const apps: { dispose(): Promise<void> }[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.dispose();
});

const mod = { platform: 'cli', userId: 'op', serverId: 'S1', isAdmin: true, lang: 'en' as const };
const explain = (userId: string, serverId = 'S1'): CommandRequest => ({
  command: 'explain',
  options: { topic: 'neurona' },
  ctx: { platform: 'cli', userId, serverId, lang: 'en' },
});

/** Every read of the rules answers a macrotask later, as a networked store (PostgreSQL) would. */
function slowReads(rules: RulesStore) {
  const r = rules as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of ['switchesFor', 'rolesFor', 'limitsFor', 'lastUse', 'usage']) {
    const read = r[name]!.bind(rules);
    r[name] = (...args) => new Promise((done) => setTimeout(() => done(read(...args)), 2));
  }
}

const codes = (settled: PromiseSettledResult<unknown>[]) =>
  settled.map((s) => (s.status === 'fulfilled' ? 'ok' : (s.reason as { code: string }).code));

describe('the stores are async; check-then-count stays atomic', () => {
  it('the SQLite store answers with Promises and a throw becomes a rejection', async () => {
    const app = testApp();
    apps.push(app);
    const read = app.stores.rules.language('S1');
    expect(read).toBeInstanceOf(Promise);
    expect(await read).toBeUndefined();
    app.db!.close();
    await expect(app.stores.rules.language('S1')).rejects.toThrow();
  });

  it('five concurrent requests against a quota of 1, with slow reads: one runs, four are refused', async () => {
    const app = testApp();
    apps.push(app);
    await app.service.admin({ sub: 'limits', options: { command: 'explain', quota: 1 }, ctx: mod });
    slowReads(app.stores.rules);
    const settled = await Promise.allSettled(Array.from({ length: 5 }, () => app.service.submit(explain('ana'))));
    expect(codes(settled).sort()).toEqual(['daily_quota', 'daily_quota', 'daily_quota', 'daily_quota', 'ok']);
    for (const s of settled) if (s.status === 'fulfilled') await s.value.result;
    // Another server is another lock and another quota.
    await (await app.service.submit(explain('ana', 'S2'))).result;
  });

  it('concurrent requests of different users keep the server within its queue share', async () => {
    const app = testApp({ SINAPSIS_QUEUE_MAX: '4', SINAPSIS_CONCURRENCY: '1' });
    apps.push(app);
    await app.service.admin({ sub: 'limits', options: { share: 50 }, ctx: mod });
    // One job of another server holds the only worker: S1's requests wait in the queue, and the share counts them.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const undo = standInTask('hold', async () => {
      await held;
      return { text: '', images: [], data: {}, timings: {} };
    });
    try {
      const hold = await app.service.queue.submit({
        id: 'hold',
        userId: 'someone-else',
        payload: { command: 'hold', task: 'hold', options: {}, images: {}, lang: 'en', langSource: 'platform' },
      });
      slowReads(app.stores.rules);
      const settled = await Promise.allSettled(['a', 'b', 'c', 'd'].map((u) => app.service.submit(explain(u))));
      expect(codes(settled).sort()).toEqual(['ok', 'ok', 'server_queue_share', 'server_queue_share']);
      release();
      await hold.result;
      for (const s of settled) if (s.status === 'fulfilled') await s.value.result;
    } finally {
      release();
      undo();
    }
  });
});

describe('KeyedLock', () => {
  it('runs sections of one key one after another, other keys freely, and forgets idle keys', async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    const section =
      (name: string, ms: number, fail = false) =>
      async () => {
        order.push(`${name}+`);
        await new Promise((r) => setTimeout(r, ms));
        order.push(`${name}-`);
        if (fail) throw new Error(name);
        return name;
      };
    const a1 = lock.run('A', section('a1', 10, true));
    const a2 = lock.run('A', section('a2', 1));
    const b1 = lock.run('B', section('b1', 1));
    await expect(a1).rejects.toThrow('a1');
    expect(await a2).toBe('a2');
    expect(await b1).toBe('b1');
    // a2 waited for a1 (even though a1 failed); b1 did not wait for a1.
    expect(order.indexOf('a2+')).toBeGreaterThan(order.indexOf('a1-'));
    expect(order.indexOf('b1+')).toBeLessThan(order.indexOf('a1-'));
    await new Promise((r) => setTimeout(r, 0));
    expect(lock.size).toBe(0);
  });
});
