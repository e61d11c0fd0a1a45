// Gate overhead per request with 10 000 stored rules (switches, role rules, limits over 500
// servers), against the same gate over an empty store in the same run. Each request is what
// Service.submit does: gate.check (switch, roles, cooldown, quota) then gate.count.
// With PostgreSQL reachable (SINAPSIS_BENCH_DATABASE_URL, default the test database) the same
// requests run on it too, reported as a ratio to SQLite, and two processes admit one user's
// requests at once against a quota: the count that passed must equal the quota.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase } from '../src/store/db.js';
import { Gate } from '../src/store/gate.js';
import { pgStores, sqliteStores, type Stores } from '../src/store/stores.js';
import { SinapsisError } from '../src/errors.js';
import { quantile, round } from './lib/stats.js';

const COMMANDS = ['translate', 'generate-text', 'colorize', 'detect-faces', 'explain'];
const TZ = 'America/Argentina/Buenos_Aires';
const PG_URL = process.env.SINAPSIS_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Seeds `wanted` rules; the writes are issued without waiting for each other (one transaction on SQLite). */
async function seed(stores: Stores, wanted: number, begin?: () => void, commit?: () => void) {
  const r = stores.rules;
  const writes: Promise<void>[] = [];
  let n = 0;
  begin?.();
  for (let s = 0; n < wanted; s++) {
    const server = `S${s % 500}`;
    const command = COMMANDS[s % COMMANDS.length]!;
    writes.push(r.setSwitch(server, `C${s}`, command, s % 3 !== 0, 'bench', 1)), n++;
    if (s % 4 === 0) writes.push(r.setRole(server, command, `R${s % 7}`, s % 8 !== 0, 'bench', 1)), n++;
    if (s % 5 === 0)
      writes.push(r.setLimits(server, command, { cooldown_s: 1, daily_quota: 1_000_000 }, 'bench', 1)), n++;
    // PostgreSQL: a pool's worth in flight at a time.
    if (!begin && writes.length >= 64) await Promise.all(writes.splice(0));
  }
  commit?.();
  await Promise.all(writes);
  return n;
}

async function sqliteGate(wanted: number) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sinapsis-bench-gate-'));
  const db = openDatabase(dir);
  const stores = sqliteStores(db);
  const rules = await seed(
    stores,
    wanted,
    () => db.exec('BEGIN'),
    () => db.exec('COMMIT'),
  );
  const gate = new Gate(stores.rules, { timeZone: TZ });
  return {
    gate,
    stores,
    rules,
    close: async () => (await stores.close(), rmSync(dir, { recursive: true, force: true })),
  };
}

async function pgGate(wanted: number, schema: string) {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = withSchema(schema);
  const stores = pgStores({ url });
  await stores.ready();
  const rules = await seed(stores, wanted);
  const gate = new Gate(stores.rules, { timeZone: TZ });
  return { gate, stores, rules, url, close: () => stores.close() };
}

function withSchema(schema: string) {
  const u = new URL(PG_URL);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

async function measure(gate: Gate, requests: number, admission?: Stores['admission']) {
  const times: number[] = [];
  let refused = 0;
  for (let i = 0; i < requests; i++) {
    const s = i % 600; // some servers have no rules at all
    const ctx = {
      platform: 'bench',
      userId: `U${i % 997}`,
      serverId: `S${s}`,
      channelId: `C${(i * 7) % 4000}`,
      roles: [`R${i % 7}`],
    };
    const command = COMMANDS[i % COMMANDS.length]!;
    const admit = async () => {
      await gate.check(command, ctx);
      await gate.count(command, ctx);
    };
    const t = performance.now();
    try {
      await (admission ? admission(ctx.serverId, admit) : admit());
    } catch (err) {
      if (!(err instanceof SinapsisError)) throw err;
      refused++;
    }
    times.push(performance.now() - t);
  }
  return {
    p50_ms: round(quantile(times, 0.5), 4),
    p99_ms: round(quantile(times, 0.99), 4),
    max_ms: round(Math.max(...times), 3),
    refused,
  };
}

async function pgReachable() {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Two processes, each `attempts` admissions of one user (8 in flight), against a daily quota of `quota`. */
async function twoProcessAdmit(url: string, stores: Stores, quota: number, attempts: number) {
  await stores.rules.setLimits('S1', 'explain', { daily_quota: quota }, 'bench', 1);
  const worker = () =>
    new Promise<{ ok: number; refused: number; ms: number }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(import.meta.dirname, 'gate-admit-worker.ts'), url, String(attempts), '8'],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker exited ${code}`))));
    });
  const results = await Promise.all([worker(), worker()]);
  // Each worker times its own admissions (not its start-up); they overlap, so the longer one is the wall time.
  const wallMs = Math.max(...results.map((r) => r.ms));
  const ok = results.reduce((a, r) => a + r.ok, 0);
  return {
    processes: 2,
    attempts: 2 * attempts,
    quota,
    admitted: ok,
    refused: results.reduce((a, r) => a + r.refused, 0),
    exact: ok === quota,
    admissions_per_s: round((2 * attempts) / (wallMs / 1000), 0),
  };
}

export async function run(args: string[]) {
  const requests = Number(args[args.indexOf('--requests') + 1]) || 20_000;
  const full = await sqliteGate(10_000);
  const empty = await sqliteGate(0);
  await measure(full.gate, 2000); // warm-up (prepared statements, JIT)
  await measure(empty.gate, 2000);
  const withRules = await measure(full.gate, requests);
  const noRules = await measure(empty.gate, requests);
  const sqliteAdmitted = await measure(full.gate, requests, full.stores.admission);
  await empty.close();
  const out: Record<string, unknown> = {
    stored_rules: full.rules,
    requests,
    with_rules: withRules,
    empty_store: noRules,
    p99_ratio: round(withRules.p99_ms / noRules.p99_ms, 2),
  };
  if (await pgReachable()) {
    const schema = `bench_gate_${process.pid}`;
    const pgFull = await pgGate(10_000, schema);
    try {
      const pgRequests = Math.min(requests, 5000);
      await measure(pgFull.gate, 500);
      const pgRules = await measure(pgFull.gate, pgRequests);
      const pgAdmitted = await measure(pgFull.gate, pgRequests, pgFull.stores.admission);
      out.postgresql = {
        requests: pgRequests,
        with_rules: pgRules,
        admitted: pgAdmitted,
        check_count_ratio_vs_sqlite: {
          p50: round(pgRules.p50_ms / withRules.p50_ms, 1),
          p99: round(pgRules.p99_ms / withRules.p99_ms, 1),
        },
        under_admission_ratio_vs_sqlite: {
          p50: round(pgAdmitted.p50_ms / sqliteAdmitted.p50_ms, 1),
          p99: round(pgAdmitted.p99_ms / sqliteAdmitted.p99_ms, 1),
        },
        two_process_admit: await twoProcessAdmit(pgFull.url, pgFull.stores, 50, 200),
      };
    } finally {
      await pgFull.close();
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
  } else {
    out.postgresql = `skipped: PostgreSQL not reachable at ${PG_URL}`;
  }
  out.sqlite_admitted = sqliteAdmitted;
  await full.close();
  console.log(JSON.stringify(out));
}
