import type { AdminSpec } from '../../commands/spec.js';
import { SinapsisError } from '../errors.js';
import { t } from '../i18n/messages.js';
import type { Lang } from '../i18n/locale.js';
import type { Awaitable, QueueStats } from '../queue/types.js';
import { dayKey, type Gate } from './gate.js';
import { ALL_COMMANDS, EVERYWHERE, type Limits } from '../store/rules.js';
import { parseOptions, type RawOptions } from './options.js';
import type { RequestContext } from './request-context.js';

export interface AdminRequest {
  /** Subcommand: enable, disable, roles, limits, status, language. */
  sub: string;
  options: RawOptions;
  ctx: RequestContext;
}

export interface AdminResult {
  text: string;
  data: Record<string, unknown>;
}

export interface AdminDeps {
  gate: Gate;
  spec: AdminSpec;
  commands: readonly string[];
  /** Whether a command has a task yet (status says when it does not). */
  available: (command: string) => boolean;
  /** The queue's counts, with the server's own jobs and the waiting ones by command (`JobQueue.stats(server)`). */
  queueStats: (serverId: string) => Awaitable<QueueStats>;
}

/** Discord role mentions (<@&id>) and Slack user groups (<!subteam^ID|name>) become bare IDs. */
export function roleId(raw: string): string {
  return raw
    .trim()
    .replace(/^<@&(\d+)>$/, '$1')
    .replace(/^<!subteam\^([A-Z0-9]+)(\|[^>]*)?>$/, '$1');
}

const onOff = (lang: Lang, s: { enabled: boolean; source: string }) =>
  t(lang, s.enabled ? 'admin_on' : 'admin_off', { where: s.source });

/**
 * The moderators' operations, the same for every adapter: validated against
 * the admin spec, refused to non-moderators, each change audited (before →
 * after). Settings are data in the store; the Gate reads them.
 */
export class Admin {
  constructor(private readonly deps: AdminDeps) {}

  async run(req: AdminRequest): Promise<AdminResult> {
    const { gate, spec } = this.deps;
    const sub = spec.subcommands.find((s) => s.name === req.sub);
    if (!sub)
      throw new SinapsisError('unknown_command', {
        name: `${spec.name} ${req.sub}`,
        available: spec.subcommands.map((s) => `${spec.name} ${s.name}`).join(', '),
      });
    const o = parseOptions({ name: `${spec.name} ${sub.name}`, options: sub.options }, req.options);
    const ctx = req.ctx;
    if (!ctx.isAdmin) {
      await gate.audit(ctx, 'refused', `${spec.name} ${sub.name}`, null, 'admin_only');
      throw new SinapsisError('admin_only', { platform: ctx.platform });
    }
    const server = ctx.serverId ?? EVERYWHERE;
    const lang = ctx.lang;
    const now = gate.now();
    const actor = `${ctx.platform}:${ctx.userId}`;
    const command = String(o.command ?? ALL_COMMANDS);
    const label = command === ALL_COMMANDS ? t(lang, 'admin_all_commands') : `/${command}`;

    switch (sub.name) {
      case 'enable':
      case 'disable': {
        if (o.scope === 'channel' && !ctx.channelId)
          throw new SinapsisError('invalid_option', { option: 'scope', expected: 'server (no channel here)' });
        const channel = o.scope === 'channel' ? ctx.channelId! : EVERYWHERE;
        // For '*' this reads the '*' rules alone: what "every command" is set to here.
        const before = await gate.switchState(command, server, channel);
        await gate.rules.setSwitch(server, channel, command, sub.name === 'enable', actor, now);
        const after = await gate.switchState(command, server, channel);
        await gate.audit({ ...ctx, channelId: channel }, sub.name, command, before, after);
        return {
          text: t(lang, 'admin_switched', { command: label, state: onOff(lang, after), before: onOff(lang, before) }),
          data: { command, scope: o.scope, before, after },
        };
      }
      case 'roles': {
        const role = roleId(String(o.role));
        const prev = await gate.rules.roleAt(server, command, role);
        const before = prev ? (prev.allow ? 'allow' : 'deny') : 'none';
        const after = o.action === 'clear' ? 'none' : String(o.action);
        await gate.rules.setRole(server, command, role, after === 'none' ? undefined : after === 'allow', actor, now);
        await gate.audit(ctx, 'roles', command, { role, rule: before }, { role, rule: after });
        return {
          text: t(lang, 'admin_roles', { command: label, role, before, after }),
          data: { command, role, before, after },
        };
      }
      case 'limits': {
        const prev = await gate.rules.limitsAt(server, command);
        const before: Limits = {
          cooldown_s: prev?.cooldown_s ?? null,
          daily_quota: prev?.daily_quota ?? null,
          queue_share: prev?.queue_share ?? null,
        };
        const after: Limits = { ...before };
        // 0 (or 100%) means "no limit": stored as null so a broader rule can apply again.
        if (o.cooldown !== undefined) after.cooldown_s = Number(o.cooldown) || null;
        if (o.quota !== undefined) after.daily_quota = Number(o.quota) || null;
        if (o.share !== undefined) after.queue_share = Number(o.share) >= 100 ? null : Number(o.share) / 100;
        if (o.cooldown !== undefined || o.quota !== undefined || o.share !== undefined) {
          await gate.rules.setLimits(server, command, after, actor, now);
          await gate.audit(ctx, 'limits', command, before, after);
        }
        return {
          text: t(lang, 'admin_limits', { command: label, limits: describeLimits(lang, after) }),
          data: { command, before, after },
        };
      }
      case 'language': {
        const before = (await gate.rules.language(server)) ?? null;
        await gate.rules.setLanguage(server, String(o.language), actor, now);
        await gate.audit(ctx, 'language', null, before, o.language);
        return {
          text: t(o.language as Lang, 'admin_language', { language: String(o.language) }),
          data: { before, after: o.language },
        };
      }
      default:
        return this.status(ctx);
    }
  }

