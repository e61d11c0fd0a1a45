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

  const failures = new LoginFailures();

  /**
   * The token, per address: after a few wrong tokens the address must wait (doubling, up to
   * 15 min) before it may try again, and every failure is logged and audited.
   */
  function authorize(req: FastifyRequest, reply: FastifyReply): boolean {
    const wait = failures.waitS(req.ip);
    if (wait > 0) {
      const e = new SinapsisError('admin_throttled', { seconds: wait });
      reply
        .status(e.httpStatus)
        .header('retry-after', String(wait))
        .send(errorBody(e, requestLang(req)));
      return false;
    }
    const given = presented(req);
    if (given && same(given, token!)) {
      failures.clear(req.ip);
      return true;
    }
    if (given !== undefined) {
      const count = failures.add(req.ip);
      req.log.warn({ ip: req.ip, path: req.url.split('?')[0], failures: count }, 'admin login failed');
      void app.service.audit({ platform: 'web', userId: `admin@${req.ip}`, lang: 'en' }, 'admin_login_failed', {
        path: req.url.split('?')[0],
        failures: count,
      });
    }
    const e = new SinapsisError('admin_unauthorized');
    reply
      .status(e.httpStatus)
      .header('www-authenticate', 'Basic realm="Sinapsis admin", charset="UTF-8"')
      .send(errorBody(e, requestLang(req)));
    return false;
  }

  /**
   * The JSON API is for scripts: only application/json, which a page on another site cannot
   * send without a CORS preflight (never granted here), and never from another origin. Plain
   * form posts go to /admin/:sub, which carries its own form token.
   */
  function sameSite(req: FastifyRequest, reply: FastifyReply): boolean {
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    const origin = req.headers.origin;
    const fetchSite = req.headers['sec-fetch-site'];
    const crossOrigin =
      (origin !== undefined && origin !== `${req.protocol}://${req.host}`) ||
      fetchSite === 'cross-site' ||
      fetchSite === 'same-site';
    if (type === 'application/json' && !crossOrigin) return true;
    req.log.warn(
      { ip: req.ip, origin, contentType: type || undefined },
      'admin API request refused: not same-site JSON',
    );
    const e = new SinapsisError('admin_cross_site');
    reply.status(e.httpStatus).send(errorBody(e, requestLang(req)));
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
    Object.fromEntries(
      Object.entries(body).filter(
        ([k, v]) => !['server', 'channel', 'csrf'].includes(k) && v !== '' && v !== undefined,
      ),
    );

  web.get('/api/admin/status', async (req, reply) => {
    if (!authorize(req, reply)) return reply;
    const q = req.query as Record<string, unknown>;
    return reply.send(await app.service.admin({ sub: 'status', options: {}, ctx: ctx(req, q) }));
  });
  web.post<{ Params: { sub: string } }>('/api/admin/:sub', async (req, reply) => {
    if (!sameSite(req, reply) || !authorize(req, reply)) return reply;
    const body = (req.body ?? {}) as Record<string, unknown>;
    return reply.send(await app.service.admin({ sub: req.params.sub, options: options(body), ctx: ctx(req, body) }));
  });

  web.get('/admin', async (req, reply) => {
    if (!authorize(req, reply)) return reply;
    const q = req.query as Record<string, string | undefined>;
    const lang = requestLang(req);
    const status = await app.service.admin({ sub: 'status', options: {}, ctx: ctx(req, q) });
    return reply
      .type('text/html; charset=utf-8')
      .send(
        adminPage(spec, lang, { server: q.server ?? '', channel: q.channel ?? '', status, csrf, notice: q.notice }),
      );
  });
  web.post<{ Params: { sub: string } }>('/admin/:sub', async (req, reply) => {
    if (!authorize(req, reply)) return reply;
    const body = (req.body ?? {}) as Record<string, string>;
    if (typeof body.csrf !== 'string' || !same(body.csrf, csrf)) throw new SinapsisError('admin_form_token');
    const lang = requestLang(req);
    let notice: string;
    try {
      notice = (await app.service.admin({ sub: req.params.sub, options: options(body), ctx: ctx(req, body) })).text;
    } catch (err) {
      if (!(err instanceof SinapsisError)) throw err;
      notice = `⚠️ ${err.localized(lang)}`;
    }
    const back = new URLSearchParams({ lang, server: body.server ?? '', channel: body.channel ?? '', notice });
    return reply.redirect(`/admin?${back}`, 303);
  });
}

const FREE_FAILURES = 10;
const MAX_WAIT_S = 15 * 60;

/** Wrong admin tokens per address, forgotten after a quiet hour. */
class LoginFailures {
  private readonly byIp = new Map<string, { count: number; last: number }>();

  add(ip: string): number {
    const now = Date.now();
    if (this.byIp.size > 10_000) for (const [k, v] of this.byIp) if (now - v.last > 3600_000) this.byIp.delete(k);
    const f = this.byIp.get(ip);
    const count = f && now - f.last < 3600_000 ? f.count + 1 : 1;
    this.byIp.set(ip, { count, last: now });
    return count;
  }

  /** Seconds the address must still wait: none for the first few failures, then 1, 2, 4 … s. */
  waitS(ip: string): number {
    const f = this.byIp.get(ip);
    if (!f || f.count < FREE_FAILURES) return 0;
    const wait = Math.min(MAX_WAIT_S, 2 ** (f.count - FREE_FAILURES)) * 1000;
    return Math.max(0, Math.ceil((f.last + wait - Date.now()) / 1000));
  }

  clear(ip: string): void {
    this.byIp.delete(ip);
  }
}
