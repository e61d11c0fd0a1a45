// Issue 12 item 6 in a real page: the playground's stream drops when the server is killed mid-job;
// the page says it is reconnecting, re-attaches by job id to the restarted server, and shows the
// re-run's result.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { chromium } from 'playwright-core';
import { expect, it } from 'vitest';
import { buildWebServer } from '../src/adapters/web/server.js';
import { loadConfig } from '../src/config/index.js';
import { createApp, type App } from '../src/core/app.js';
import { CHROMIUM, describeWith, MODELS_DIR, yunetFile } from './helpers/assets.js';

const appOn = (dataDir: string): App =>
  createApp(
    loadConfig(
      {
        SINAPSIS_DATA_DIR: dataDir,
        SINAPSIS_MODELS_DIR: MODELS_DIR,
        SINAPSIS_AUTO_DOWNLOAD: 'false',
        SINAPSIS_SHUTDOWN_TIMEOUT_S: '1',
      },
      { dotenv: false },
    ),
    { logger: pino({ level: 'silent' }) },
  );

describeWith(
  'playground: a job in flight when the server dies is answered after the restart',
  [CHROMIUM, yunetFile],
  () => {
    it('the page reconnects by job id and shows the re-run result', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sinapsis-test-'));
      const first = appOn(dir);
      // The model load never ends: the job is in flight at the "kill".
      (first.models as unknown as Record<string, unknown>).onnxSession = () => new Promise(() => undefined);
      const web1 = await buildWebServer(first);
      await web1.listen({ port: 0, host: '127.0.0.1' });
      const port = (web1.server.address() as { port: number }).port;
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      });
      let second: App | undefined;
      let web2: Awaited<ReturnType<typeof buildWebServer>> | undefined;
      try {
        const page = await (await browser.newContext({ locale: 'es-AR', bypassCSP: true })).newPage();
        await page.goto(`http://127.0.0.1:${port}/c/detect-faces?lang=es`);
        await page.locator('button.example').first().click();
        await expect
          .poll(() => first.db!.prepare('SELECT count(*) AS n FROM accepted_jobs').get(), { timeout: 20_000 })
          .toEqual({ n: 1 });
        // kill -9: nothing settles (no refund, the kept upload stays), the connections just drop.
        (first.service as unknown as { deps: { spool?: unknown } }).deps.spool = undefined;
        first.db!.close();
        web1.server.closeAllConnections();
        await new Promise((ok) => web1.server.close(ok));
        await expect
          .poll(() => page.locator('#status').textContent(), { timeout: 20_000 })
          .toMatch(/Se cortó la conexión: reconectando/);
        // Set SINAPSIS_SCREENSHOTS=dir to look at the page while it reconnects and after.
        if (process.env.SINAPSIS_SCREENSHOTS)
          await page.screenshot({ path: path.join(process.env.SINAPSIS_SCREENSHOTS, 'recovery-reconnecting.png') });

        second = appOn(dir);
        expect(await second.service.recoverInterrupted()).toHaveLength(1);
        web2 = await buildWebServer(second);
        await web2.listen({ port, host: '127.0.0.1' });
        await page.locator('#result figure').first().waitFor({ timeout: 30_000 });
        await expect.poll(() => page.locator('#status').textContent()).toMatch(/Listo en \d+(,\d+)? s/);
        if (process.env.SINAPSIS_SCREENSHOTS)
          await page.screenshot({ path: path.join(process.env.SINAPSIS_SCREENSHOTS, 'recovery-answered.png') });
      } finally {
        await browser.close();
        await web2?.close();
        await second?.close();
      }
    }, 90_000);
  },
);
