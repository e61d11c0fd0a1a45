import { createServer, type Server } from 'node:http';
import multipart from '@fastify/multipart';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyHttpOptions,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { findCommand } from '../../../commands/index.js';
import type { CommandSpec } from '../../../commands/spec.js';
import type { App } from '../../core/app.js';
import { asSinapsisError, errorBody, SinapsisError } from '../../errors.js';
import { langFromAcceptLanguage, langOf, type Lang } from '../../i18n/locale.js';
import { describeAvailability } from '../../core/availability.js';
import { registerAdmin } from './admin.js';
import { cancelOnDisconnect, securityHeaders, webIdentity } from './hardening.js';
import { commandPage, indexPage, notFoundPage } from './pages.js';
import { registerPlaygroundFiles } from './playground.js';
import { registerRequestLog, setOutcome } from './request-log.js';
import { ResultStore, resultJson } from './results.js';
import { registerStream } from './stream.js';

// Text fields of a form are small; anything bigger is not a real form.
const FIELD_LIMIT = 64 * 1024;
const JSON_LIMIT = 256 * 1024;

function requestLang(req: FastifyRequest, fallback: Lang): Lang {
  const q = ((req.query ?? {}) as Record<string, string | undefined>).lang;
  return q ? langOf(q, fallback) : langFromAcceptLanguage(req.headers['accept-language'], fallback);
}

function maxUploadBytes(spec: CommandSpec): number {
  return Math.max(0, ...spec.options.map((o) => (o.type === 'image' ? o.maxBytes : 0)));
}

/** The client went away mid-request (closed tab, cut connection): nobody to answer. */
function clientGone(req: FastifyRequest): boolean {
  // The request stream itself may be destroyed by the multipart parser after a refusal; the socket tells.
  return req.raw.socket?.destroyed === true;
}

/** Multipart body → raw option strings and image buffers, refusing oversized files while streaming. */
async function readMultipart(req: FastifyRequest, spec: CommandSpec) {
  const options: Record<string, unknown> = {};
  const images: Record<string, Buffer> = {};
  const maxBytes = maxUploadBytes(spec);
  try {
    for await (const part of req.parts({
      limits: { fileSize: maxBytes || 1, fieldSize: FIELD_LIMIT, files: 4, fields: 32 },
    })) {
      if (part.type === 'file') {
        // Two files in one field: refuse rather than silently keep the last one.
        if (images[part.fieldname]) throw new SinapsisError('one_image_per_field', { option: part.fieldname });
        try {
          images[part.fieldname] = await part.toBuffer();
        } catch (err) {
          if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
            throw new SinapsisError('upload_too_large', { limit: Math.round(maxBytes / 1024 / 1024) });
          }
          throw err;
        }
      } else {
        options[part.fieldname] = part.value;
      }
    }
  } catch (err) {
    if (err instanceof SinapsisError || clientGone(req)) throw err;
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new SinapsisError('upload_too_large', { limit: Math.round(maxBytes / 1024 / 1024) });
    }
    // No boundary, no closing boundary, a cut part: the client's form is broken, not the server.
    throw new SinapsisError('malformed_body', {}, { cause: err });
  }
  return { options, images };
}

