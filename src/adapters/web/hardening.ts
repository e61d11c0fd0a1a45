import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../core/app.js';

/**
 * Ends the job when the client goes away before its answer is sent (closed tab, curl ^C):
 * its queue place and its share are freed at once. The SSE stream can reuse it.
 */
export function cancelOnDisconnect(reply: FastifyReply, cancel: () => void): void {
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) cancel();
  });
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('base64');

/**
 * The Content-Security-Policy of an HTML page: scripts only from this site, plus the exact
 * inline scripts of this page by hash (no 'unsafe-inline'), nothing may frame it.
 */
export function htmlPolicy(html: string): string {
  const hashes = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${sha256(m[1]!)}'`);
  return [
    "default-src 'self'",
    `script-src 'self'${hashes.length ? ` ${hashes.join(' ')}` : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** nosniff, no framing, no referrer leaks, CSP; results, admin and pages are never cached. */
export function securityHeaders(web: FastifyInstance): void {
  web.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
    const type = String(reply.getHeader('content-type') ?? '');
    if (!reply.hasHeader('content-security-policy')) {
      reply.header(
        'content-security-policy',
        type.startsWith('text/html') && typeof payload === 'string'
          ? htmlPolicy(payload)
          : "default-src 'none'; frame-ancestors 'none'",
      );
    }
    // Results (JSON, result images), admin and pages: never stored by a browser or a proxy. A route
    // that serves static files sets its own Cache-Control, which is kept.
    if (!reply.hasHeader('cache-control') || req.url.startsWith('/api/') || req.url.startsWith('/admin'))
      reply.header('cache-control', 'no-store');
    return payload;
  });
}

const COOKIE = 'sinapsis_id';
const YEAR_S = 365 * 24 * 3600;

/**
 * Who a web request is, for fair share, per-user limits and quotas: the client address (behind
 * SINAPSIS_TRUST_PROXY, the one the proxy reports), or, with SINAPSIS_WEB_COOKIE_ID, a random
 * per-browser id in a signed cookie, so people behind one NAT get a share each.
 */
export async function webIdentity(app: App): Promise<(req: FastifyRequest, reply?: FastifyReply) => string> {
  if (!app.config.SINAPSIS_WEB_COOKIE_ID) return (req) => req.ip;
  const kv = app.stores.kv;
  let secret = app.config.SINAPSIS_COOKIE_SECRET ?? (await kv.get('web:cookie-secret'));
  if (!secret) await kv.set('web:cookie-secret', (secret = randomBytes(32).toString('hex')));
  const sign = (id: string) => createHmac('sha256', secret!).update(id).digest('base64url');
  const valid = (value: string) => {
    const [id, mac] = value.split('.');
    if (!id || !mac || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) return undefined;
    const a = Buffer.from(mac);
    const b = Buffer.from(sign(id));
    return a.length === b.length && timingSafeEqual(a, b) ? id : undefined;
  };
  return (req, reply) => {
    const raw = /(?:^|;\s*)sinapsis_id=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const id = raw ? valid(decodeURIComponent(raw)) : undefined;
    if (id) return `browser:${id}`;
    // No valid cookie (first visit, curl): the address, and a cookie for the next request.
    const fresh = randomBytes(16).toString('base64url');
    const secure = req.protocol === 'https' ? '; Secure' : '';
    reply?.header(
      'set-cookie',
      `${COOKIE}=${fresh}.${sign(fresh)}; Path=/; Max-Age=${YEAR_S}; HttpOnly; SameSite=Lax${secure}`,
    );
    return req.ip;
  };
}
