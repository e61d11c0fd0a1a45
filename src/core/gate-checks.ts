import { SinapsisError } from '../errors.js';
import { ALL_COMMANDS, EVERYWHERE, type Limits } from '../store/rules.js';
import type { RulesStore } from '../store/stores.js';

/** The store reads the checks make: all a different backend must answer for the gate. */
export type GateReads = Pick<RulesStore, 'switchesFor' | 'rolesFor' | 'limitsFor' | 'lastUse' | 'usage'>;

/** Where a request comes from: the gate weighs server, channel and roles. */
export interface GateContext {
  platform: string;
  userId: string;
  serverId?: string;
  channelId?: string;
  roles?: readonly string[];
  /** The adapter vouches that this user moderates the server (Manage Server, workspace admin, CLI operator). */
  isAdmin?: boolean;
}

export interface QueueLoad {
  /** The server's requests now waiting or running. */
  serverJobs: number;
  /** How many requests the queue holds at most. */
  capacity: number;
}

export type SwitchSource = 'channel' | 'server' | 'global' | 'config' | 'default';

/**
 * One place a rule can be written: where (a channel, a server, the whole bot) and for which
 * commands (this one, or every one: '*').
 */
export interface Scope {
  where: 'channel' | 'server' | 'global';
  command: 'own' | 'all';
}

/**
 * Which switch wins, most specific first: this is the order a moderator is told ("a channel
 * rule beats a server rule; a command's own rule beats the rule for every command").
 */
export const SWITCH_PRECEDENCE: readonly Scope[] = [
  { where: 'channel', command: 'own' },
  { where: 'channel', command: 'all' },
  { where: 'server', command: 'own' },
  { where: 'server', command: 'all' },
  { where: 'global', command: 'own' },
  { where: 'global', command: 'all' },
];

/** Which limit wins, field by field, most specific first (limits are set per server, not per channel). */
export const LIMIT_PRECEDENCE: readonly Scope[] = [
  { where: 'server', command: 'own' },
  { where: 'server', command: 'all' },
  { where: 'global', command: 'own' },
  { where: 'global', command: 'all' },
];

/** The scope a stored row was written at. */
export function scopeOf(row: { server_id: string; channel_id?: string; command: string }): Scope {
  const where =
    row.channel_id !== undefined && row.channel_id !== EVERYWHERE
      ? 'channel'
      : row.server_id !== EVERYWHERE
        ? 'server'
        : 'global';
  return { where, command: row.command === ALL_COMMANDS ? 'all' : 'own' };
}

/** The rows in precedence order (rows at the same scope keep their order); rows at no listed scope are dropped. */
export function byPrecedence<R extends { server_id: string; channel_id?: string; command: string }>(
  rows: readonly R[],
  precedence: readonly Scope[],
): R[] {
  const rank = (r: R) => {
    const s = scopeOf(r);
    return precedence.findIndex((p) => p.where === s.where && p.command === s.command);
  };
  // The common cases (no rule, one rule) without allocating: the gate runs on every request.
  if (rows.length === 0) return [];
  if (rows.length === 1) return rank(rows[0]!) >= 0 ? [rows[0]!] : [];
  return rows
    .map((row) => ({ row, rank: rank(row) }))
    .filter((x) => x.rank >= 0)
    .sort((a, b) => a.rank - b.rank)
    .map((x) => x.row);
}

export type ResolvedLimits = Required<{ [K in keyof Limits]: number | null }>;

/** What the checks read: the request, and the gate's answers computed once and shared between checks. */
export interface GateRequest {
  command: string;
  ctx: GateContext;
  /** The server, or '' (EVERYWHERE) outside one. */
  server: string;
  load?: QueueLoad;
  rules: GateReads;
  now: number;
  timeZone: string;
  /** Named in refusals ("a moderator can turn it on with /sinapsis enable"). */
  adminCommand: string;
  switchState(): Promise<{ enabled: boolean; source: SwitchSource }>;
  limits(): Promise<ResolvedLimits>;
}

