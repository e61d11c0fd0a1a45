import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, describeWith } from './helpers/assets.js';
import { startWeb } from './helpers/web.js';

const TOKEN = 'test-admin-token-0123456789';
const bearer = { authorization: `Bearer ${TOKEN}` };
const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`mod:${password}`).toString('base64')}` });

describe('web admin without a token configured', () => {
  it('does not exist (never open by default)', async () => {
    const s = await startWeb();
    try {
      expect((await fetch(`${s.url}/admin`)).status).toBe(404);
      expect((await fetch(`${s.url}/api/admin/status`, { headers: bearer })).status).toBe(404);
    } finally {
      await s.stop();
    }
  });
});

describe('web admin with SINAPSIS_ADMIN_TOKEN', () => {
  let s: Awaited<ReturnType<typeof startWeb>>;
  beforeAll(async () => {
    s = await startWeb({ SINAPSIS_ADMIN_TOKEN: TOKEN });
  });
  afterAll(() => s.stop());

  it('refuses no credentials and wrong ones with 401 and a localized message, page and API alike', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }, basic('wrong'), { 'accept-language': 'es' }] as Record<
      string,
      string
    >[]) {
      for (const [path, method] of [
        ['/admin', 'GET'],
        ['/api/admin/status', 'GET'],
        ['/api/admin/disable', 'POST'],
      ] as const) {
        const r = await fetch(`${s.url}${path}`, {
          method,
          headers: { ...headers, 'content-type': 'application/json' },
          ...(method === 'POST' ? { body: JSON.stringify({ command: 'explain' }) } : {}),
        });
        expect(r.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm="Sinapsis admin"/);
        expect((await r.json()).error.code).toBe('admin_unauthorized');
      }
    }
    const es = await fetch(`${s.url}/admin`, { headers: { 'accept-language': 'es-AR' } });
    expect((await es.json()).error.message).toMatch(/^La página de administración necesita el token/);
    expect(
      (
        await s.app.service.admin({
          sub: 'status',
          options: {},
          ctx: { platform: 'test', userId: 't', lang: 'en', isAdmin: true },
        })
      ).data.switches,
    ).toContainEqual(expect.objectContaining({ command: 'explain', enabled: true }));
  });

  it('the API changes the same switches the gate checks: the playground then refuses the command', async () => {
    const off = await fetch(`${s.url}/api/admin/disable`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'explain' }),
    });
    expect(off.status).toBe(200);
    expect(await off.json()).toMatchObject({ data: { after: { enabled: false, source: 'global' } } });
    const refused = await fetch(`${s.url}/api/commands/explain`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-language': 'es' },
      body: JSON.stringify({ topic: 'neurona' }),
    });
    expect(refused.status).toBe(403);
    expect((await refused.json()).error.message).toBe(
      '/explain está desactivado en este bot. Los administradores del bot lo pueden activar con /sinapsis enable.',
    );
    const status = await (await fetch(`${s.url}/api/admin/status`, { headers: basic(TOKEN) })).json();
    expect(status.data.recent_changes[0]).toMatchObject({
      action: 'disable',
      command: 'explain',
      actor: expect.stringMatching(/^web:admin@/),
    });
    await fetch(`${s.url}/api/admin/enable`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'explain' }),
    });
    expect(
      (
        await fetch(`${s.url}/api/commands/explain`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ topic: 'neuron' }),
        })
      ).status,
    ).toBe(200);
  });

  it('a form post without the page’s form token is refused', async () => {
    const r = await fetch(`${s.url}/admin/disable`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'command=explain',
      redirect: 'manual',
    });
    expect(r.status).toBe(403);
    expect((await r.json()).error.code).toBe('admin_form_token');
  });
});

describeWith('web admin page in headless Chromium', [CHROMIUM], () => {
  it('a moderator logs in, turns /translate off for a server, and sees it in the status', async () => {
    const s = await startWeb({ SINAPSIS_ADMIN_TOKEN: TOKEN });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
      ],
    });
    try {
      const page = await browser.newPage({ locale: 'es-AR', httpCredentials: { username: 'mod', password: TOKEN } });
      await page.goto(`${s.url}/admin?server=S1`);
      expect(await page.locator('h1').textContent()).toBe('Sinapsis — moderación');
      await page.selectOption('#form-disable select[name=command]', 'translate');
      await page.click('#form-disable button[type=submit]');
      await page.locator('#notice').waitFor();
      expect(await page.locator('#notice').textContent()).toBe(
        '/translate: ahora desactivado (este servidor); antes: activo (por defecto).',
      );
      expect(await page.locator('#status').textContent()).toMatch(/\/translate ⛔ \(este servidor\)/);
      expect(
        (
          await s.app.service.admin({
            sub: 'status',
            options: {},
            ctx: { platform: 'test', userId: 't', serverId: 'S1', lang: 'en', isAdmin: true },
          })
        ).data.switches,
      ).toContainEqual(expect.objectContaining({ command: 'translate', enabled: false, source: 'server' }));
      if (process.env.SINAPSIS_SCREENSHOT)
        await page.screenshot({ path: process.env.SINAPSIS_SCREENSHOT, fullPage: true });
    } finally {
      await browser.close();
      await s.stop();
    }
  });
});
