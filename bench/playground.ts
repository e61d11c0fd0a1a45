// The web playground in headless Chromium (Debian's /usr/bin/chromium): page weight and first
// render per page (peer: the same browser rendering /healthz, a bare document from the same
// server), click → first progress event and → result on an example, and the size of a
// /detect-faces answer on a 146 KB JPEG by URL vs with ?inline=1 (the old base64 shape).
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { chromium, type Page } from 'playwright-core';
import { COMMANDS } from '../commands/index.js';
import { buildWebServer } from '../src/adapters/web/server.js';
import { loadConfig } from '../src/config/index.js';
import { createApp } from '../src/core/app.js';
import { median, round } from './lib/stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODELS = path.resolve(process.env.SINAPSIS_MODELS_DIR ?? path.join(ROOT, '../shared/models'));
const PHOTO = path.join(MODELS, '../data/faces-demo/1.jpg');

export async function run(args: string[]) {
  const rounds = Number(args[args.indexOf('--rounds') + 1]) || 3;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sinapsis-bench-'));
  const app = createApp(
    loadConfig(
      {
        SINAPSIS_DATA_DIR: dataDir,
        SINAPSIS_MODELS_DIR: MODELS,
        SINAPSIS_AUTO_DOWNLOAD: 'false',
        SINAPSIS_TEXT_MODEL: path.join(MODELS, 'stories260K'),
      },
      { dotenv: false },
    ),
    { logger: pino({ level: 'silent' }) },
  );
  const web = await buildWebServer(app);
  await web.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(web.server.address() as { port: number }).port}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  const out: Record<string, unknown> = {};
  try {
    // A cold page: a fresh context (empty cache), bytes over the wire, first contentful paint.
    const measure = async (p: string) => {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      let bytes = 0;
      page.on('requestfinished', async (req) => {
        const sizes = await req.sizes().catch(() => undefined);
        if (sizes) bytes += sizes.responseBodySize + sizes.responseHeadersSize;
      });
      await page.goto(`${url}${p}`, { waitUntil: 'load' });
      const fcp = await page.evaluate(
        () =>
          new Promise<number>((resolve) => {
            new PerformanceObserver((list) => {
              const e = list.getEntriesByName('first-contentful-paint')[0];
              if (e) resolve(e.startTime);
            }).observe({ type: 'paint', buffered: true });
            setTimeout(() => resolve(NaN), 3000);
          }),
      );
      await ctx.close();
      return { bytes, fcp };
    };
    const peer = [];
    for (let i = 0; i < rounds; i++) peer.push((await measure('/healthz')).fcp);
    const peerFcp = median(peer);
    const pages: Record<string, { kb: number; fcp_ms: number; fcp_vs_peer: number }> = {};
    for (const lang of ['es', 'en']) {
      for (const p of ['/', ...COMMANDS.map((c) => `/c/${c.name}`)]) {
        const runs = [];
        for (let i = 0; i < rounds; i++) runs.push(await measure(`${p}?lang=${lang}`));
        const fcp = median(runs.map((r) => r.fcp));
        pages[`${p}?lang=${lang}`] = {
          kb: round(Math.max(...runs.map((r) => r.bytes)) / 1024, 1),
          fcp_ms: round(fcp, 0),
          fcp_vs_peer: round(fcp / peerFcp, 2),
        };
      }
    }
    out.peer_healthz_fcp_ms = round(peerFcp, 0);
    out.pages = pages;
    console.log("Page weight (cold cache, everything before the user's own images) and first contentful paint:");
    for (const [p, v] of Object.entries(pages))
      console.log(
        `  ${p.padEnd(28)} ${String(v.kb).padStart(6)} KB  FCP ${v.fcp_ms} ms (${v.fcp_vs_peer}× the bare /healthz document, ${round(peerFcp, 0)} ms)`,
      );

    // Click on an example → first progress event (queued/running/progress) and → result.
    const clickTimes = async (p: string) => {
      const page: Page = await browser.newPage();
      await page.goto(`${url}${p}`);
      await page.evaluate(() => {
        const w = window as unknown as { t: Record<string, number> };
        w.t = {};
        document
          .querySelector('button.example')!
          .addEventListener('click', () => (w.t.click = performance.now()), { capture: true });
        document.getElementById('form')!.addEventListener('sinapsis:event', (e) => {
          const { event, data } = (e as CustomEvent).detail;
          if (event !== 'job') w.t.first ??= performance.now();
          if (event === 'progress' && typeof data.text === 'string') w.t.text ??= performance.now();
          if (event === 'result' || event === 'error') w.t.end = performance.now();
        });
      });
      await page.locator('button.example').first().click();
      await page.waitForFunction(
        () => (window as unknown as { t: Record<string, number> }).t.end !== undefined,
        undefined,
        { timeout: 30_000 },
      );
      const t = await page.evaluate(() => (window as unknown as { t: Record<string, number> }).t);
      await page.close();
      return {
        first: t.first! - t.click!,
        text: t.text === undefined ? undefined : t.text - t.click!,
        end: t.end! - t.click!,
      };
    };
    for (const p of ['/c/detect-faces?lang=es', '/c/generate-text?lang=en']) {
      const runs = [];
      for (let i = 0; i < rounds; i++) runs.push(await clickTimes(p));
      const first = median(runs.map((r) => r.first));
      const end = median(runs.map((r) => r.end));
      const text = runs[0]!.text === undefined ? undefined : median(runs.map((r) => r.text!));
      out[`click_${p}`] = {
        first_event_ms: round(first, 0),
        first_text_ms: text === undefined ? null : round(text, 0),
        result_ms: round(end, 0),
        first_event_vs_result: round(first / end, 2),
      };
      console.log(
        `Click on an example, ${p}: first progress event ${round(first, 0)} ms${text === undefined ? '' : `, first streamed text ${round(text, 0)} ms`}, result ${round(end, 0)} ms (first event at ${round(first / end, 2)} of the wait)`,
      );
    }

    // Answer size on a 146 KB JPEG: images by URL (now) vs ?inline=1 (base64, the old default).
    const photo = readFileSync(PHOTO);
    const post = async (q: string) => {
      const fd = new FormData();
      fd.append('image', new Blob([new Uint8Array(photo)]), '1.jpg');
      const r = await fetch(`${url}/api/commands/detect-faces${q}`, { method: 'POST', body: fd });
      const text = await r.text();
      return { bytes: Buffer.byteLength(text), json: JSON.parse(text) };
    };
    const byUrl = await post('');
    const inline = await post('?inline=1');
    const png = (await (await fetch(`${url}${byUrl.json.images[0].url}`)).arrayBuffer()).byteLength;
    const shown = (await (await fetch(`${url}${byUrl.json.images[0].preview}`)).arrayBuffer()).byteLength;
    out.detect_faces_answer = {
      photo_kb: round(statSync(PHOTO).size / 1024, 1),
      faces: byUrl.json.data.faces.length,
      json_kb: round(byUrl.bytes / 1024, 1),
      png_kb: round(png / 1024, 1),
      page_preview_kb: round(shown / 1024, 1),
      json_plus_preview_kb: round((byUrl.bytes + shown) / 1024, 1),
      ratio_json_plus_preview_vs_inline: round((byUrl.bytes + shown) / inline.bytes, 3),
      json_plus_png_kb: round((byUrl.bytes + png) / 1024, 1),
      inline_json_kb: round(inline.bytes / 1024, 1),
      ratio_json_vs_inline: round(byUrl.bytes / inline.bytes, 3),
      ratio_json_plus_png_vs_inline: round((byUrl.bytes + png) / inline.bytes, 2),
    };
    console.log(
      `/detect-faces on a ${round(statSync(PHOTO).size / 1024, 0)} KB JPEG (${byUrl.json.data.faces.length} faces): JSON ${round(byUrl.bytes / 1024, 1)} KB + the picture the page shows ${round(shown / 1024, 1)} KB (the PNG download: ${round(png / 1024, 1)} KB); with ?inline=1 ${round(inline.bytes / 1024, 1)} KB`,
    );
    console.log(JSON.stringify(out));
  } finally {
    await browser.close();
    await web.close();
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
