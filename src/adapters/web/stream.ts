import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { findCommand } from '../../../commands/index.js';
import type { CommandSpec } from '../../../commands/spec.js';
import type { App } from '../../core/app.js';
import type { ImageInputs, RawOptions } from '../../core/options.js';
import type { RequestContext } from '../../core/service.js';
import { asSinapsisError, errorBody } from '../../errors.js';
import type { Lang } from '../../i18n/locale.js';
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

/**
 * The playground's live path: the same submit → queue events the chat
 * adapters use (position, start, progress), sent as Server-Sent Events, then
 * the result (images by URL) or the error. Closing the stream cancels the job;
 * so does POST /api/jobs/:id/cancel.
 */
export function registerStream(web: FastifyInstance, app: App, deps: StreamDeps): void {
  const jobs = new Map<string, { cancel(): void }>();

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
    const handle = app.service.submit(
      { command: req.params.name, options, images, ctx: deps.ctx(req, lang) },
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
    sse.open(res, `event: job\ndata: ${JSON.stringify({ id: handle.id, cancel: `/api/jobs/${handle.id}/cancel` })}\n\n`);
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
      logRequest(req.log, { method: req.method, route: '/api/commands/:name/stream', command: req.params.name, status: 200, outcome, ms: performance.now() - started });
    }
  });

  web.post<{ Params: { id: string } }>('/api/jobs/:id/cancel', async (req, reply) => {
    const job = jobs.get(req.params.id);
    if (!job) return reply.status(404).send({ cancelled: false });
    job.cancel();
    return reply.status(202).send({ cancelled: true });
  });
}
