import { randomUUID } from 'node:crypto';
import { COMMANDS, findCommand, hasTask, type AdminSpec, type CommandSpec } from '../../commands/index.js';
import { asSinapsisError, SinapsisError } from '../errors.js';
import type { Lang } from '../i18n/locale.js';
import type { ModelRegistry } from '../models/registry.js';
import type { JobEvents, JobHandle, JobQueue } from '../queue/types.js';
import type { Gate } from './gate.js';
import { KeyedLock } from './keyed-lock.js';
import type { AcceptedJob, AcceptedJobs } from '../store/accepted-jobs.js';
import type { ImageSpool } from './spool.js';
import type { JobsLog } from '../store/jobs-log.js';
import type { TaskResult } from '../tasks/types.js';
import { Admin, type AdminRequest, type AdminResult } from './admin.js';
import { commandAvailability, type CommandAvailability } from './availability.js';
import { parseOptions, withSampleImage, type ImageInputs, type OptionValues, type RawOptions } from './options.js';
import type { JobPayload } from './processor.js';
import type { RequestContext } from './request-context.js';

// Its own module so admin.ts and service.ts do not import each other; re-exported for adapters.
export type { RequestContext } from './request-context.js';

/** The outcome of a job recovered after a crash: its result, or why it was not (code 'restarted': it could not be re-run). */
export type RecoveredOutcome = { result: TaskResult } | { error: SinapsisError };

/**
 * How one platform answers jobs a crashed process accepted and never answered. The service
 * decides what happens to each (re-run or the "bot restarted" notice); the adapter only fetches
 * images by reference and puts the outcome where the user is waiting.
 */
export interface RecoveryHook {
  /** How long after it was accepted the job's reply can still be delivered (Discord: 15 min; Slack: for ever). */
  replyTtlMs: number;
  /** The image bytes from the references the adapter recorded (`ctx.imageRefs`). */
  images?(job: AcceptedJob): Promise<ImageInputs>;
  /** Live events of a re-run job (the web stream re-attached by job id). */
  events?(job: AcceptedJob): JobEvents | undefined;
  /** The re-run is queued: how to cancel it (the web's Cancel button, a closed page). */
  started?(job: AcceptedJob, cancel: () => void): void;
  /** Delivers the outcome (edit the "thinking…" reply, update the placeholder…); must not throw. */
  deliver(job: AcceptedJob, outcome: RecoveredOutcome): Promise<void>;
}

export interface CommandRequest {
  command: string;
  options: RawOptions;
  images?: ImageInputs;
  ctx: RequestContext;
}

export type { JobPayload } from './processor.js';

/** A request checked before its images are downloaded: only their option names. */
export type CheckRequest = Omit<CommandRequest, 'images'> & { images?: readonly string[] };
type LoggedRequest = Omit<CommandRequest, 'images'>;

export interface ServiceDeps {
  models: ModelRegistry;
  gate: Gate;
  /** The jobs log (one row per request and outcome), not the process logger. */
  jobsLog: JobsLog;
  /** Durable record of accepted, unanswered jobs (refunded and reported after a crash). */
  accepted?: AcceptedJobs;
  /** Where web uploads of accepted jobs wait until they settle (re-run after a crash). */
  spool?: ImageSpool;
  /**
   * Runs one server's check → count → accept → enqueue before the next (the stores' `admission`:
   * across every process sharing a PostgreSQL store). Default: an in-process lock.
   */
  admission?: <T>(server: string, fn: () => Promise<T>) => Promise<T>;
  /** Whether the store answers now (the stores' `ping`), for /healthz. */
  ping?: () => Promise<boolean>;
  /**
   * A recovered job is re-run only when its reply stays deliverable this long past now (the job's
   * timeout plus a margin): otherwise its user is told the bot restarted. Default 3 min.
   */
  rerunMarginMs?: number;
  logInputs: boolean;
  /** The moderators' command (name from config). */
  adminSpec: AdminSpec;
  /** Waiting bound of the queue: a server's share is a fraction of it. */
  queueMax: number;
  /** Runs the jobs; its processor is built apart (core/processor.ts), so a worker process can run them too. */
  queue: JobQueue<JobPayload, TaskResult>;
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
  /** Jobs a previous process accepted and never answered, waiting for their platform's recovery hook. */
  private interrupted: (AcceptedJob & { rerun: boolean })[] = [];
  /** When each identical refusal (user, command, reason) was last written to the jobs log. */
  private readonly refusalsLogged = new Map<string, number>();
  /** Per server: check, count and enqueue of one request before the next (see submit). */
  private readonly admitting: <T>(server: string, fn: () => Promise<T>) => Promise<T>;