export async function buildWebServer(app: App): Promise<FastifyInstance> {
  const fallback = app.config.SINAPSIS_DEFAULT_LANGUAGE;
  const { config } = app;
  const requestTimeout = config.SINAPSIS_WEB_BODY_TIMEOUT_S * 1000;
  const keepAliveTimeout = config.SINAPSIS_WEB_KEEPALIVE_S * 1000;
  const web = Fastify({
    loggerInstance: app.logger.child({ adapter: 'web' }) as FastifyBaseLogger,
    bodyLimit: JSON_LIMIT,
    logController: new LogController({ disableRequestLogging: true }),
    // On shutdown, do not wait for clients still pushing an upload we already refused.
    forceCloseConnections: true,
    // A request (headers and body) must arrive within this; an idle keep-alive socket is closed.
    requestTimeout,
    keepAliveTimeout,
    // Node checks those deadlines every 30 s by default: a stalled upload would be held that long.
    serverFactory: (handler) =>
      createServer(
        {
          requestTimeout,
          headersTimeout: Math.min(requestTimeout, 60_000),
          keepAliveTimeout,
          connectionsCheckingInterval: Math.min(1_000, requestTimeout),
        },
        handler,
      ),
    trustProxy: config.SINAPSIS_TRUST_PROXY as boolean | string[],
    // A URL that does not decode gets the common error body, not fastify's.
    frameworkErrors: (err: Error, req: FastifyRequest, reply: FastifyReply) => {
      const code = (err as { code?: string }).code;
      // A name past the router's 100 characters is no command either: same answer as any unknown one.
      const e =
        code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new SinapsisError('unknown_command', {
              name: `${req.url.split('?')[0]!.slice(0, 60)}…`,
              available: '/, /c/<command>, /api/commands/<command>, /healthz',
            })
          : code === 'FST_ERR_BAD_URL'
            ? new SinapsisError('bad_url')
            : new SinapsisError('malformed_body');
      reply.status(e.httpStatus).send(errorBody(e, requestLang(req, fallback)));
    },
  } as FastifyHttpOptions<Server>) as unknown as FastifyInstance;
  await web.register(multipart);
  securityHeaders(web);
  const identity = await webIdentity(app);
  // Uploads being received at once: each holds up to its file size in memory.
  let uploading = 0;

  web.setErrorHandler((err, req, reply) => {
    const lang = requestLang(req, fallback);
    const code = (err as { code?: string }).code;
    if (clientGone(req) && !(err instanceof SinapsisError)) {
      // One line per abort, not a stack: clients that give up are normal traffic.
      req.log.info(
        { url: req.url.split('?')[0], ip: req.ip, reason: (err as Error).message },
        'client aborted the request',
      );
      return reply.status(499).send(errorBody(new SinapsisError('cancelled'), lang));
    }
    let e: SinapsisError;
    const form = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    if (err instanceof SinapsisError) e = err;
    else if (code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      e = new SinapsisError('body_too_large', { limit: Math.round((form ? FIELD_LIMIT : JSON_LIMIT) / 1024) });
    else if (code === 'FST_REQ_FILE_TOO_LARGE')
      e = new SinapsisError('upload_too_large', { limit: Math.round(JSON_LIMIT / 1024 / 1024) || 1 });
    else if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || code === 'FST_INVALID_MULTIPART_CONTENT_TYPE')
      e = new SinapsisError('invalid_option', { option: 'body', expected: 'multipart/form-data or JSON' });
    else if (code?.startsWith('FST_') || (err as { statusCode?: number }).statusCode === 400)
      e = new SinapsisError('malformed_body', {}, { cause: err });
    else e = asSinapsisError(err);
    if (e.code === 'internal') req.log.error({ err }, 'request failed');
    setOutcome(req, e.code);
    if (
      e.code === 'malformed_body' ||
      e.code === 'body_too_large' ||
      e.code === 'upload_too_large' ||
      e.code === 'uploads_busy'
    )
      reply.header('connection', 'close');
    reply.status(e.httpStatus).send(errorBody(e, lang));
  });
  web.setNotFoundHandler((req, reply) => {
    const lang = requestLang(req, fallback);
    setOutcome(req, 'not_found');
    // People get a page with links; programs (the API, anything not asking for HTML) keep the JSON error.
    if (!req.url.startsWith('/api/') && (req.headers.accept ?? '').includes('text/html')) {
      return reply.status(404).type('text/html; charset=utf-8').send(notFoundPage(lang));
    }
    const e = new SinapsisError('unknown_command', {
      name: req.url.split('?')[0]!,
      available: '/, /c/<command>, /api/commands/<command>, /healthz',
    });
    reply.status(404).send(errorBody(e, lang));
  });
  registerRequestLog(web);

  // Plain HTML forms (the admin page) post urlencoded fields.
  web.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FIELD_LIMIT },
    (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );
  registerAdmin(web, app, (req) => requestLang(req, fallback));

  // Degraded (503) when a job's work never settled after it was stopped (a hung model load)
  // or the store refuses writes (full disk): requests are still answered, but an operator should look.
  web.get('/healthz', async (_req, reply) => {
    // A queue on Redis that does not answer is degraded too (requests are refused meanwhile).
    const queue = await Promise.resolve(app.service.queue.stats()).catch(() => ({ unavailable: true, stuck: 0 }));
    const store = await app.service.storeHealth();
    const degraded = queue.stuck > 0 || 'unavailable' in queue || !store.ok;
    return reply.status(degraded ? 503 : 200).send({ status: degraded ? 'degraded' : 'ok', queue, store });
  });
  // What each command needs before it can answer (the pages show it; scripts can poll it).
  web.get('/api/availability', async (req) => {
    const lang = requestLang(req, fallback);
    return app.service.availability().map((a) => ({ ...a, text: describeAvailability(a, lang) }));
  });
  web.get('/', async (req, reply) => {
    identity(req, reply);
    return reply
      .type('text/html; charset=utf-8')
      .send(indexPage(requestLang(req, fallback), app.service.availability()));
  });
  web.get<{ Params: { name: string } }>('/c/:name', async (req, reply) => {
    const spec = findCommand(req.params.name);
    if (!spec) return reply.callNotFound();
    identity(req, reply);
    return reply.type('text/html; charset=utf-8').send(
      commandPage(
        spec,
        requestLang(req, fallback),
        app.service.availability().find((a) => a.command === spec.name),
      ),
    );
  });

  /** Options and images of an API request (multipart or JSON), shared by the plain and the streaming route. */
  async function readInput(req: FastifyRequest, spec: CommandSpec | undefined) {
    let options: Record<string, unknown> = {};
    let images: Record<string, Buffer> = {};
    if (spec && req.isMultipart()) {
      // Refuse by the declared length before reading a byte of an oversized upload.
      const declared = Number(req.headers['content-length'] ?? 0);
      const cap = maxUploadBytes(spec) + FIELD_LIMIT;
      if (declared > cap)
        throw new SinapsisError('upload_too_large', { limit: Math.round(maxUploadBytes(spec) / 1024 / 1024) });
      // A cap on bodies being received at once bounds the memory slow or stalled uploads can hold.
      if (uploading >= config.SINAPSIS_WEB_MAX_UPLOADS) throw new SinapsisError('uploads_busy');
      uploading++;
      try {
        ({ options, images } = await readMultipart(req, spec));
      } finally {
        uploading--;
      }
    } else if (req.body && typeof req.body === 'object') {
      options = req.body as Record<string, unknown>;
    }
    return { options, images };
  }
  // Who is asking: the address, or the browser's signed cookie (SINAPSIS_WEB_COOKIE_ID); a page visit sets the cookie.
  const ctx = (req: FastifyRequest, lang: Lang, reply?: FastifyReply) => ({
    platform: 'web',
    userId: identity(req, reply),
    lang,
    langSource:
      req.headers['accept-language'] || (req.query as Record<string, unknown>).lang
        ? ('platform' as const)
        : ('default' as const),
  });

  // Result images by short-lived URL; the playground's files; the live (SSE) route.
  const results = new ResultStore();
  registerPlaygroundFiles(web, results);
  registerStream(web, app, { lang: (req) => requestLang(req, fallback), readInput, ctx, results });

  web.post<{ Params: { name: string }; Querystring: { inline?: string } }>(
    '/api/commands/:name',
    async (req, reply) => {
      const lang = requestLang(req, fallback);
      const { options, images } = await readInput(req, findCommand(req.params.name));
      const handle = await app.service.submit({
        command: req.params.name,
        options,
        images,
        ctx: ctx(req, lang, reply),
      });
      cancelOnDisconnect(reply, handle.cancel);
      const result = await handle.result;
      // Images by URL; `?inline=1` adds each image's base64 as before (README: "Web API").
      const inline = ['1', 'true'].includes(String(req.query.inline ?? ''));
      return reply.send(resultJson(result, results, inline));
    },
  );
  return web;
}
