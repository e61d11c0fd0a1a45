import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { findCommand } from '../../../commands/index.js';
import type { CommandSpec } from '../../../commands/spec.js';
import type { App } from '../../core/app.js';
import type { ImageInputs, RawOptions } from '../../core/options.js';
import type { RequestContext } from '../../core/service.js';
import { asSinapsisError, errorBody, SinapsisError } from '../../errors.js';
import { langOf, type Lang } from '../../i18n/locale.js';
import type { JobProgress } from '../../queue/types.js';
import { logRequest } from './request-log.js';
import { resultJson, type ResultStore } from './results.js';

export interface StreamDeps {
  lang(req: FastifyRequest): Lang;
  /** The request's options and images, read exactly as the plain API reads them. */
  readInput(req: FastifyRequest, spec: CommandSpec | undefined): Promise<{ options: RawOptions; images: ImageInputs }>;
  ctx(req: FastifyRequest, lang: Lang): RequestContext;
  results: ResultStore;
}

/** Progress is coalesced to this interval: a token-by-token stream stays smooth without flooding the page. */
const PROGRESS_MS = 80;
const HEARTBEAT_MS = 15_000;

/** Server-Sent Events on a response; events before the stream opens wait in order. */
class SseWriter {
  private res?: ServerResponse;
  private readonly early: string[] = [];

  open(res: ServerResponse, first: string) {
    this.res = res;
    res.write(first);
    for (const e of this.early.splice(0)) res.write(e);
  }

  send(event: string, data: unknown) {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    if (!this.res) this.early.push(frame);
    else if (!this.res.writableEnded) this.res.write(frame);
  }

  comment(text: string) {
    if (this.res && !this.res.writableEnded) this.res.write(`: ${text}\n\n`);
  }
}

/** How long after it was accepted a web job is worth re-running after a crash: the page retries for 5 minutes. */
const WEB_REPLY_TTL_MS = 10 * 60_000;
/** How long a recovered job's outcome waits for its page to re-attach. */
const RECOVERED_KEEP_MS = 10 * 60_000;

/**
 * A job re-run after a crash, for the page that re-attaches by its id (GET /api/jobs/:id/events):
 * the latest event of each kind is replayed to a late subscriber, then the outcome.
 */
class RecoveredJob {
  private readonly latest = new Map<string, { event: string; data: unknown }>();
  private readonly subscribers = new Set<{ sse: SseWriter; end(): void }>();
  private final?: { event: string; data: unknown };

  send(event: string, data: unknown) {
    this.latest.set(event === 'progress' ? `progress:${String((data as { kind?: unknown }).kind ?? 'text')}` : event, {
      event,
      data,
    });
    for (const s of this.subscribers) s.sse.send(event, data);
  }

  finish(event: string, data: unknown) {
    this.final = { event, data };
    for (const s of this.subscribers) {
      s.sse.send(event, data);
      s.end();
    }
    this.subscribers.clear();
  }

  /** Replays what happened so far; returns false when the outcome was already sent (the caller ends the stream). */
  attach(sse: SseWriter, end: () => void): () => void {
    for (const e of this.latest.values()) sse.send(e.event, e.data);
    if (this.final) {
      sse.send(this.final.event, this.final.data);
      end();
      return () => undefined;
    }
    const sub = { sse, end };
    this.subscribers.add(sub);
    return () => this.subscribers.delete(sub);
  }
}

/**
 * The playground's live path: the same submit → queue events the chat
 * adapters use (position, start, progress), sent as Server-Sent Events, then
 * the result (images by URL) or the error. Closing the stream cancels the job;
 * so does POST /api/jobs/:id/cancel.
 */