/** One small rule of the gate: refuses (throws a localized SinapsisError) or lets the request through. */
export interface GateCheck {
  name: string;
  /** What it checks, in the words a moderator would use. */
  explains: string;
  check(req: GateRequest): Promise<void>;
}

const HOUR = 3600_000;

export const commandSwitch: GateCheck = {
  name: 'switch',
  explains:
    "The command is turned on here: the most specific switch wins (channel, then server, then the whole bot; a command's own switch before the one for every command), then the bot's config.",
  async check(req) {
    const state = await req.switchState();
    if (!state.enabled)
      throw new SinapsisError('command_disabled', {
        command: req.command,
        where: state.source,
        platform: req.ctx.platform,
        admin: req.adminCommand,
      });
  },
};

export const roleRules: GateCheck = {
  name: 'roles',
  explains:
    "A denied role always refuses; when allow rules exist the user needs one of them (the command's own allow-list replaces the server-wide one).",
  async check({ rules: store, server, command, ctx }) {
    const rules = await store.rolesFor(server, command);
    if (!rules.length) return;
    const roles = new Set(ctx.roles ?? []);
    if (rules.some((r) => !r.allow && roles.has(r.role_id)))
      throw new SinapsisError('role_not_allowed', { command, platform: ctx.platform });
    // The command's own allow-list replaces the server-wide one.
    const own = rules.filter((r) => r.allow && r.command === command);
    const allowed = own.length ? own : rules.filter((r) => r.allow);
    if (allowed.length && !allowed.some((r) => roles.has(r.role_id)))
      throw new SinapsisError('role_not_allowed', { command, platform: ctx.platform });
  },
};

export const cooldown: GateCheck = {
  name: 'cooldown',
  explains: 'The user waits the cooldown between two uses of the command on this server.',
  async check(req) {
    const seconds = (await req.limits()).cooldown_s;
    if (!seconds) return;
    const yesterday = dayKey(req.now - 24 * HOUR, req.timeZone);
    const last = await req.rules.lastUse(req.server, req.ctx.userId, req.command, yesterday);
    const left = last === undefined ? 0 : last + seconds * 1000 - req.now;
    if (left > 0) throw new SinapsisError('cooldown', { command: req.command, seconds: Math.ceil(left / 1000) });
  },
};

export const dailyQuota: GateCheck = {
  name: 'daily-quota',
  explains:
    "The user has uses of the command left today on this server (the day ends at midnight in the bot's time zone).",
  async check(req) {
    const quota = (await req.limits()).daily_quota;
    if (quota === null) return;
    if ((await req.rules.usage(req.server, req.ctx.userId, req.command, dayKey(req.now, req.timeZone))) < quota) return;
    throw new SinapsisError('daily_quota', {
      command: req.command,
      quota,
      seconds: Math.ceil((nextMidnight(req.now, req.timeZone) - req.now) / 1000),
    });
  },
};

export const queueShare: GateCheck = {
  name: 'queue-share',
  explains: 'The server keeps within its share of the queue (at least one request, however small the share).',
  async check(req) {
    const share = (await req.limits()).queue_share;
    const load = req.load;
    if (!load || share === null) return;
    if (load.serverJobs >= Math.max(1, Math.floor(share * load.capacity))) {
      throw new SinapsisError('server_queue_share', { jobs: load.serverJobs, share: Math.round(share * 100) });
    }
  },
};

/** The gate's checks, in the order they run: the first that refuses answers the user. */
export const GATE_CHECKS: readonly GateCheck[] = [commandSwitch, roleRules, cooldown, dailyQuota, queueShare];

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** YYYY-MM-DD of `at` in the time zone. */
export function dayKey(at: number, timeZone: string): string {
  let f = dayFormats.get(timeZone);
  if (!f)
    dayFormats.set(
      timeZone,
      (f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })),
    );
  return f.format(at);
}

/** The first millisecond after `at` that belongs to the next day in the time zone. */
export function nextMidnight(at: number, timeZone: string): number {
  const today = dayKey(at, timeZone);
  let lo = at;
  let hi = at + 27 * HOUR;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (dayKey(mid, timeZone) === today) lo = mid;
    else hi = mid;
  }
  return hi;
}
