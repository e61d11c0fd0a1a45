import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Gate } from '../src/core/gate.js';
import {
  byPrecedence,
  GATE_CHECKS,
  LIMIT_PRECEDENCE,
  scopeOf,
  SWITCH_PRECEDENCE,
  type GateCheck,
} from '../src/core/gate-checks.js';
import { SinapsisError } from '../src/errors.js';
import { openDatabase } from '../src/store/db.js';
import { tempDir } from './helpers/app.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const user = { platform: 'discord', userId: 'u1', serverId: 'S1', channelId: 'C1' };

describe('the gate as a list of named checks', () => {
  it('names its checks in the order they run, each explainable to a moderator', async () => {
    expect(GATE_CHECKS.map((c) => c.name)).toEqual(['switch', 'roles', 'cooldown', 'daily-quota', 'queue-share']);
    for (const c of GATE_CHECKS) expect(c.explains.length).toBeGreaterThan(20);
  });

  it('precedence is an ordered list of scopes: channel over server over the bot, a command\'s own rule over "*"', async () => {
    expect(SWITCH_PRECEDENCE.map((s) => `${s.where}:${s.command}`)).toEqual([
      'channel:own',
      'channel:all',
      'server:own',
      'server:all',
      'global:own',
      'global:all',
    ]);
    expect(LIMIT_PRECEDENCE.map((s) => `${s.where}:${s.command}`)).toEqual([
      'server:own',
      'server:all',
      'global:own',
      'global:all',
    ]);
    expect(scopeOf({ server_id: 'S1', channel_id: 'C1', command: '*' })).toEqual({ where: 'channel', command: 'all' });
    expect(scopeOf({ server_id: '', command: 'translate' })).toEqual({ where: 'global', command: 'own' });
    const rows = [
      { id: 'g*', server_id: '', channel_id: '', command: '*' },
      { id: 's', server_id: 'S1', channel_id: '', command: 'translate' },
      { id: 'c*', server_id: 'S1', channel_id: 'C1', command: '*' },
      { id: 's*', server_id: 'S1', channel_id: '', command: '*' },
    ];
    expect(byPrecedence(rows, SWITCH_PRECEDENCE).map((r) => r.id)).toEqual(['c*', 's', 's*', 'g*']);
    // A channel row is at no limit scope: limits are per server.
    expect(byPrecedence(rows, LIMIT_PRECEDENCE).map((r) => r.id)).toEqual(['s', 's*', 'g*']);
  });

  it('the switch check answers before the others, and a gate can run its own list', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const db = openDatabase(dir);
    try {
      const seen: string[] = [];
      const spy = (name: string): GateCheck => ({
        name,
        explains: `spy ${name} for this test`,
        check: async (req) => void seen.push(`${name}:${req.command}:${req.server}`),
      });
      const gate = new Gate(db, { checks: [spy('a'), GATE_CHECKS[0]!, spy('b')], disabledByConfig: ['colorize'] });
      await gate.check('translate', user);
      expect(seen).toEqual(['a:translate:S1', 'b:translate:S1']);
      seen.length = 0;
      await expect(gate.check('colorize', user)).rejects.toThrow(SinapsisError);
      expect(seen).toEqual(['a:colorize:S1']);
      // The refusal is audited as before.
      expect((await gate.rules.recentAudit('S1', 5, true)).map((a) => a.after)).toEqual(['command_disabled']);
    } finally {
      db.close();
    }
  });
});
