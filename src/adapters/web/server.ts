import multipart from '@fastify/multipart';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { findCommand } from '../../../commands/index.js';
import type { CommandSpec } from '../../../commands/spec.js';
import type { App } from '../../core/app.js';
import { asSinapsisError, errorBody, SinapsisError } from '../../errors.js';
import { langFromAcceptLanguage, langOf, type Lang } from '../../i18n/locale.js';
import { registerAdmin } from './admin.js';
import { commandPage, indexPage } from './pages.js';

// Text fields of a form are small; anything bigger is not a real form.
const FIELD_LIMIT = 64 * 1024;
const JSON_LIMIT = 256 * 1024;

function requestLang(req: FastifyRequest, fallback: Lang): Lang {
  const q = (req.query as Record<string, string | undefined>).lang;
  return q ? langOf(q, fallback) : langFromAcceptLanguage(req.headers['accept-language'], fallback);
}

function maxUploadBytes(spec: CommandSpec): number {
  return Math.max(0, ...spec.options.map((o) => (o.type === 'image' ? o.maxBytes : 0)));
}

/** Multipart body → raw option strings and image buffers, refusing oversized files while streaming. */
async function readMultipart(req: FastifyRequest, spec: CommandSpec) {
  const options: Record<string, unknown> = {};
  const images: Record<string, Buffer> = {};
  const maxBytes = maxUploadBytes(spec);
  for await (const part of req.parts({ limits: { fileSize: maxBytes || 1, fieldSize: FIELD_LIMIT, files: 4, fields: 32 } })) {
    if (part.type === 'file') {
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
  return { options, images };
}

export async function buildWebServer(app: App): Promise<FastifyInstance> {
  const fallback = app.config.SINAPSIS_DEFAULT_LANGUAGE;
  const web = Fastify({
    loggerInstance: app.logger.child({ adapter: 'web' }) as FastifyBaseLogger, bodyLimit: JSON_LIMIT,
    logController: new LogController({ disableRequestLogging: true }),
    // On shutdown, do not wait for clients still pushing an upload we already refused.
    forceCloseConnections: true,
  });
  await web.register(multipart);

  web.setErrorHandler((err, req, reply) => {
    const lang = requestLang(req, fallback);
    const code = (err as { code?: string }).code;
    let e: SinapsisError;
    if (err instanceof SinapsisError) e = err;
    else if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || code === 'FST_REQ_FILE_TOO_LARGE') e = new SinapsisError('upload_too_large', { limit: Math.round(JSON_LIMIT / 1024 / 1024) || 1 });
    else if (code?.startsWith('FST_ERR_CTP') || code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || code?.startsWith('FST_')) e = new SinapsisError('invalid_option', { option: 'body', expected: 'multipart/form-data or JSON' });
    else e = asSinapsisError(err);
    if (e.code === 'internal') req.log.error({ err }, 'request failed');
    reply.status(e.httpStatus).send(errorBody(e, lang));
  });
  web.setNotFoundHandler((req, reply) => {
    const e = new SinapsisError('unknown_command', { name: req.url.split('?')[0]!, available: '/, /c/<command>, /api/commands/<command>, /healthz' });
    reply.status(404).send(errorBody(e, requestLang(req, fallback)));
  });

  // Plain HTML forms (the admin page) post urlencoded fields.
  web.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FIELD_LIMIT }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  registerAdmin(web, app, (req) => requestLang(req, fallback));

  web.get('/healthz', async () => ({ status: 'ok', queue: app.service.queue.stats() }));
  web.get('/', async (req, reply) => reply.type('text/html; charset=utf-8').send(indexPage(requestLang(req, fallback))));
  web.get<{ Params: { name: string } }>('/c/:name', async (req, reply) => {
    const spec = findCommand(req.params.name);
    if (!spec) return reply.callNotFound();
    return reply.type('text/html; charset=utf-8').send(commandPage(spec, requestLang(req, fallback)));
  });

  web.post<{ Params: { name: string } }>('/api/commands/:name', async (req, reply) => {
    const lang = requestLang(req, fallback);
    const spec = findCommand(req.params.name);
    let options: Record<string, unknown> = {};
    let images: Record<string, Buffer> = {};
    if (spec && req.isMultipart()) {
      // Refuse by the declared length before reading a byte of an oversized upload.
      const declared = Number(req.headers['content-length'] ?? 0);
      const cap = maxUploadBytes(spec) + FIELD_LIMIT;
      if (declared > cap) throw new SinapsisError('upload_too_large', { limit: Math.round(maxUploadBytes(spec) / 1024 / 1024) });
      ({ options, images } = await readMultipart(req, spec));
    } else if (req.body && typeof req.body === 'object') {
      options = req.body as Record<string, unknown>;
    }
    const result = await app.service.run({
      command: req.params.name,
      options,
      images,
      ctx: { platform: 'web', userId: req.ip, lang, langSource: req.headers['accept-language'] || (req.query as Record<string, unknown>).lang ? 'platform' : 'default' },
    });
    return reply.send({
      text: result.text,
      data: result.data,
      images: result.images.map((i) => ({ name: i.name, mime: i.mime, alt: i.alt, base64: i.data.toString('base64') })),
      // Buttons the page shows under the answer: each fills the form with its options and runs it again.
      ...(result.followUps?.length ? { follow_ups: result.followUps } : {}),
      model: result.model,
      timings: result.timings,
    });
  });
  return web;
}
