import { value, type SqlClient } from './sql.js';

/** '' is "everywhere" for a server and "the whole server" for a channel; '*' is every command. */
export const EVERYWHERE = '';
export const ALL_COMMANDS = '*';

export interface SwitchRow {
  server_id: string;
  channel_id: string;
  command: string;
  enabled: number;
  updated_at: number;
  updated_by: string;
}
export interface RoleRow {
  server_id: string;
  command: string;
  role_id: string;
  allow: number;
}
export interface LimitsRow {
  server_id: string;
  command: string;
  cooldown_s: number | null;
  daily_quota: number | null;
  queue_share: number | null;
}
export interface AuditRow {
  id: number;
  at: number;
  server_id: string;
  channel_id: string;
  actor: string;
  action: string;
  command: string | null;
  before: string | null;
  after: string | null;
}
export type Limits = Partial<Pick<LimitsRow, 'cooldown_s' | 'daily_quota' | 'queue_share'>>;

/**
 * The moderators' data: switches, role rules, limits, server settings, usage
 * counters and the audit log. Plain reads and writes, no decisions (the Gate
 * decides); every lookup the gate makes is a primary-key seek.
 */
export class Rules {
  constructor(private readonly sql: SqlClient) {}

  switchesFor(server: string, channel: string, command: string): Promise<SwitchRow[]> {
    return this.sql.all(
      `SELECT * FROM switches WHERE server_id IN (?, '') AND channel_id IN (?, '') AND command IN (?, '*')`,
      [server, channel, command],
    );
  }
  switchAt(server: string, channel: string, command: string): Promise<SwitchRow | undefined> {
    return this.sql.get(`SELECT * FROM switches WHERE server_id = ? AND channel_id = ? AND command = ?`, [
      server,
      channel,
      command,
    ]);
  }
  /** `enabled` undefined removes the rule, so the next broader one applies again. */
  async setSwitch(
    server: string,
    channel: string,
    command: string,
    enabled: boolean | undefined,
    actor: string,
    now: number,
  ): Promise<void> {
    if (enabled === undefined)
      await this.sql.run(`DELETE FROM switches WHERE server_id = ? AND channel_id = ? AND command = ?`, [
        server,
        channel,
        command,
      ]);
    else
      await this.sql.run(
        `INSERT INTO switches VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (server_id, channel_id, command) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
        [server, channel, command, enabled ? 1 : 0, now, actor],
      );
  }
  serverSwitches(server: string): Promise<SwitchRow[]> {
    return this.sql.all(`SELECT * FROM switches WHERE server_id IN (?, '') ORDER BY server_id, channel_id, command`, [
      server,
    ]);
  }

  rolesFor(server: string, command: string): Promise<RoleRow[]> {
    return this.sql.all(`SELECT * FROM role_rules WHERE server_id IN (?, '') AND command IN (?, '*')`, [
      server,
      command,
    ]);
  }
  roleAt(server: string, command: string, role: string): Promise<RoleRow | undefined> {
    return this.sql.get(`SELECT * FROM role_rules WHERE server_id = ? AND command = ? AND role_id = ?`, [
      server,
      command,
      role,
    ]);
  }
  async setRole(
    server: string,
    command: string,
    role: string,
    allow: boolean | undefined,
    actor: string,
    now: number,
  ): Promise<void> {
    if (allow === undefined)
      await this.sql.run(`DELETE FROM role_rules WHERE server_id = ? AND command = ? AND role_id = ?`, [
        server,
        command,
        role,
      ]);
    else
      await this.sql.run(
        `INSERT INTO role_rules VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (server_id, command, role_id) DO UPDATE SET allow = excluded.allow, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
        [server, command, role, allow ? 1 : 0, now, actor],
      );
  }
  serverRoles(server: string): Promise<RoleRow[]> {
    return this.sql.all(`SELECT * FROM role_rules WHERE server_id IN (?, '') ORDER BY server_id, command, role_id`, [
      server,
    ]);
  }

