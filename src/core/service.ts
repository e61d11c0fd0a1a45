import { randomUUID } from 'node:crypto';
import { COMMANDS, findCommand, hasTask, type AdminSpec, type CommandSpec } from '../../commands/index.js';
import { asSinapsisError, SinapsisError } from '../errors.js';
import type { Lang } from '../i18n/locale.js';
import { withDownloadListener } from '../models/progress.js';
import type { ModelRegistry } from '../models/registry.js';
import type { JobEvents, JobHandle, JobQueue, Processor } from '../queue/types.js';
import type { Gate, GateContext } from '../store/gate.js';
import type { AcceptedJob, AcceptedJobs } from '../store/accepted-jobs.js';
import type { JobsLog } from '../store/jobs-log.js';
import { loadTask, preloadTasks } from '../tasks/load.js';
import type { TaskResult } from '../tasks/types.js';
import { Admin, type AdminRequest, type AdminResult } from './admin.js';
import { commandAvailability, type CommandAvailability } from './availability.js';
import { parseOptions, withSampleImage, type ImageInputs, type OptionValues, type RawOptions } from './options.js';

export interface RequestContext extends GateContext {
  lang: Lang;
  /** Whether `lang` is the user's own (platform locale, browser, --lang) or only a fallback. */
  langSource?: 'platform' | 'default';
  /** Model override (manifest id or, from the CLI only, a local folder). */
  model?: string;
  /**
   * What the adapter needs to answer this job after a restart (Discord: application id and
   * interaction token). Kept only while the job is unanswered.
   */
  reply?: Record<string, unknown>;
}

export interface CommandRequest {
  command: string;
  options: RawOptions;
  images?: ImageInputs;
  ctx: RequestContext;
}

/** What travels through the queue: plain data only. */
export interface JobPayload {
  command: string;
  task: string;
  options: OptionValues;
  images: ImageInputs;
  lang: Lang;
  langSource: 'platform' | 'default';
  model?: string;
}

export interface ServiceDeps {
  models: ModelRegistry;
  gate: Gate;
  log: JobsLog;
  /** Durable record of accepted, unanswered jobs (refunded and reported after a crash). */
  accepted?: AcceptedJobs;
  logInputs: boolean;
  blocklist?: readonly string[];
  explainRephrase?: boolean;
  /** The moderators' command (name from config). */
  adminSpec: AdminSpec;
  /** Waiting bound of the queue: a server's share is a fraction of it. */
  queueMax: number;
  makeQueue: (process: Processor<JobPayload, TaskResult>) => JobQueue<JobPayload, TaskResult>;
}

const REFUSAL_LOG_INTERVAL_MS = 60_000;

/**
 * The path every adapter uses: validate against the spec → gate → queue →
 * task → jobs log. Adapters only translate platform events to requests and
 * results to replies.
 */
export class Service {
  readonly queue: JobQueue<JobPayload, TaskResult>;
  private readonly admins: Admin;
  /** Requests now waiting or running: the per-server queue share and the moderators' status read it. */
  private readonly inFlight = new Set<{ server: string; command: string; position: () => number }>();
  /** Jobs a previous process accepted and never answered, refunded at start, until an adapter takes them. */
  private interrupted: AcceptedJob[] = [];
  /** When each identical refusal (user, command, reason) was last written to the jobs log. */
  private readonly refusalsLogged = new Map<string, number>();

  constructor(private readonly deps: ServiceDeps) {
    this.admins = new Admin({
      gate: deps.gate,
      spec: deps.adminSpec,
      commands: COMMANDS.map((c) => c.name),
      available: (name) => this.available(name),
      queueStats: () => this.queue.stats(),
      serverJobs: (server) => this.serverJobs(server),
      waiting: () => [...this.inFlight].filter((j) => j.position() > 0).map((j) => j.command),
    });
    // This process runs jobs: load the tasks' code now, not on the first request.
    preloadTasks(COMMANDS);
    this.queue = deps.makeQueue(async (payload, signal, report) => {
      const spec = findCommand(payload.command);
      const task = spec && (await loadTask(spec));
      if (!task) throw new SinapsisError('not_available_yet', { command: payload.command });
      const { options, images, lang, langSource, model } = payload;
      // A model downloaded for this job reports its progress as the job's own (typed 'download').
      return withDownloadListener(report, () =>
        task({ options, images, lang, langSource, model }, { models: deps.models, signal, report, blocklist: deps.blocklist, explainRephrase: deps.explainRephrase }),
      );
    });
  }

