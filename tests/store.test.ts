import { SqliteClient } from '../src/store/sqlite-client.js';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/store/db.js';
import { Gate } from '../src/store/gate.js';
import { JobsLog } from '../src/store/jobs-log.js';
import { tempDir } from './helpers/app.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('store', () => {
  it('creates and migrates the database under the data dir, and keeps data across restarts', async () => {
    const dir = tempDir();
    dirs.push(dir);
    let db = openDatabase(dir);
    expect(db.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(1);
    await new JobsLog(new SqliteClient(db)).record({
      id: 'j1',
      createdAt: Date.now(),
      platform: 'web',
      userId: 'u',
      command: 'detect-faces',
      outcome: 'ok',
      durationMs: 12,
    });
    await new Gate(db).rules.setSwitch('', '', 'detect-faces', false, 'test', 1);
    db.close();
    db = openDatabase(dir);
    expect(await new JobsLog(new SqliteClient(db)).recent()).toMatchObject([
      { id: 'j1', command: 'detect-faces', outcome: 'ok', durationMs: 12 },
    ]);
    expect(await new Gate(db).isEnabled('detect-faces')).toBe(false);
    db.close();
  });

  it('gate: store switch wins over the config list; refusals are localized', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const db = openDatabase(dir);
    const gate = new Gate(db, { disabledByConfig: ['colorize'] });
    expect(await gate.isEnabled('colorize')).toBe(false);
    expect(await gate.isEnabled('detect-faces')).toBe(true);
    await gate.rules.setSwitch('', '', 'colorize', true, 'test', 1);
    expect(await gate.isEnabled('colorize')).toBe(true);
    await gate.rules.setSwitch('', '', 'detect-faces', false, 'test', 1);
    let err: any;
    try {
      await gate.check('detect-faces', { platform: 'web', userId: 'u' });
    } catch (e) {
      err = e;
    }
    expect(err.code).toBe('command_disabled');
    expect(err.localized('es')).toMatch(/desactivado/);
    db.close();
  });
});