  limitsFor(server: string, command: string): Promise<LimitsRow[]> {
    return this.sql.all(`SELECT * FROM limits WHERE server_id IN (?, '') AND command IN (?, '*')`, [server, command]);
  }
  limitsAt(server: string, command: string): Promise<LimitsRow | undefined> {
    return this.sql.get(`SELECT * FROM limits WHERE server_id = ? AND command = ?`, [server, command]);
  }
  async setLimits(server: string, command: string, limits: Limits, actor: string, now: number): Promise<void> {
    await this.sql.run(
      `INSERT INTO limits VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (server_id, command) DO UPDATE SET cooldown_s = excluded.cooldown_s, daily_quota = excluded.daily_quota, queue_share = excluded.queue_share, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      [server, command, limits.cooldown_s ?? null, limits.daily_quota ?? null, limits.queue_share ?? null, now, actor],
    );
  }
  serverLimits(server: string): Promise<LimitsRow[]> {
    return this.sql.all(`SELECT * FROM limits WHERE server_id IN (?, '') ORDER BY server_id, command`, [server]);
  }

  async language(server: string): Promise<string | undefined> {
    return (
      (await value<string | null>(this.sql, `SELECT language FROM server_settings WHERE server_id = ?`, [server])) ??
      undefined
    );
  }
  async setLanguage(server: string, language: string, actor: string, now: number): Promise<void> {
    await this.sql.run(
      `INSERT INTO server_settings VALUES (?, ?, ?, ?) ON CONFLICT (server_id) DO UPDATE SET language = excluded.language, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      [server, language, now, actor],
    );
  }

  async usage(server: string, user: string, command: string, day: string): Promise<number> {
    return (
      (await value<number>(
        this.sql,
        `SELECT count FROM usage WHERE server_id = ? AND user_id = ? AND command = ? AND day = ?`,
        [server, user, command, day],
      )) ?? 0
    );
  }
  /** Latest use on or after `sinceDay` (a cooldown never spans more than a day or two). */
  async lastUse(server: string, user: string, command: string, sinceDay: string): Promise<number | undefined> {
    return (
      (await value<number | null>(
        this.sql,
        `SELECT max(last_at) FROM usage WHERE server_id = ? AND user_id = ? AND command = ? AND day >= ?`,
        [server, user, command, sinceDay],
      )) ?? undefined
    );
  }
  async use(server: string, user: string, command: string, day: string, now: number): Promise<void> {
    await this.sql.run(
      `INSERT INTO usage VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT (server_id, user_id, command, day) DO UPDATE SET count = usage.count + 1, last_at = excluded.last_at`,
      [server, user, command, day, now],
    );
  }
  async refund(server: string, user: string, command: string, day: string): Promise<void> {
    await this.sql.run(
      `UPDATE usage SET count = CASE WHEN count > 0 THEN count - 1 ELSE 0 END WHERE server_id = ? AND user_id = ? AND command = ? AND day = ?`,
      [server, user, command, day],
    );
  }
  usageByCommand(server: string, day: string): Promise<{ command: string; count: number }[]> {
    return this.sql.all(
      `SELECT command, sum(count) AS count FROM usage WHERE server_id = ? AND day = ? GROUP BY command ORDER BY command`,
      [server, day],
    );
  }

  async audit(entry: Omit<AuditRow, 'id'>): Promise<void> {
    await this.sql.run(
      `INSERT INTO audit (at, server_id, channel_id, actor, action, command, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        entry.at,
        entry.server_id,
        entry.channel_id,
        entry.actor,
        entry.action,
        entry.command,
        entry.before,
        entry.after,
      ],
    );
  }
  recentAudit(server: string, limit: number, withRefusals = false): Promise<AuditRow[]> {
    return this.sql.all(
      `SELECT * FROM audit WHERE server_id = ? AND (? = 1 OR action <> 'refused') ORDER BY at DESC, id DESC LIMIT ?`,
      [server, withRefusals ? 1 : 0, limit],
    );
  }
  pruneAudit(before: number): Promise<number> {
    return this.sql.run(`DELETE FROM audit WHERE at < ?`, [before]);
  }
}