  constructor(private readonly deps: ServiceDeps) {
    this.admins = new Admin({
      gate: deps.gate,
      spec: deps.adminSpec,
      commands: COMMANDS.map((c) => c.name),
      available: (name) => this.available(name),
      queueStats: (server) => this.queue.stats(server),
    });
    this.queue = deps.queue;
    const lock = new KeyedLock();
    this.admitting = deps.admission ?? ((server, fn) => lock.run(server, fn));
  }

  /**
   * Validates against the spec and passes the gate, without queueing: lets
   * chat adapters refuse at once (ephemerally) before downloading anything.
   * Images are named here (the options the request will fill); their bytes are checked later.
   */
  async check(req: CheckRequest): Promise<{ spec: CommandSpec; options: OptionValues }> {
    try {
      const spec = findCommand(req.command);
      if (!spec) {
        throw new SinapsisError('unknown_command', {
          name: req.command,
          available: COMMANDS.map((c) => c.name).join(', '),
        });
      }
      // A command that does not exist yet says so whatever its options were.
      if (!hasTask(spec)) throw new SinapsisError('not_available_yet', { command: spec.name });
      const options = parseOptions(spec, req.options, req.images);
      await this.deps.gate.check(spec.name, req.ctx, {
        serverJobs: await this.serverJobs(req.ctx.serverId ?? ''),
        capacity: this.deps.queueMax,
      });
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
  private recordRefusal(req: LoggedRequest, code: string) {
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

  /**
   * Validates and enqueues; rejects (localizable) before queueing when the request is refused.
   * Check, count and enqueue run under the server's admission lock: the store's reads are awaited,
   * and two requests of one server (from any process sharing the store) must not both pass a
   * cooldown, quota or queue share meant for one.
   */
  submit(req: CommandRequest, events?: JobEvents): Promise<JobHandle<TaskResult>> {
    return this.admitting(req.ctx.serverId ?? '', () => this.admit(req, events));
  }

  private async admit(req: CommandRequest, events?: JobEvents): Promise<JobHandle<TaskResult>> {
    const images = req.images ?? {};
    const { spec, options } = await this.check({ ...req, images: Object.keys(images).filter((k) => images[k]) });
    const id = randomUUID();
    const started = Date.now();
    const server = req.ctx.serverId ?? '';
    let handle: JobHandle<TaskResult>;
    let refund: () => void = () => undefined;
    let spooled: Record<string, Record<string, unknown>> | undefined;
    const forget = () => {
      void this.deps.jobsLog.guarded(() => this.deps.accepted?.remove(id));
      this.dropSpooled(spooled);
    };
    try {
      // With the store failing (full disk) the job still runs; only the bookkeeping is lost.
      await this.deps.jobsLog.guarded(async () => {
        const counted = await this.deps.gate.count(spec.name, req.ctx);
        refund = () => void this.deps.jobsLog.guarded(counted);
        if (!this.deps.accepted) return;
        // What a re-run after a crash needs: the request as plain data, images by reference only.
        const images = {
          ...(req.ctx.keepImages && this.deps.spool ? this.deps.spool.keep(id, req.images ?? {}) : {}),
          ...req.ctx.imageRefs,
        };
        spooled = images;
        const request = {
          options: req.options,
          lang: req.ctx.lang,
          langSource: req.ctx.langSource,
          model: req.ctx.model,
          ...(Object.keys(images).length ? { images } : {}),
        };
        await this.deps.accepted.add({
          id,
          createdAt: started,
          platform: req.ctx.platform,
          userId: req.ctx.userId,
          serverId: server,
          channelId: req.ctx.channelId,
          command: spec.name,
          day: counted.day,
          reply: req.ctx.reply,
          request,
        });
      });
      const payload: JobPayload = {
        command: spec.name,
        task: spec.task,
        options,
        images: withSampleImage(spec, options, req.images ?? {}),
        lang: req.ctx.lang,
        langSource: req.ctx.langSource ?? 'platform',
        model: req.ctx.model,
      };
      try {
        handle = await this.queue.submit(
          { id, userId: `${req.ctx.platform}:${req.ctx.userId}`, server, kind: spec.name, payload },
          events,
        );
      } catch (err) {
        refund();
        forget();
        throw err;
      }
    } catch (err) {
      const e = asSinapsisError(err);
      this.record(id, started, req, e.code);
      throw e;
    }
    return this.track(handle, id, started, req, refund, forget);
  }

  /** Bookkeeping of a queued job until it settles: accepted row and kept uploads, jobs log, refund on failure. */
  private track(
    handle: JobHandle<TaskResult>,
    id: string,
    started: number,
    req: CommandRequest,
    refund: () => void,
    forget: () => void,
  ): JobHandle<TaskResult> {
    const settle = forget;
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

  private dropSpooled(refs: Record<string, Record<string, unknown>> | undefined) {
    try {
      this.deps.spool?.drop(refs);
    } catch {
      // A file left behind is harmless: the next recovery finds no row for it.
    }
  }

  /**
   * At start: the jobs a previous process accepted and never answered (it was killed). Each stays
   * counted until its platform's adapter registers its recovery hook (`onRecovered`), which re-runs
   * it or tells its user; a job already taken up once by a restart (it may be what crashed the
   * process) or recorded without its request is refunded and logged as "restarted" now.
   */
  async recoverInterrupted(): Promise<AcceptedJob[]> {
    const accepted = this.deps.accepted;
    if (!accepted) return [];
    let rows: AcceptedJob[] = [];
    await this.deps.jobsLog.guarded(async () => {
      // With a store shared by several processes, only the jobs of processes that are gone.
      rows = await accepted.claimOrphans();
      for (const r of rows) if (r.request && r.reply && !r.attempts) await accepted.markAttempt(r.id);
    });
    for (const r of rows) {
      // Re-run only what has somewhere to answer (a chat reply, a web stream the page re-attaches
      // to): a plain API call's connection died with the process.
      const rerun = Boolean(r.request && r.reply && !r.attempts);
      if (!rerun) this.giveUp(r);
      this.interrupted.push({ ...r, attempts: (r.attempts ?? 0) + (rerun ? 1 : 0), rerun });
    }
    return rows;
  }

  /**
   * An adapter's way to answer the jobs its platform had in flight at the crash. The one place that
   * decides: re-run when the reply stays deliverable past the job's timeout (charged once: the use
   * counted at submit stands, refunded if the re-run fails), otherwise refund and, while the reply
   * can still be edited, deliver the "bot restarted" notice. Resolves when every one was delivered.
   */
  onRecovered(platform: string, hook: RecoveryHook): Promise<void> {
    const mine = this.interrupted.filter((j) => j.platform === platform);
    this.interrupted = this.interrupted.filter((j) => j.platform !== platform);
    const margin = this.deps.rerunMarginMs ?? 180_000;
    return Promise.all(
      mine.map(async ({ rerun, ...job }) => {
        const left = job.createdAt + hook.replyTtlMs - Date.now();
        if (rerun && left > margin) return this.rerun(job, hook);
        if (rerun) this.giveUp(job);
        // Past its lifetime (less a minute for the request itself) a reply cannot be edited: not even tried.
        if (left > 60_000) await hook.deliver(job, { error: new SinapsisError('restarted') }).catch(() => undefined);
      }),
    ).then(() => undefined);
  }

  /** After every adapter started: jobs of a platform that registered no hook (not configured any more) are refunded. */
  finishRecovery(): void {
    for (const { rerun, ...job } of this.interrupted.splice(0)) if (rerun) this.giveUp(job);
  }

  /** A recovered job that will not run: refunded, forgotten, logged as "restarted". */
  private giveUp(r: AcceptedJob) {
    void this.deps.jobsLog.guarded(() => this.deps.gate.rules.refund(r.serverId, r.userId, r.command, r.day));
    void this.deps.jobsLog.guarded(() => this.deps.accepted?.remove(r.id));
    this.dropSpooled(r.request?.images);
    void this.deps.jobsLog.record({
      id: r.id,
      createdAt: r.createdAt,
      platform: r.platform,
      userId: r.userId,
      serverId: r.serverId || undefined,
      channelId: r.channelId,
      command: r.command,
      outcome: 'restarted',
    });
  }

  /** Runs a recovered job again under its own id (a re-attaching web client finds it), without counting it again. */
  private async rerun(job: AcceptedJob, hook: RecoveryHook): Promise<void> {
    const request = job.request!;
    const req: CommandRequest = {
      command: job.command,
      options: request.options,
      ctx: {
        platform: job.platform,
        userId: job.userId,
        serverId: job.serverId || undefined,
        channelId: job.channelId,
        lang: request.lang as Lang,
        langSource: request.langSource,
        model: request.model,
      },
    };
    const refund = () =>
      void this.deps.jobsLog.guarded(() => this.deps.gate.rules.refund(job.serverId, job.userId, job.command, job.day));
    const forget = () => {
      void this.deps.jobsLog.guarded(() => this.deps.accepted?.remove(job.id));
      this.dropSpooled(request.images);
    };
    let outcome: RecoveredOutcome;
    let queued = false;
    try {
      const spec = findCommand(job.command);
      if (!spec || !hasTask(spec)) throw new SinapsisError('not_available_yet', { command: job.command });
      // A queue that outlives this process (Redis) may still hold the job, waiting, running or
      // finished: attach to it rather than fetch its images again and run it twice.
      let handle: JobHandle<TaskResult> | undefined = await this.queue.attach?.(job.id, hook.events?.(job));
      if (!handle) {
        const images = { ...this.deps.spool?.load(request.images), ...(await hook.images?.(job)) };
        const options = parseOptions(spec, request.options, images);
        const payload: JobPayload = {
          command: spec.name,
          task: spec.task,
          options,
          images: withSampleImage(spec, options, images),
          lang: request.lang as Lang,
          langSource: request.langSource ?? 'platform',
          model: request.model,
        };
        handle = await this.queue.submit(
          { id: job.id, userId: `${job.platform}:${job.userId}`, server: job.serverId, kind: spec.name, payload },
          hook.events?.(job),
        );
      }
      queued = true;
      const tracked = this.track(handle, job.id, job.createdAt, req, refund, forget);
      hook.started?.(job, () => tracked.cancel());
      outcome = { result: await tracked.result };
    } catch (err) {
      const e = asSinapsisError(err);
      // Failed before queueing (image gone, option no longer valid): nothing ran, nothing is charged.
      if (!queued) {
        refund();
        forget();
        this.record(job.id, job.createdAt, req, e.code);
      }
      outcome = { error: e };
    }
    await hook.deliver(job, outcome).catch(() => undefined);
  }

  /** Health of the store behind the jobs log and quotas, for /healthz: recent failed writes, and whether it answers now. */
  async storeHealth() {
    const health = this.deps.jobsLog.health();
    return (await (this.deps.ping?.() ?? true)) ? health : { ...health, ok: false, reachable: false };
  }

  /** A security event (failed admin login) in the moderators' audit trail; never throws. */
  async audit(ctx: RequestContext, action: string, detail: unknown): Promise<void> {
    await this.deps.jobsLog.guarded(() => this.deps.gate.audit(ctx, action, null, null, detail));
  }

  private async serverJobs(server: string): Promise<number> {
    return (await this.queue.stats(server)).serverJobs ?? 0;
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
  admin(req: AdminRequest): Promise<AdminResult> {
    return this.admins.run(req);
  }

  /** The server's default reply language, when a moderator set one. */
  async serverLanguage(serverId: string | undefined): Promise<Lang | undefined> {
    return serverId ? ((await this.deps.gate.rules.language(serverId)) as Lang | undefined) : undefined;
  }

  private record(
    id: string,
    started: number,
    req: LoggedRequest,
    outcome: string,
    extra: { durationMs?: number; model?: string } = {},
  ) {
    void this.deps.jobsLog.record({
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
    return (await this.submit(req, events)).result;
  }
}
