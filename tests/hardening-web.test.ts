// Issue 12: the playground's HTTP hardening — items 1, 3, 5, 7, 9, 12, 13 and 15.
import { connect } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobsLog } from '../src/store/jobs-log.js';
import { startLoggedWeb } from './helpers/web-logged.js';
import { form } from './helpers/web.js';

const TOKEN = 'test-admin-token-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const basic = (password: string, user = 'mod') => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Sends raw bytes and resolves with what came back once the server closes the socket (or after `waitMs`). */
function raw(port: number, chunks: (string | Buffer)[], opts: { waitMs?: number; destroyAfterMs?: number } = {}) {
  return new Promise<{ text: string; closedAfterMs: number }>((resolve) => {
    const t0 = Date.now();
    const sock = connect(port, '127.0.0.1');
    let text = '';
    sock.on('data', (d) => (text += d));
    sock.on('error', () => undefined);
    sock.on('close', () => resolve({ text, closedAfterMs: Date.now() - t0 }));
    for (const c of chunks) sock.write(c);
    if (opts.destroyAfterMs !== undefined) setTimeout(() => sock.destroy(), opts.destroyAfterMs);
    setTimeout(() => sock.destroy(), opts.waitMs ?? 10_000);
  });
}

const multipartHead = (boundary: string, length: number, path = '/api/commands/detect-faces') =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${length}\r\n\r\n` +
  `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;

