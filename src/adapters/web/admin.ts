import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { adminSpec } from '../../../commands/index.js';
import type { App } from '../../core/app.js';
import type { RequestContext } from '../../core/service.js';
import { errorBody, SinapsisError } from '../../errors.js';
import type { Lang } from '../../i18n/locale.js';
import { adminPage } from './admin-page.js';

const digest = (s: string) => createHash('sha256').update(s).digest();
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

/** The token from `Authorization: Bearer …` or Basic (any user name, the token as password). */
function presented(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization ?? '';
  if (h.startsWith('Bearer ')) return h.slice(7).trim();
  if (h.startsWith('Basic ')) {
    const decoded = Buffer.from(h.slice(6), 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return undefined;
}

/**
 * The moderators' page and API on the playground, behind SINAPSIS_ADMIN_TOKEN.
 * Without a token configured the routes do not exist. Same operations and
 * audit trail as /sinapsis in chat; the web acts on any server by its ID.
 */
export function registerAdmin(web: FastifyInstance, app: App, requestLang: (req: FastifyRequest) => Lang) {
  const token = app.config.SINAPSIS_ADMIN_TOKEN;
  if (!token) return;
  const spec = adminSpec(app.config.SINAPSIS_ADMIN_COMMAND);
  // Forms carry this so another site cannot make a logged-in browser post to them.
  const csrf = createHmac('sha256', token).update('sinapsis-admin-form').digest('hex');

  function authorize(req: FastifyRequest, reply: FastifyReply): boolean {
    const given = presented(req);
    if (given && same(given, token!)) return true;
    const e = new SinapsisError('admin_unauthorized');
    reply.status(e.httpStatus).header('www-authenticate', 'Basic realm="Sinapsis admin", charset="UTF-8"').send(errorBody(e, requestLang(req)));
    return false;
  }

  const ctx = (req: FastifyRequest, where: Record<string, unknown>): RequestContext => ({
    platform: 'web',
    userId: `admin@${req.ip}`,
    serverId: typeof where.server === 'string' && where.server ? where.server : undefined,
    channelId: typeof where.channel === 'string' && where.channel ? where.channel : undefined,
    isAdmin: true,
    lang: requestLang(req),
  });
  const options = (body: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(body).filter(([k, v]) => !['server', 'channel', 'csrf'].includes(k) && v !== '' && v !== undefined));

  web.get('/api/admin/status', async (req, reply) => {
    if (!authorize(req, reply)) return reply;
    const q = req.query as Record<string, unknown>;
    return reply.send(app.service.admin({ sub: 'status', options: {}, ctx: ctx(req, q) }));
  });
  web.post<{ Params: { sub: string } }>('/api/admin/:sub', async (req, reply) => {
    if (!authorize(req, reply)) return reply;
    const body = (req.body ?? {}) as Record<string, unknown>;
    return reply.send(app.service.admin({ sub: req.params.sub, options: options(body), ctx: ctx(req, body) }));
  });

  web.get('/admin', async (req, reply) => {
    if (!authorize(req, reply)) return reply;
    const q = req.query as Record<string, string | undefined>;
    const lang = requestLang(req);
    const status = app.service.admin({ sub: 'status', options: {}, ctx: ctx(req, q) });
    return reply.type('text/html; charset=utf-8').send(adminPage(spec, lang, { server: q.server ?? '', channel: q.channel ?? '', status, csrf, notice: q.notice }));
  });
  web.post<{ Params: { sub: string } }>('/admin/:sub', async (req, reply) => {
    if (!authorize(req, reply)) return reply;
    const body = (req.body ?? {}) as Record<string, string>;
    if (typeof body.csrf !== 'string' || !same(body.csrf, csrf)) throw new SinapsisError('admin_form_token');
    const lang = requestLang(req);
    let notice: string;
    try {
      notice = app.service.admin({ sub: req.params.sub, options: options(body), ctx: ctx(req, body) }).text;
    } catch (err) {
      if (!(err instanceof SinapsisError)) throw err;
      notice = `⚠️ ${err.localized(lang)}`;
    }
    const back = new URLSearchParams({ lang, server: body.server ?? '', channel: body.channel ?? '', notice });
    return reply.redirect(`/admin?${back}`, 303);
  });
}
