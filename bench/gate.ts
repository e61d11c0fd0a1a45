// Gate overhead per request with 10 000 stored rules (switches, role rules, limits over 500
// servers), against the same gate over an empty store in the same run. Each request is what
// Service.submit does: gate.check (switch, roles, cooldown, quota) then gate.count.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../src/store/db.js';
import { Gate } from '../src/store/gate.js';
import { Rules } from '../src/store/rules.js';
import { SinapsisError } from '../src/errors.js';
import { quantile, round } from './lib/stats.js';

const COMMANDS = ['translate', 'generate-text', 'colorize', 'detect-faces', 'explain'];

function gateWith(wanted: number) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sinapsis-bench-gate-'));
  const db = openDatabase(dir);
  // Seeded through the synchronous SQLite rules (one transaction); the gate reads through the async store.
  const rules = new Rules(db);
  const gate = new Gate(rules, { timeZone: 'America/Argentina/Buenos_Aires' });
  let n = 0;
  rules.transaction(() => {
    for (let s = 0; n < wanted; s++) {
      const server = `S${s % 500}`;
      const command = COMMANDS[s % COMMANDS.length]!;
      rules.setSwitch(server, `C${s}`, command, s % 3 !== 0, 'bench', 1), n++;
      if (s % 4 === 0) rules.setRole(server, command, `R${s % 7}`, s % 8 !== 0, 'bench', 1), n++;
      if (s % 5 === 0) rules.setLimits(server, command, { cooldown_s: 1, daily_quota: 1_000_000 }, 'bench', 1), n++;
    }
  });
  return { gate, rules: n, close: () => (db.close(), rmSync(dir, { recursive: true, force: true })) };
}

async function measure(gate: Gate, requests: number) {
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
    const t = performance.now();
    try {
      await gate.check(command, ctx);
      await gate.count(command, ctx);
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

export async function run(args: string[]) {
  const requests = Number(args[args.indexOf('--requests') + 1]) || 20_000;
  const full = gateWith(10_000);
  const empty = gateWith(0);
  await measure(full.gate, 2000); // warm-up (prepared statements, JIT)
  await measure(empty.gate, 2000);
  const withRules = await measure(full.gate, requests);
  const noRules = await measure(empty.gate, requests);
  full.close();
  empty.close();
  console.log(
    JSON.stringify({
      stored_rules: full.rules,
      requests,
      with_rules: withRules,
      empty_store: noRules,
      p99_ratio: round(withRules.p99_ms / noRules.p99_ms, 2),
    }),
  );
}