  /**
   * Validates against the spec and passes the gate, without queueing: lets
   * chat adapters refuse at once (ephemerally) before downloading anything.
   * Image options only need to be present here; their bytes are checked later.
   */
  check(req: CommandRequest): { spec: CommandSpec; options: OptionValues } {
    try {
      const spec = findCommand(req.command);
      if (!spec) {
        throw new SinapsisError('unknown_command', { name: req.command, available: COMMANDS.map((c) => c.name).join(', ') });
      }
      // A command that does not exist yet says so whatever its options were.
      if (!hasTask(spec)) throw new SinapsisError('not_available_yet', { command: spec.name });
      const options = parseOptions(spec, req.options, req.images);
      this.deps.gate.check(spec.name, req.ctx, { serverJobs: this.serverJobs(req.ctx.serverId ?? ''), capacity: this.deps.queueMax });
      return { spec, options };
    } catch (err) {
      const e = asSinapsisError(err);
      this.recordRefusal(req, e.code);
      throw e;
    }
  }

  /**
   * A refusal goes to the jobs log once a minute per user, command and reason: a client
   * hammering an unknown command must not grow the table by one row per request.
   */
  private recordRefusal(req: CommandRequest, code: string) {
    const now = Date.now();
    const key = `${req.ctx.platform}\0${req.ctx.userId}\0${req.command.slice(0, 64)}\0${code}`;
    const last = this.refusalsLogged.get(key);
    if (last !== undefined && now - last < REFUSAL_LOG_INTERVAL_MS) return;
    if (this.refusalsLogged.size >= 10_000) {
      for (const [k, at] of this.refusalsLogged) if (now - at >= REFUSAL_LOG_INTERVAL_MS) this.refusalsLogged.delete(k);
      if (this.refusalsLogged.size >= 10_000) this.refusalsLogged.clear();
    }
    this.refusalsLogged.set(key, now);
    this.record(randomUUID(), now, req, code);
  }

  /** Validates and enqueues; throws (localizable) before queueing when the request is refused. */
  submit(req: CommandRequest, events?: JobEvents): JobHandle<TaskResult> {
    const { spec, options } = this.check(req);
    const id = randomUUID();
    const started = Date.now();
    const server = req.ctx.serverId ?? '';
    let handle: JobHandle<TaskResult>;
    let refund: () => void = () => undefined;
    const guard = (write: () => void) => this.deps.log.guard(write);
    try {
      // With the store failing (full disk) the job still runs; only the bookkeeping is lost.
      guard(() => {
        const counted = this.deps.gate.count(spec.name, req.ctx);
        refund = () => guard(counted);
        this.deps.accepted?.add({ id, createdAt: started, platform: req.ctx.platform, userId: req.ctx.userId, serverId: server, channelId: req.ctx.channelId, command: spec.name, day: counted.day, reply: req.ctx.reply });
      });
      const payload: JobPayload = { command: spec.name, task: spec.task, options, images: withSampleImage(spec, options, req.images ?? {}), lang: req.ctx.lang, langSource: req.ctx.langSource ?? 'platform', model: req.ctx.model };
      try {
        handle = this.queue.submit({ id, userId: `${req.ctx.platform}:${req.ctx.userId}`, payload }, events);
      } catch (err) {
        refund();
        guard(() => this.deps.accepted?.remove(id));
        throw err;
      }
    } catch (err) {
      const e = asSinapsisError(err);
      this.record(id, started, req, e.code);
      throw e;
    }
    const entry = { server, command: spec.name, position: () => handle.position() };
    this.inFlight.add(entry);
    const settle = () => {
      this.inFlight.delete(entry);
      guard(() => this.deps.accepted?.remove(id));
    };
    const result = handle.result.then(
      (r) => {
        settle();
        this.record(id, started, req, 'ok', { durationMs: Date.now() - started, model: r.model });
        return r;
      },
      (err) => {
        settle();
        const e = asSinapsisError(err);
        // A request that failed (bad photo, missing model, timeout) does not use up the quota.
        refund();
        this.record(id, started, req, e.code, { durationMs: Date.now() - started });
        throw e;
      },
    );
    return { id: handle.id, result, position: () => handle.position(), cancel: () => handle.cancel() };
  }

