import { SinapsisError } from '../errors.js';
import type { DB } from '../store/db.js';
import { EVERYWHERE } from '../store/rules.js';
import { type RulesStore, sqliteRules } from '../store/stores.js';
import {
  byPrecedence,
  dayKey,
  GATE_CHECKS,
  LIMIT_PRECEDENCE,
  SWITCH_PRECEDENCE,
  type GateCheck,
  type GateContext,
  type GateRequest,
  type QueueLoad,
  type ResolvedLimits,
  type SwitchSource,
} from './gate-checks.js';

export { dayKey, nextMidnight, type GateContext, type QueueLoad, type SwitchSource } from './gate-checks.js';

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
  /** The checks, in order (core/gate-checks.ts's GATE_CHECKS). */
  checks?: readonly GateCheck[];
}

const HOUR = 3600_000;

const isDb = (store: DB | RulesStore): store is DB => typeof (store as DB).prepare === 'function';

/**
 * The one place that decides whether a request may run, for every adapter: the
 * named checks of gate-checks.ts (switches, role rules, cooldowns, daily quotas,
 * queue share), in order. Refusals are localized errors and go to the audit log.
 */
export class Gate {
  readonly rules: RulesStore;
  readonly timeZone: string;
  readonly now: () => number;
  private lastPrune = 0;

  /** `rules`: the moderators' data (createApp hands the one from its stores); a SQLite database is wrapped. */
  constructor(
    store: DB | RulesStore,
    private readonly opts: GateOptions = {},
  ) {
    this.rules = isDb(store) ? sqliteRules(store) : store;
    this.timeZone = opts.timeZone ?? 'UTC';
    this.now = opts.now ?? Date.now;
  }

  /** Whether the command is on at this place, and which rule said so. */
  async switchState(
    command: string,
    serverId = EVERYWHERE,
    channelId = EVERYWHERE,
  ): Promise<{ enabled: boolean; source: SwitchSource }> {
    const rule = byPrecedence(await this.rules.switchesFor(serverId, channelId, command), SWITCH_PRECEDENCE)[0];
    if (rule)
      return {
        enabled: rule.enabled === 1,
        source: rule.channel_id !== EVERYWHERE ? 'channel' : rule.server_id !== EVERYWHERE ? 'server' : 'global',
      };
    if (this.opts.disabledByConfig?.includes(command)) return { enabled: false, source: 'config' };
    return { enabled: true, source: 'default' };
  }

  async isEnabled(command: string, ctx?: Pick<GateContext, 'serverId' | 'channelId'>): Promise<boolean> {
    return (await this.switchState(command, ctx?.serverId, ctx?.channelId)).enabled;
  }

  /** Field by field, the most specific limit set: server+command, server+*, global+command, global+*. */
  async limits(command: string, serverId = EVERYWHERE): Promise<ResolvedLimits> {
    const rows = byPrecedence(await this.rules.limitsFor(serverId, command), LIMIT_PRECEDENCE);
    const pick = (k: keyof ResolvedLimits) => rows.find((r) => r[k] !== null)?.[k] ?? null;
    return { cooldown_s: pick('cooldown_s'), daily_quota: pick('daily_quota'), queue_share: pick('queue_share') };
  }

  /**
   * Refuses (throws a localized SinapsisError) when the request may not run here now; counts
   * nothing. With `load` (the server's requests in the queue and its capacity) it also keeps
   * the server within its share of the queue.
   */
  async check(command: string, ctx: GateContext, load?: QueueLoad): Promise<void> {
    try {
      await this.decide(command, ctx, load);
    } catch (err) {
      if (err instanceof SinapsisError) {
        try {
          await this.audit(ctx, 'refused', command, null, err.code);
        } catch {
          // A full disk must not turn the user's clear refusal into an internal error.
        }
      }
      throw err;
    }
  }

  private async decide(command: string, ctx: GateContext, load?: QueueLoad): Promise<void> {
    const server = ctx.serverId ?? EVERYWHERE;
    // Each answer is read from the store at most once, and only by a check that needs it.
    let state: ReturnType<Gate['switchState']> | undefined;
    let limits: Promise<ResolvedLimits> | undefined;
    const req: GateRequest = {
      command,
      ctx,
      server,
      load,
      rules: this.rules,
      now: this.now(),
      timeZone: this.timeZone,
      adminCommand: this.opts.adminCommand ?? 'sinapsis',
      switchState: () => (state ??= this.switchState(command, server, ctx.channelId ?? EVERYWHERE)),
      limits: () => (limits ??= this.limits(command, server)),
    };
    for (const check of this.opts.checks ?? GATE_CHECKS) await check.check(req);
  }

  /** Counts an accepted request toward cooldown and quota; the returned function gives the quota back (a failed job). */
  async count(command: string, ctx: GateContext): Promise<(() => Promise<void>) & { day: string }> {
    const server = ctx.serverId ?? EVERYWHERE;
    const now = this.now();
    const day = dayKey(now, this.timeZone);
    await this.rules.use(server, ctx.userId, command, day, now);
    return Object.assign(() => this.rules.refund(server, ctx.userId, command, day), { day });
  }

  /** Records a change or a refusal; old entries go after the retention period. */
  async audit(
    ctx: Pick<GateContext, 'platform' | 'userId' | 'serverId' | 'channelId'>,
    action: string,
    command: string | null,
    before: unknown,
    after: unknown,
  ): Promise<void> {
    const now = this.now();
    const json = (v: unknown) => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v));
    await this.rules.audit({
      at: now,
      server_id: ctx.serverId ?? EVERYWHERE,
      channel_id: ctx.channelId ?? EVERYWHERE,
      actor: `${ctx.platform}:${ctx.userId}`,
      action,
      command,
      before: json(before),
      after: json(after),
    });
    if (now - this.lastPrune > HOUR) await this.prune();
  }

  prune(): Promise<number> {
    this.lastPrune = this.now();
    return this.rules.pruneAudit(this.now() - (this.opts.auditRetentionDays ?? 90) * 24 * HOUR);
  }
}
