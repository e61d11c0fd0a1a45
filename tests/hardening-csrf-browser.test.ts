// Issue 12, item 1, as the audit did it: a page on another localhost port makes a browser that
// holds the admin's Basic login post to the admin API. Nothing may change.
import { createServer, type Server } from 'node:http';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM, describeWith } from './helpers/assets.js';
import { startWeb } from './helpers/web.js';

const TOKEN = 'test-admin-token-0123456789';

describeWith('admin CSRF from a second origin in headless Chromium', [CHROMIUM], () => {
  let s: Awaited<ReturnType<typeof startWeb>>;
  let evil: Server;
  let evilUrl: string;
  beforeAll(async () => {
    s = await startWeb({ SINAPSIS_ADMIN_TOKEN: TOKEN });
    const target = `${s.url}/api/admin/disable`;
    // Three attacks: an auto-posted urlencoded form, a text/plain form shaped like JSON, and a fetch with JSON.
    const pages: Record<string, string> = {
      '/form': `<form id="f" method="post" action="${target}"><input name="command" value="detect-faces"></form><script>document.getElementById('f').submit()</script>`,
      '/plain': `<form id="f" method="post" enctype="text/plain" action="${target}"><input name='{"command":"translate","x":"' value='"}'></form><script>document.getElementById('f').submit()</script>`,
      '/fetch': `<script>fetch(${JSON.stringify(target)},{method:'POST',credentials:'include',headers:{'content-type':'application/json'},body:JSON.stringify({command:'colorize'})}).then(r=>document.title='got '+r.status,e=>document.title='blocked')</script>`,
    };
    evil = createServer((req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<!doctype html><title>x</title>${pages[req.url ?? ''] ?? ''}`),
    );
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    evilUrl = `http://localhost:${(evil.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => evil?.close(r));
    await s?.stop();
  });

  it('form posts and a JSON fetch from another origin, with the cached Basic login, change nothing', async () => {
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
      const context = await browser.newContext({ httpCredentials: { username: 'mod', password: TOKEN } });
      const page = await context.newPage();
      // The moderator is logged in: the admin page opens with the cached credentials.
      expect((await page.goto(`${s.url}/admin`))!.status()).toBe(200);
      for (const attack of ['/form', '/plain']) {
        const answered = page.waitForResponse((r) => r.url().startsWith(`${s.url}/api/admin/disable`));
        await page.goto(`${evilUrl}${attack}`);
        expect((await answered).status(), attack).toBe(403);
      }
      await page.goto(`${evilUrl}/fetch`);
      await page.waitForFunction(() => document.title !== 'x');
      expect(await page.title()).toBe('blocked');
      const status = await s.app.service.admin({
        sub: 'status',
        options: {},
        ctx: { platform: 'test', userId: 't', lang: 'en', isAdmin: true },
      });
      const switches = status.data.switches as { command: string; enabled: boolean }[];
      for (const command of ['detect-faces', 'translate', 'colorize'])
        expect(switches).toContainEqual(expect.objectContaining({ command, enabled: true }));
    } finally {
      await browser.close();
    }
  });
});