  private async status(ctx: RequestContext): Promise<AdminResult> {
    const { gate, commands } = this.deps;
    const lang = ctx.lang;
    const server = ctx.serverId ?? EVERYWHERE;
    const switches = await Promise.all(
      commands.map(async (c) => ({
        command: c,
        ...(await gate.switchState(c, server, ctx.channelId ?? EVERYWHERE)),
        limits: await gate.limits(c, server),
      })),
    );
    const roles = (await gate.rules.serverRoles(server)).map((r) => ({
      command: r.command,
      role: r.role_id,
      rule: r.allow ? 'allow' : 'deny',
      server: r.server_id,
    }));
    const stats = await this.deps.queueStats(server);
    const waitingByCommand = stats.waitingByKind ?? {};
    const queue = {
      waiting: stats.waiting,
      running: stats.running,
      stuck: stats.stuck,
      this_server: stats.serverJobs ?? 0,
      waiting_by_command: waitingByCommand,
    };
    const today = dayKey(gate.now(), gate.timeZone);
    const usage = await gate.rules.usageByCommand(server, today);
    const changes = (await gate.rules.recentAudit(server, 5)).map((a) => ({
      at: new Date(a.at).toISOString(),
      actor: a.actor,
      action: a.action,
      command: a.command,
      before: a.before,
      after: a.after,
    }));
    const when = new Intl.DateTimeFormat('sv-SE', { timeZone: gate.timeZone, dateStyle: 'short', timeStyle: 'short' });
    const language = (await gate.rules.language(server)) ?? null;
    const lines = [
      t(lang, 'admin_status_title'),
      switches
        .map(
          (s) =>
            `/${s.command} ${s.enabled ? '✅' : '⛔'}${s.source === 'default' ? '' : ` (${t(lang, 'admin_source', { source: s.source })})`}${this.deps.available(s.command) ? '' : ` ${t(lang, 'admin_not_available')}`}${limitsSuffix(lang, s.limits)}`,
        )
        .join('\n'),
      roles.length
        ? t(lang, 'admin_status_roles', {
            roles: roles
              .map((r) => `${r.command === ALL_COMMANDS ? '*' : `/${r.command}`} ${r.rule} ${r.role}`)
              .join(', '),
          })
        : '',
      t(lang, 'admin_status_queue', {
        waiting: queue.waiting,
        running: queue.running,
        this_server: queue.this_server,
        by: Object.entries(waitingByCommand)
          .map(([c, n]) => `/${c} ×${n}`)
          .join(', '),
      }),
      t(lang, 'admin_status_usage', { usage: usage.map((u) => `/${u.command} ${u.count}`).join(' · ') || '—' }),
      t(lang, 'admin_status_language', { language: language ?? '—' }),
      changes.length
        ? `${t(lang, 'admin_status_changes')}\n${changes.map((c) => `• ${when.format(Date.parse(c.at))} ${c.actor}: ${c.action}${c.command ? ` ${c.command}` : ''} ${auditValue(lang, c.before)} → ${auditValue(lang, c.after)}`).join('\n')}`
        : '',
    ];
    return {
      text: lines.filter(Boolean).join('\n'),
      data: { switches, roles, queue, usage_today: usage, language, recent_changes: changes },
    };
  }
}

function describeLimits(lang: Lang, l: Limits): string {
  const parts = [
    l.cooldown_s ? t(lang, 'admin_limit_cooldown', { seconds: l.cooldown_s }) : '',
    l.daily_quota ? t(lang, 'admin_limit_quota', { quota: l.daily_quota }) : '',
    l.queue_share ? t(lang, 'admin_limit_share', { share: Math.round(l.queue_share * 100) }) : '',
  ].filter(Boolean);
  return parts.join(', ') || t(lang, 'admin_no_limits');
}

/** An audit before/after value as a moderator reads it. */
function auditValue(lang: Lang, raw: string | null): string {
  if (raw === null) return '—';
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return raw;
  }
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('enabled' in o) return onOff(lang, o as { enabled: boolean; source: string });
    if ('cooldown_s' in o) return describeLimits(lang, o as Limits);
    if ('role' in o) return `${o.role}: ${o.rule}`;
  }
  return String(v);
}

function limitsSuffix(lang: Lang, l: Limits): string {
  const d = describeLimits(lang, l);
  return d === t(lang, 'admin_no_limits') ? '' : ` — ${d}`;
}
