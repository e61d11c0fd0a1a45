import type { DB } from './db.js';

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
  private readonly q;

  constructor(private readonly db: DB) {
    const p = (sql: string) => db.prepare(sql);
    this.q = {
      switches: p(
        `SELECT * FROM switches WHERE server_id IN (?, '') AND channel_id IN (?, '') AND command IN (?, '*')`,
      ),
      switch: p(`SELECT * FROM switches WHERE server_id = ? AND channel_id = ? AND command = ?`),
      setSwitch: p(
        `INSERT INTO switches VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      ),
      clearSwitch: p(`DELETE FROM switches WHERE server_id = ? AND channel_id = ? AND command = ?`),
      serverSwitches: p(`SELECT * FROM switches WHERE server_id IN (?, '') ORDER BY server_id, channel_id, command`),
      roles: p(`SELECT * FROM role_rules WHERE server_id IN (?, '') AND command IN (?, '*')`),
      role: p(`SELECT * FROM role_rules WHERE server_id = ? AND command = ? AND role_id = ?`),
      setRole: p(
        `INSERT INTO role_rules VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET allow = excluded.allow, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      ),
      clearRole: p(`DELETE FROM role_rules WHERE server_id = ? AND command = ? AND role_id = ?`),
      serverRoles: p(`SELECT * FROM role_rules WHERE server_id IN (?, '') ORDER BY server_id, command, role_id`),
      limits: p(`SELECT * FROM limits WHERE server_id IN (?, '') AND command IN (?, '*')`),
      limit: p(`SELECT * FROM limits WHERE server_id = ? AND command = ?`),
      setLimits: p(
        `INSERT INTO limits VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET cooldown_s = excluded.cooldown_s, daily_quota = excluded.daily_quota, queue_share = excluded.queue_share, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      ),
      serverLimits: p(`SELECT * FROM limits WHERE server_id IN (?, '') ORDER BY server_id, command`),
      language: p(`SELECT language FROM server_settings WHERE server_id = ?`).pluck(),
      setLanguage: p(
        `INSERT INTO server_settings VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET language = excluded.language, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      ),
      usage: p(`SELECT count FROM usage WHERE server_id = ? AND user_id = ? AND command = ? AND day = ?`).pluck(),
      lastUse: p(
        `SELECT max(last_at) FROM usage WHERE server_id = ? AND user_id = ? AND command = ? AND day >= ?`,
      ).pluck(),
      use: p(
        `INSERT INTO usage VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT DO UPDATE SET count = count + 1, last_at = excluded.last_at`,
      ),
      refund: p(
        `UPDATE usage SET count = max(count - 1, 0) WHERE server_id = ? AND user_id = ? AND command = ? AND day = ?`,
      ),
      usageByCommand: p(
        `SELECT command, sum(count) AS count FROM usage WHERE server_id = ? AND day = ? GROUP BY command ORDER BY command`,
      ),
      audit: p(
        `INSERT INTO audit (at, server_id, channel_id, actor, action, command, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      recentAudit: p(
        `SELECT * FROM audit WHERE server_id = ? AND (? OR action != 'refused') ORDER BY at DESC, id DESC LIMIT ?`,
      ),
      prune: p(`DELETE FROM audit WHERE at < ?`),
    };
  }

  switchesFor(server: string, channel: string, command: string): SwitchRow[] {
    return this.q.switches.all(server, channel, command) as SwitchRow[];
  }
  switchAt(server: string, channel: string, command: string): SwitchRow | undefined {
    return this.q.switch.get(server, channel, command) as SwitchRow | undefined;
  }
  /** `enabled` undefined removes the rule, so the next broader one applies again. */
  setSwitch(
    server: string,
    channel: string,
    command: string,
    enabled: boolean | undefined,
    actor: string,
    now: number,
  ): void {
    if (enabled === undefined) this.q.clearSwitch.run(server, channel, command);
    else this.q.setSwitch.run(server, channel, command, enabled ? 1 : 0, now, actor);
  }
  serverSwitches(server: string): SwitchRow[] {
    return this.q.serverSwitches.all(server) as SwitchRow[];
  }

  rolesFor(server: string, command: string): RoleRow[] {
    return this.q.roles.all(server, command) as RoleRow[];
  }
  roleAt(server: string, command: string, role: string): RoleRow | undefined {
    return this.q.role.get(server, command, role) as RoleRow | undefined;
  }
  setRole(server: string, command: string, role: string, allow: boolean | undefined, actor: string, now: number): void {
    if (allow === undefined) this.q.clearRole.run(server, command, role);
    else this.q.setRole.run(server, command, role, allow ? 1 : 0, now, actor);
  }
  serverRoles(server: string): RoleRow[] {
    return this.q.serverRoles.all(server) as RoleRow[];
  }

  limitsFor(server: string, command: string): LimitsRow[] {
    return this.q.limits.all(server, command) as LimitsRow[];
  }
  limitsAt(server: string, command: string): LimitsRow | undefined {
    return this.q.limit.get(server, command) as LimitsRow | undefined;
  }
  setLimits(server: string, command: string, limits: Limits, actor: string, now: number): void {
    this.q.setLimits.run(
      server,
      command,
      limits.cooldown_s ?? null,
      limits.daily_quota ?? null,
      limits.queue_share ?? null,
      now,
      actor,
    );
  }
  serverLimits(server: string): LimitsRow[] {
    return this.q.serverLimits.all(server) as LimitsRow[];
  }

  language(server: string): string | undefined {
    return (this.q.language.get(server) as string | null | undefined) ?? undefined;
  }
  setLanguage(server: string, language: string, actor: string, now: number): void {
    this.q.setLanguage.run(server, language, now, actor);
  }

  usage(server: string, user: string, command: string, day: string): number {
    return (this.q.usage.get(server, user, command, day) as number | undefined) ?? 0;
  }
  /** Latest use on or after `sinceDay` (a cooldown never spans more than a day or two). */
  lastUse(server: string, user: string, command: string, sinceDay: string): number | undefined {
    return (this.q.lastUse.get(server, user, command, sinceDay) as number | null) ?? undefined;
  }
  use(server: string, user: string, command: string, day: string, now: number): void {
    this.q.use.run(server, user, command, day, now);
  }
  refund(server: string, user: string, command: string, day: string): void {
    this.q.refund.run(server, user, command, day);
  }
  usageByCommand(server: string, day: string): { command: string; count: number }[] {
    return this.q.usageByCommand.all(server, day) as { command: string; count: number }[];
  }

  audit(entry: Omit<AuditRow, 'id'>): void {
    this.q.audit.run(
      entry.at,
      entry.server_id,
      entry.channel_id,
      entry.actor,
      entry.action,
      entry.command,
      entry.before,
      entry.after,
    );
  }
  recentAudit(server: string, limit: number, withRefusals = false): AuditRow[] {
    return this.q.recentAudit.all(server, withRefusals ? 1 : 0, limit) as AuditRow[];
  }
  pruneAudit(before: number): number {
    return this.q.prune.run(before).changes;
  }
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
