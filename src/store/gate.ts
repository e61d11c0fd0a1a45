import { SinapsisError } from '../errors.js';
import type { DB } from './db.js';
import { ALL_COMMANDS, EVERYWHERE, Rules, type Limits } from './rules.js';

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

export interface GateOptions {
  /** Commands off everywhere unless a stored switch turns them on (SINAPSIS_DISABLED_COMMANDS). */
  disabledByConfig?: readonly string[];
  /** Daily quotas reset at midnight here. */
  timeZone?: string;
  auditRetentionDays?: number;
  /** Named in refusals ("a moderator can turn it on with /sinapsis enable"). */
  adminCommand?: string;
  /** Injected in tests so quotas and cooldowns are checked across midnight without sleeping. */
  now?: () => number;
}

const HOUR = 3600_000;
const LEVEL_SOURCE: Record<number, SwitchSource> = { 0: 'channel', 2: 'server', 4: 'global' };

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** YYYY-MM-DD of `at` in the time zone. */
export function dayKey(at: number, timeZone: string): string {
  let f = dayFormats.get(timeZone);
  if (!f) dayFormats.set(timeZone, (f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })));
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

/**
 * The one place that decides whether a request may run, for every adapter:
 * switches (channel over server over global, a command's own rule over the
 * server-wide "*"), role rules, per-user cooldowns and daily quotas. Refusals
 * are localized errors and go to the audit log.
 */
export class Gate {
  readonly rules: Rules;
  readonly timeZone: string;
  readonly now: () => number;
  private lastPrune = 0;

  constructor(db: DB, private readonly opts: GateOptions = {}) {
    this.rules = new Rules(db);
    this.timeZone = opts.timeZone ?? 'UTC';
    this.now = opts.now ?? Date.now;
  }

  /** Whether the command is on at this place, and which rule said so. */
  switchState(command: string, serverId = EVERYWHERE, channelId = EVERYWHERE): { enabled: boolean; source: SwitchSource } {
    const rows = this.rules.switchesFor(serverId, channelId, command);
    // Most specific first: channel, server, global; within each, the command's own rule before '*'.
    const level = (r: { server_id: string; channel_id: string }) => (r.channel_id !== EVERYWHERE ? 0 : r.server_id !== EVERYWHERE ? 2 : 4);
    const rule = rows.sort((a, b) => level(a) + (a.command === ALL_COMMANDS ? 1 : 0) - level(b) - (b.command === ALL_COMMANDS ? 1 : 0))[0];
    if (rule) return { enabled: rule.enabled === 1, source: LEVEL_SOURCE[level(rule)]! };
    if (this.opts.disabledByConfig?.includes(command)) return { enabled: false, source: 'config' };
    return { enabled: true, source: 'default' };
  }

  isEnabled(command: string, ctx?: Pick<GateContext, 'serverId' | 'channelId'>): boolean {
    return this.switchState(command, ctx?.serverId, ctx?.channelId).enabled;
  }

  /** Field by field, the most specific limit set: server+command, server+*, global+command, global+*. */
  limits(command: string, serverId = EVERYWHERE): Required<{ [K in keyof Limits]: number | null }> {
    const rows = this.rules.limitsFor(serverId, command);
    const rank = (r: { server_id: string; command: string }) => (r.server_id === EVERYWHERE ? 2 : 0) + (r.command === ALL_COMMANDS ? 1 : 0);
    rows.sort((a, b) => rank(a) - rank(b));
    const pick = (k: keyof Limits) => rows.find((r) => r[k] !== null)?.[k] ?? null;
    return { cooldown_s: pick('cooldown_s'), daily_quota: pick('daily_quota'), queue_share: pick('queue_share') };
  }

  /**
   * Refuses (throws a localized SinapsisError) when the request may not run here now; counts
   * nothing. With `load` (the server's requests in the queue and its capacity) it also keeps
   * the server within its share of the queue.
   */
  check(command: string, ctx: GateContext, load?: QueueLoad): void {
    try {
      this.decide(command, ctx, load);
    } catch (err) {
      if (err instanceof SinapsisError) {
        try {
          this.audit(ctx, 'refused', command, null, err.code);
        } catch {
          // A full disk must not turn the user's clear refusal into an internal error.
        }
      }
      throw err;
    }
  }

  private decide(command: string, ctx: GateContext, load?: QueueLoad): void {
    const server = ctx.serverId ?? EVERYWHERE;
    const state = this.switchState(command, server, ctx.channelId ?? EVERYWHERE);
    if (!state.enabled) throw new SinapsisError('command_disabled', { command, where: state.source, platform: ctx.platform, admin: this.opts.adminCommand ?? 'sinapsis' });

    const rules = this.rules.rolesFor(server, command);
    if (rules.length) {
      const roles = new Set(ctx.roles ?? []);
      if (rules.some((r) => !r.allow && roles.has(r.role_id))) throw new SinapsisError('role_not_allowed', { command, platform: ctx.platform });
      // The command's own allow-list replaces the server-wide one.
      const own = rules.filter((r) => r.allow && r.command === command);
      const allowed = own.length ? own : rules.filter((r) => r.allow);
      if (allowed.length && !allowed.some((r) => roles.has(r.role_id))) throw new SinapsisError('role_not_allowed', { command, platform: ctx.platform });
    }

    const limits = this.limits(command, server);
    const now = this.now();
    const today = dayKey(now, this.timeZone);
    if (limits.cooldown_s) {
      const yesterday = dayKey(now - 24 * HOUR, this.timeZone);
      const last = this.rules.lastUse(server, ctx.userId, command, yesterday);
      const left = last === undefined ? 0 : last + limits.cooldown_s * 1000 - now;
      if (left > 0) throw new SinapsisError('cooldown', { command, seconds: Math.ceil(left / 1000) });
    }
    if (limits.daily_quota !== null && this.rules.usage(server, ctx.userId, command, today) >= limits.daily_quota) {
      throw new SinapsisError('daily_quota', { command, quota: limits.daily_quota, seconds: Math.ceil((nextMidnight(now, this.timeZone) - now) / 1000) });
    }
    // At least one request, however small the share.
    if (load && limits.queue_share !== null && load.serverJobs >= Math.max(1, Math.floor(limits.queue_share * load.capacity))) {
      throw new SinapsisError('server_queue_share', { jobs: load.serverJobs, share: Math.round(limits.queue_share * 100) });
    }
  }

  /** Counts an accepted request toward cooldown and quota; the returned function gives the quota back (a failed job). */
  count(command: string, ctx: GateContext): (() => void) & { day: string } {
    const server = ctx.serverId ?? EVERYWHERE;
    const now = this.now();
    const day = dayKey(now, this.timeZone);
    this.rules.use(server, ctx.userId, command, day, now);
    return Object.assign(() => this.rules.refund(server, ctx.userId, command, day), { day });
  }

  /** Records a change or a refusal; old entries go after the retention period. */
  audit(ctx: Pick<GateContext, 'platform' | 'userId' | 'serverId' | 'channelId'>, action: string, command: string | null, before: unknown, after: unknown): void {
    const now = this.now();
    const json = (v: unknown) => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v));
    this.rules.audit({ at: now, server_id: ctx.serverId ?? EVERYWHERE, channel_id: ctx.channelId ?? EVERYWHERE, actor: `${ctx.platform}:${ctx.userId}`, action, command, before: json(before), after: json(after) });
    if (now - this.lastPrune > HOUR) this.prune();
  }

  prune(): number {
    this.lastPrune = this.now();
    return this.rules.pruneAudit(this.now() - (this.opts.auditRetentionDays ?? 90) * 24 * HOUR);
  }
}