  /**
   * At start: the jobs a previous process accepted and never answered (it was killed). Each is
   * refunded and logged as "restarted"; adapters then take theirs to tell the users.
   */
  recoverInterrupted(): AcceptedJob[] {
    const accepted = this.deps.accepted;
    if (!accepted) return [];
    let rows: AcceptedJob[] = [];
    this.deps.log.guard(() => {
      rows = accepted.drain();
      for (const r of rows) this.deps.gate.rules.refund(r.serverId, r.userId, r.command, r.day);
    });
    for (const r of rows) {
      this.deps.log.record({ id: r.id, createdAt: r.createdAt, platform: r.platform, userId: r.userId, serverId: r.serverId || undefined, channelId: r.channelId, command: r.command, outcome: 'restarted' });
    }
    this.interrupted.push(...rows);
    return rows;
  }

  /** The interrupted jobs of one platform (each handed out once), so its adapter can tell their users. */
  takeInterrupted(platform: string): AcceptedJob[] {
    const mine = this.interrupted.filter((j) => j.platform === platform);
    this.interrupted = this.interrupted.filter((j) => j.platform !== platform);
    return mine;
  }

  /** Health of the store behind the jobs log and quotas, for /healthz. */
  storeHealth() {
    return this.deps.log.health();
  }

  /** A security event (failed admin login) in the moderators' audit trail; never throws. */
  audit(ctx: RequestContext, action: string, detail: unknown): void {
    this.deps.log.guard(() => this.deps.gate.audit(ctx, action, null, null, detail));
  }

  private serverJobs(server: string): number {
    let n = 0;
    for (const j of this.inFlight) if (j.server === server) n++;
    return n;
  }

  /** Per command: installed, will download N MB on first use, or unavailable with the reason (no network used). */
  availability(): CommandAvailability[] {
    return commandAvailability(this.deps.models);
  }

  /** Whether a command exists and has a task (its models may still need a download: see `availability()`). */
  available(command: string): boolean {
    const spec = findCommand(command);
    return Boolean(spec && hasTask(spec));
  }

  /** Moderators' settings: enable, disable, roles, limits, status, language. Answers at once (no queue). */
  admin(req: AdminRequest): AdminResult {
    return this.admins.run(req);
  }

  /** The server's default reply language, when a moderator set one. */
  serverLanguage(serverId: string | undefined): Lang | undefined {
    return serverId ? (this.deps.gate.rules.language(serverId) as Lang | undefined) : undefined;
  }

  private record(id: string, started: number, req: CommandRequest, outcome: string, extra: { durationMs?: number; model?: string } = {}) {
    this.deps.log.record({
      id,
      createdAt: started,
      platform: req.ctx.platform,
      userId: req.ctx.userId,
      serverId: req.ctx.serverId,
      channelId: req.ctx.channelId,
      command: req.command,
      outcome,
      ...extra,
      inputJson: this.deps.logInputs ? JSON.stringify(req.options) : undefined,
    });
  }

  /** Submit and wait; every failure comes back as a SinapsisError. */
  async run(req: CommandRequest, events?: JobEvents): Promise<TaskResult> {
    return this.submit(req, events).result;
  }
}
