import { randomUUID } from 'node:crypto';
import { COMMANDS, findCommand, type CommandSpec } from '../../commands/index.js';
import { asSinapsisError, SinapsisError } from '../errors.js';
import type { Lang } from '../i18n/locale.js';
import type { ModelRegistry } from '../models/registry.js';
import type { JobEvents, JobHandle, JobQueue, Processor } from '../queue/types.js';
import type { Gate, GateContext } from '../store/gate.js';
import type { JobsLog } from '../store/jobs-log.js';
import { TASKS } from '../tasks/index.js';
import type { TaskResult } from '../tasks/types.js';
import { parseOptions, type ImageInputs, type OptionValues, type RawOptions } from './options.js';

export interface RequestContext extends GateContext {
  lang: Lang;
  /** Whether `lang` is the user's own (platform locale, browser, --lang) or only a fallback. */
  langSource?: 'platform' | 'default';
  /** Model override (manifest id or, from the CLI only, a local folder). */
  model?: string;
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
  logInputs: boolean;
  blocklist?: readonly string[];
  explainRephrase?: boolean;
  makeQueue: (process: Processor<JobPayload, TaskResult>) => JobQueue<JobPayload, TaskResult>;
}

/**
 * The path every adapter uses: validate against the spec → gate → queue →
 * task → jobs log. Adapters only translate platform events to requests and
 * results to replies.
 */
export class Service {
  readonly queue: JobQueue<JobPayload, TaskResult>;

  constructor(private readonly deps: ServiceDeps) {
    this.queue = deps.makeQueue((payload, signal, report) => {
      const task = TASKS[payload.task];
      if (!task) throw new SinapsisError('not_available_yet', { command: payload.command });
      const { options, images, lang, langSource, model } = payload;
      return task({ options, images, lang, langSource, model }, { models: deps.models, signal, report, blocklist: deps.blocklist, explainRephrase: deps.explainRephrase });
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
      if (!TASKS[spec.task]) throw new SinapsisError('not_available_yet', { command: spec.name });
      const options = parseOptions(spec, req.options, req.images);
      this.deps.gate.check(spec.name, req.ctx);
      return { spec, options };
    } catch (err) {
      const e = asSinapsisError(err);
      this.record(randomUUID(), Date.now(), req, e.code);
      throw e;
    }
  }

  /** Validates and enqueues; throws (localizable) before queueing when the request is refused. */
  submit(req: CommandRequest, events?: JobEvents): JobHandle<TaskResult> {
    const { spec, options } = this.check(req);
    const id = randomUUID();
    const started = Date.now();
    let handle: JobHandle<TaskResult>;
    try {
      const payload: JobPayload = { command: spec.name, task: spec.task, options, images: req.images ?? {}, lang: req.ctx.lang, langSource: req.ctx.langSource ?? 'platform', model: req.ctx.model };
      handle = this.queue.submit({ id, userId: `${req.ctx.platform}:${req.ctx.userId}`, payload }, events);
    } catch (err) {
      const e = asSinapsisError(err);
      this.record(id, started, req, e.code);
      throw e;
    }
    const result = handle.result.then(
      (r) => {
        this.record(id, started, req, 'ok', { durationMs: Date.now() - started, model: r.model });
        return r;
      },
      (err) => {
        const e = asSinapsisError(err);
        this.record(id, started, req, e.code, { durationMs: Date.now() - started });
        throw e;
      },
    );
    return { id: handle.id, result, position: () => handle.position(), cancel: () => handle.cancel() };
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