export function registerStream(web: FastifyInstance, app: App, deps: StreamDeps): void {
  const jobs = new Map<string, { cancel(): void }>();
  const recovered = new Map<string, RecoveredJob>();
  const recoveredJob = (id: string) => {
    let r = recovered.get(id);
    if (!r) recovered.set(id, (r = new RecoveredJob()));
    return r;
  };

  // Stream jobs a crashed process left unanswered: the service re-runs them under the same id and
  // the page, which retries by job id while the server is away, re-attaches to the events below.
  void app.service.onRecovered('web', {
    replyTtlMs: WEB_REPLY_TTL_MS,
    events: (job) => {
      const r = recoveredJob(job.id);
      return {
        onPosition: (position) => r.send('queued', { position }),
        onStart: () => r.send('running', {}),
        onProgress: (p) => r.send('progress', p),
      };
    },
    // Cancel (button or closed page) stops a re-run like any other job.
    started: (job, cancel) => jobs.set(job.id, { cancel }),
    deliver: async (job, outcome) => {
      jobs.delete(job.id);
      const r = recoveredJob(job.id);
      const lang = langOf(job.request?.lang ?? (job.reply as { lang?: string } | undefined)?.lang, 'es');
      // Time since the student pressed Run (the restart included), as the page shows it.
      const elapsedMs = Date.now() - job.createdAt;
      if ('result' in outcome)
        r.finish('result', { ...resultJson(outcome.result, deps.results, false), elapsedMs, recovered: true });
      else r.finish('error', { ...errorBody(outcome.error, lang).error, elapsedMs, recovered: true });
      setTimeout(() => recovered.delete(job.id), RECOVERED_KEEP_MS).unref();
    },
  });

  web.post<{ Params: { name: string } }>('/api/commands/:name/stream', async (req, reply) => {
    const lang = deps.lang(req);
    const spec = findCommand(req.params.name);
    const { options, images } = await deps.readInput(req, spec);
    const started = performance.now();
    const sse = new SseWriter();
    const since = () => Math.round(performance.now() - started);
    // Latest progress per kind (text, download…), sent at most every PROGRESS_MS.
    const latest = new Map<string, JobProgress>();
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      for (const p of latest.values()) sse.send('progress', { ...p, elapsedMs: since() });
      latest.clear();
    };
    // Refusals (bad option, gate, full queue) throw here and answer as plain JSON errors.
    const handle = await app.service.submit(
      // reply + keepImages: a crash mid-job re-runs it (uploads kept under the data dir until it settles).
      {
        command: req.params.name,
        options,
        images,
        ctx: { ...deps.ctx(req, lang), reply: { stream: true, lang }, keepImages: true },
      },
      {
        onPosition: (position) => sse.send('queued', { position, elapsedMs: since() }),
        onStart: () => sse.send('running', { elapsedMs: since() }),
        onProgress: (p) => {
          latest.set(String((p as { kind?: unknown }).kind ?? 'text'), p);
          timer ??= setTimeout(flush, PROGRESS_MS);
        },
      },
    );
    jobs.set(handle.id, handle);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // Proxies (nginx) must pass each event on at once.
      'x-accel-buffering': 'no',
    });
    sse.open(
      res,
      `event: job\ndata: ${JSON.stringify({ id: handle.id, cancel: `/api/jobs/${handle.id}/cancel` })}\n\n`,
    );
    const heartbeat = setInterval(() => sse.comment('ping'), HEARTBEAT_MS);
    let finished = false;
    // The student closed the tab or pressed Cancel: stop the work, not only the stream.
    res.on('close', () => {
      if (!finished) handle.cancel();
    });
    let outcome = 'ok';
    try {
      const result = await handle.result;
      clearTimeout(timer);
      flush();
      sse.send('result', { ...resultJson(result, deps.results, false), elapsedMs: since() });
    } catch (err) {
      clearTimeout(timer);
      const e = asSinapsisError(err);
      outcome = e.code;
      if (e.code === 'internal') req.log.error({ err }, 'request failed');
      sse.send('error', { ...errorBody(e, lang).error, elapsedMs: since() });
    } finally {
      finished = true;
      clearInterval(heartbeat);
      jobs.delete(handle.id);
      res.end();
      logRequest(req.log, {
        method: req.method,
        route: '/api/commands/:name/stream',
        command: req.params.name,
        status: 200,
        outcome,
        ms: performance.now() - started,
      });
    }
  });

  // The page re-attaches here by job id after its stream dropped (the server restarted).
  web.get<{ Params: { id: string } }>('/api/jobs/:id/events', async (req, reply) => {
    const job = recovered.get(req.params.id);
    if (!job) return reply.status(404).send(errorBody(new SinapsisError('job_gone'), deps.lang(req)));
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-accel-buffering': 'no',
    });
    const sse = new SseWriter();
    sse.open(
      res,
      `event: job\ndata: ${JSON.stringify({ id: req.params.id, cancel: `/api/jobs/${req.params.id}/cancel` })}\n\n`,
    );
    const heartbeat = setInterval(() => sse.comment('ping'), HEARTBEAT_MS);
    const end = () => {
      clearInterval(heartbeat);
      res.end();
    };
    let ended = false;
    const detach = job.attach(sse, () => {
      ended = true;
      end();
    });
    // As on the first stream: a page that goes away stops its job.
    res.on('close', () => {
      clearInterval(heartbeat);
      detach();
      if (!ended) jobs.get(req.params.id)?.cancel();
    });
  });

  web.post<{ Params: { id: string } }>('/api/jobs/:id/cancel', async (req, reply) => {
    const job = jobs.get(req.params.id);
    if (!job) return reply.status(404).send({ cancelled: false });
    job.cancel();
    return reply.status(202).send({ cancelled: true });
  });
}