describe('item 1: admin JSON API refuses cross-site requests whatever the credentials', () => {
  let s: Awaited<ReturnType<typeof startLoggedWeb>>;
  beforeAll(async () => {
    s = await startLoggedWeb({ SINAPSIS_ADMIN_TOKEN: TOKEN });
  });
  afterAll(() => s.stop());
  const enabled = async () =>
    (
      await s.app.service.admin({
        sub: 'status',
        options: {},
        ctx: { platform: 'test', userId: 't', lang: 'en', isAdmin: true },
      })
    ).data.switches as { command: string; enabled: boolean; server?: string }[];

  it('a plain form post with valid Basic credentials (what another site can make a browser send) → 403, nothing changes', async () => {
    const r = await fetch(`${s.url}/api/admin/disable`, {
      method: 'POST',
      body: 'command=detect-faces&server=S9',
      headers: {
        authorization: basic(TOKEN, 'x'),
        'content-type': 'application/x-www-form-urlencoded',
        'accept-language': 'es',
      },
    });
    expect(r.status).toBe(403);
    expect((await r.json()).error).toMatchObject({
      code: 'admin_cross_site',
      message: expect.stringMatching(/solo acepta pedidos JSON/),
    });
    const text = await fetch(`${s.url}/api/admin/disable`, {
      method: 'POST',
      body: '{"command":"detect-faces"}',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(403);
    expect(
      (
        await s.app.service.admin({
          sub: 'status',
          options: {},
          ctx: { platform: 'test', userId: 't', lang: 'en', isAdmin: true, serverId: 'S9' },
        })
      ).text,
    ).not.toMatch(/detect-faces.*(off|apagado)/i);
  });

  it('JSON from another origin → 403; JSON from a script (no Origin) or the same origin → 200', async () => {
    const body = JSON.stringify({ command: 'explain' });
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    expect(
      (
        await fetch(`${s.url}/api/admin/disable`, {
          method: 'POST',
          body,
          headers: { ...headers, origin: 'http://127.0.0.1:1' },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await fetch(`${s.url}/api/admin/disable`, {
          method: 'POST',
          body,
          headers: { ...headers, 'sec-fetch-site': 'cross-site' },
        })
      ).status,
    ).toBe(403);
    expect(await enabled()).toContainEqual(expect.objectContaining({ command: 'explain', enabled: true }));
    expect(
      (await fetch(`${s.url}/api/admin/disable`, { method: 'POST', body, headers: { ...headers, origin: s.url } }))
        .status,
    ).toBe(200);
    expect(await enabled()).toContainEqual(expect.objectContaining({ command: 'explain', enabled: false }));
    expect((await fetch(`${s.url}/api/admin/enable`, { method: 'POST', body, headers })).status).toBe(200);
  });
});

describe('item 15: failed admin logins are logged, audited and slowed down per address', () => {
  let s: Awaited<ReturnType<typeof startLoggedWeb>>;
  beforeAll(async () => {
    s = await startLoggedWeb({ SINAPSIS_ADMIN_TOKEN: TOKEN });
  });
  afterAll(() => s.stop());

  it('each wrong token → a log line and an audit row; past 10 the address waits (429, Retry-After), even with the right token', async () => {
    for (let i = 0; i < 10; i++) {
      const r = await fetch(`${s.url}/api/admin/status`, { headers: { authorization: basic(`wrong-${i}`, '') } });
      expect(r.status).toBe(401);
    }
    const failed = s.lines.filter((l) => l.msg === 'admin login failed');
    expect(failed).toHaveLength(10);
    expect(JSON.stringify(failed)).not.toContain('wrong-');
    const audit = s.app.db!.prepare("SELECT actor, action FROM audit WHERE action = 'admin_login_failed'").all();
    expect(audit).toHaveLength(10);
    expect(audit[0]).toMatchObject({ actor: 'web:admin@127.0.0.1' });
    expect(
      (await fetch(`${s.url}/api/admin/status`, { headers: { authorization: basic('wrong-again') } })).status,
    ).toBe(429);
    const throttled = await fetch(`${s.url}/api/admin/status`, {
      headers: { authorization: `Bearer ${TOKEN}`, 'accept-language': 'es' },
    });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await throttled.json()).error).toMatchObject({
      code: 'admin_throttled',
      message: expect.stringMatching(/Esperá/),
    });
    // Throttled attempts cost nothing to refuse: no extra log or audit rows.
    expect(s.app.db!.prepare("SELECT count(*) FROM audit WHERE action = 'admin_login_failed'").pluck().get()).toBe(10);
    await sleep(Number(throttled.headers.get('retry-after')) * 1000 + 100);
    expect((await fetch(`${s.url}/api/admin/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
      200,
    );
  });
});

describe('items 3 and 9: slow, stalled, broken and aborted uploads', () => {
  let s: Awaited<ReturnType<typeof startLoggedWeb>>;
  beforeAll(async () => {
    s = await startLoggedWeb({ SINAPSIS_WEB_BODY_TIMEOUT_S: '1', SINAPSIS_WEB_MAX_UPLOADS: '2' });
  });
  afterAll(() => s.stop());

  it('a partial upload is cut at the body timeout (408), not held for minutes', async () => {
    const r = await raw(s.port, [multipartHead('b0', 200_000), Buffer.alloc(1000, 1)]);
    expect(r.closedAfterMs).toBeLessThan(8_000);
    expect(r.text).toMatch(/^HTTP\/1\.1 408/);
  });

  it('a third upload in flight (cap 2) is refused at once with uploads_busy; the server keeps serving', async () => {
    const stalled = [
      raw(s.port, [multipartHead('b1', 200_000), 'x']),
      raw(s.port, [multipartHead('b2', 200_000), 'y']),
    ];
    await sleep(200);
    const r = await fetch(`${s.url}/api/commands/detect-faces`, {
      method: 'POST',
      body: form({ image: Buffer.from('z') }),
      headers: { 'accept-language': 'en' },
    });
    expect(r.status).toBe(503);
    expect((await r.json()).error).toMatchObject({
      code: 'uploads_busy',
      message: expect.stringMatching(/Too many uploads/),
    });
    await Promise.all(stalled);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it('multipart without a boundary, or without its closing boundary → 400 malformed_body (common body)', async () => {
    const noBoundary = await fetch(`${s.url}/api/commands/detect-faces`, {
      method: 'POST',
      body: 'hello',
      headers: { 'content-type': 'multipart/form-data', 'accept-language': 'es' },
    });
    expect(noBoundary.status).toBe(400);
    expect((await noBoundary.json()).error).toMatchObject({
      code: 'malformed_body',
      message: expect.stringMatching(/mal formado/),
    });
    const body =
      '--b3\r\nContent-Disposition: form-data; name="min-score"\r\n\r\n0.5\r\n--b3\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\nabc';
    const unclosed = await fetch(`${s.url}/api/commands/detect-faces`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'multipart/form-data; boundary=b3' },
    });
    expect(unclosed.status).toBe(400);
    expect((await unclosed.json()).error.code).toBe('malformed_body');
    expect(s.lines.filter((l) => l.level === 50)).toEqual([]);
  });

  it('a client that aborts mid-upload costs one log line, no stack', async () => {
    const before = s.lines.length;
    await raw(s.port, [multipartHead('b4', 200_000), Buffer.alloc(5000, 1)], { destroyAfterMs: 100 });
    await sleep(300);
    const added = s.lines.slice(before);
    expect(added.filter((l) => l.msg === 'client aborted the request')).toHaveLength(1);
    expect(added).toHaveLength(1);
    expect(JSON.stringify(added)).not.toMatch(/stack/);
  });
});

describe('item 5: a client that disconnects cancels its job and frees its share', () => {
  let s: Awaited<ReturnType<typeof startLoggedWeb>>;
  beforeAll(async () => {
    s = await startLoggedWeb({ SINAPSIS_CONCURRENCY: '1', SINAPSIS_QUEUE_MAX_PER_USER: '1' });
  });
  afterAll(() => s.stop());

  it('waiting request aborted → cancelled, out of the queue; the same client can queue again (no 429)', async () => {
    // Someone else's job holds the only slot (a model load that never ends).
    s.app.models.onnxSession = () => new Promise(() => undefined);
    const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#888' } })
      .png()
      .toBuffer();
    const blocker = await s.app.service.submit({
      command: 'detect-faces',
      options: {},
      images: { image: png },
      ctx: { platform: 'test', userId: 'blocker', lang: 'en' },
    });
    blocker.result.catch(() => undefined);
    for (let round = 0; round < 2; round++) {
      const abort = new AbortController();
      const pending = fetch(`${s.url}/api/commands/explain`, {
        method: 'POST',
        body: JSON.stringify({ topic: 'neurona' }),
        headers: { 'content-type': 'application/json' },
        signal: abort.signal,
      }).catch((e) => e);
      await sleep(300);
      expect((await s.app.service.queue.stats()).waiting, `round ${round}: queued`).toBe(1);
      abort.abort();
      await pending;
      await sleep(200);
      expect((await s.app.service.queue.stats()).waiting, `round ${round}: cancelled`).toBe(0);
    }
    const outcomes = (await s.app.stores.jobsLog.recent()).filter((j) => j.command === 'explain').map((j) => j.outcome);
    expect(outcomes).toEqual(['cancelled', 'cancelled']);
    blocker.cancel();
  });
});

describe('item 7: identity behind a proxy and per browser', () => {
  it('SINAPSIS_TRUST_PROXY: the forwarded client address is the user; without it the header is ignored', async () => {
    for (const [trust, expected] of [
      ['true', '203.0.113.7'],
      ['', '127.0.0.1'],
    ] as const) {
      const s = await startLoggedWeb(trust ? { SINAPSIS_TRUST_PROXY: trust } : {});
      try {
        await fetch(`${s.url}/api/commands/explain`, {
          method: 'POST',
          body: JSON.stringify({ topic: 'neurona' }),
          headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7' },
        });
        expect((await s.app.stores.jobsLog.recent())[0]).toMatchObject({ userId: expected, outcome: 'ok' });
      } finally {
        await s.stop();
      }
    }
  });

  it('SINAPSIS_WEB_COOKIE_ID: a signed per-browser cookie is the user; a forged one falls back to the address', async () => {
    const s = await startLoggedWeb({ SINAPSIS_WEB_COOKIE_ID: '1' });
    try {
      const page = await fetch(`${s.url}/`);
      const cookie = page.headers.get('set-cookie')!;
      expect(cookie).toMatch(/^sinapsis_id=[\w-]+\.[\w-]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax/);
      const value = cookie.split(';')[0]!;
      const post = (c: string) =>
        fetch(`${s.url}/api/commands/explain`, {
          method: 'POST',
          body: JSON.stringify({ topic: 'neurona' }),
          headers: { 'content-type': 'application/json', cookie: c },
        });
      await post(value);
      expect((await s.app.stores.jobsLog.recent())[0]!.userId).toBe(`browser:${value.split('=')[1]!.split('.')[0]}`);
      await post(`${value.split('.')[0]}.forged`);
      expect((await s.app.stores.jobsLog.recent())[0]!.userId).toBe('127.0.0.1');
    } finally {
      await s.stop();
    }
  });
});

describe('items 12 and 13: security headers and common error bodies', () => {
  let s: Awaited<ReturnType<typeof startLoggedWeb>>;
  beforeAll(async () => {
    s = await startLoggedWeb({ SINAPSIS_ADMIN_TOKEN: TOKEN });
  });
  afterAll(() => s.stop());

  it('pages: CSP without unsafe-inline scripts (inline ones by hash), nosniff, no framing, no referrer', async () => {
    const r = await fetch(`${s.url}/c/detect-faces`);
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toMatch(/script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')*(;|$)/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('results and admin are never cached', async () => {
    const r = await fetch(`${s.url}/api/commands/explain`, {
      method: 'POST',
      body: JSON.stringify({ topic: 'neurona' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const admin = await fetch(`${s.url}/admin`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(admin.headers.get('cache-control')).toBe('no-store');
    expect(admin.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('a JSON body over 256 KB says 256 KB; a bad URL and an over-long name get {"error":{"code","message"}}', async () => {
    const big = await fetch(`${s.url}/api/commands/explain`, {
      method: 'POST',
      body: JSON.stringify({ topic: 'x'.repeat(300_000) }),
      headers: { 'content-type': 'application/json', 'accept-language': 'en' },
    });
    expect(big.status).toBe(413);
    expect((await big.json()).error).toEqual({
      code: 'body_too_large',
      message: 'The request body is too large (limit 256 KB).',
    });
    const bad = await fetch(`${s.url}/api/commands/%E0%A4%A`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json', 'accept-language': 'es' },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'bad_url', message: expect.stringMatching(/no es válida/) } });
    const long = await fetch(`${s.url}/api/commands/${'x'.repeat(300)}`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(long.status).toBe(404);
    expect((await long.json()).error.code).toBe('unknown_command');
    const broken = await fetch(`${s.url}/api/commands/explain`, {
      method: 'POST',
      body: '{"topic":',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.status).toBe(400);
    expect((await broken.json()).error.code).toBe('malformed_body');
  });
});
