import { SinapsisError } from '../errors.js';
import type { DB } from './db.js';

/** Where a request comes from; later the gate also weighs server, channel and roles. */
export interface GateContext {
  platform: string;
  userId: string;
  serverId?: string;
  channelId?: string;
  roles?: readonly string[];
}

/**
 * The one check every request passes before its task runs, on every adapter.
 * Today it knows "enabled globally": the store's switch wins, else the config list.
 */
export class Gate {
  private readonly lookup;
  private readonly upsert;
  constructor(db: DB, private readonly disabledByConfig: readonly string[] = []) {
    this.lookup = db.prepare('SELECT enabled FROM command_switches WHERE command = ?').pluck();
    this.upsert = db.prepare(
      `INSERT INTO command_switches (command, enabled, updated_at) VALUES (?, ?, ?)
       ON CONFLICT(command) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
    );
  }

  isEnabled(command: string, _ctx?: GateContext): boolean {
    const stored = this.lookup.get(command) as number | undefined;
    if (stored !== undefined) return stored === 1;
    return !this.disabledByConfig.includes(command);
  }

  check(command: string, ctx: GateContext): void {
    if (!this.isEnabled(command, ctx)) throw new SinapsisError('command_disabled', { command });
  }

  setEnabled(command: string, enabled: boolean, now = Date.now()): void {
    this.upsert.run(command, enabled ? 1 : 0, now);
  }
}
