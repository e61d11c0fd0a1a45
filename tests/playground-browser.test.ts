import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { COMMANDS } from '../commands/index.js';
import { readSample } from '../src/samples/index.js';
import { CHROMIUM, DATA_DIR, describeWith, MODELS_DIR, ROOT, yunetFile } from './helpers/assets.js';
import { standInTask } from './helpers/tasks.js';
import { startWeb } from './helpers/web.js';

const stories = path.join(MODELS_DIR, 'stories260K');
const FIXTURES = path.join(ROOT, 'tests/fixtures/models');
const crowd = path.join(DATA_DIR, 'faces-demo/1.jpg');
const axeSource = readFileSync(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
/** Set SINAPSIS_SCREENSHOTS=dir to keep the screenshots (1280 and 390 px wide) and look at them. */
const SHOTS = process.env.SINAPSIS_SCREENSHOTS;

describeWith(
  'playground in headless Chromium: examples, photo input, live progress, cancel, phone, accessibility',
  [CHROMIUM, yunetFile, stories, crowd],
  () => {
    let s: Awaited<ReturnType<typeof startWeb>>;
    let browser: Browser;
    // Stand-in tasks (a job holding the only slot, a fake generator), undone after each use.
    let undoText = () => undefined as void;
    let undoHold = () => undefined as void;
    beforeAll(async () => {
      if (SHOTS) mkdirSync(SHOTS, { recursive: true });
      s = await startWeb({
        SINAPSIS_CONCURRENCY: '1',
        SINAPSIS_TEXT_MODEL: stories,
        SINAPSIS_COLORIZE_MODEL: path.join(FIXTURES, 'colorizer-tiny/colorizer-tiny-512.onnx'),
        SINAPSIS_TRANSLATION_MODELS: `es-en=${FIXTURES}/marian-tiny-es-en,en-es=${FIXTURES}/marian-tiny-en-es`,
      });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
    });
    afterAll(async () => {
      undoText();
      undoHold();
      await browser?.close();
      await s?.stop();
    });

    async function open(p: string, width = 1280, locale = 'es-AR'): Promise<Page> {
      // bypassCSP: axe-core is injected into the page; the playground itself needs no exception.
      const ctx = await browser.newContext({
        viewport: { width, height: width > 500 ? 900 : 844 },
        locale,
        bypassCSP: true,
        hasTouch: width < 500,
        isMobile: width < 500,
      });
      const page = await ctx.newPage();
      await page.goto(`${s.url}${p}`);
      return page;
    }
    const shot = (page: Page, name: string) =>
      SHOTS ? page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true }) : undefined;
    const waitResult = (page: Page) =>
      page.locator('#result figure, #result-text, #error').first().waitFor({ timeout: 30_000 });

    it('clicking the first example on every command page shows a result, in Spanish and in English', async () => {
      for (const lang of ['es', 'en'] as const) {
        for (const spec of COMMANDS) {
          const page = await open(`/c/${spec.name}?lang=${lang}`);
          await page.locator('button.example').first().click();
          await waitResult(page);
          await expect
            .poll(() => page.locator('#status').textContent())
            .toMatch(lang === 'es' ? /Listo en/ : /Done in/);
          const error = (await page.locator('#error').count()) ? await page.locator('#error').textContent() : '';
          expect(error, `${spec.name} ${lang}`).toBe('');
          if (spec.examples?.[lang === 'es' ? 'es-419' : 'en-US'][0]?.sample) {
            // The sample photo shows as the chosen photo, with its size.
            expect(await page.locator('.preview .meta').textContent()).toMatch(/\d+×\d+ px/);
          }
          await shot(page, `${spec.name}-${lang}-1280`);
          await page.context().close();
        }
      }
    }, 120_000);

    it('generate-text shows the prompt before its continuation; the download link serves the picture as a file', async () => {
      const page = await open('/c/generate-text?lang=en');
      await page.locator('button.example').first().click();
      await waitResult(page);
      expect(await page.locator('#result-text .prompt').textContent()).toBe(
        'Once upon a time, there was a little robot',
      );
      const faces = await open('/c/detect-faces?lang=en');
      await faces.locator('button.example').first().click();
      await waitResult(faces);
      const [download] = await Promise.all([
        faces.waitForEvent('download'),
        faces.locator('a.download').first().click(),
      ]);
      expect(download.suggestedFilename()).toBe('faces.jpg');
      await page.context().close();
      await faces.context().close();
    });

    it('an answer shows **bold** as bold and _italic_ as italic, as the chats do, never the marks', async () => {
      const page = await open('/c/explain');
      await page.fill('[name=topic]', '¿Qué es una convolución?');
      await page.click('#run');
      await waitResult(page);
      expect(await page.locator('#result-text em').first().textContent()).toBe('kernel');
      expect(await page.locator('#result-text strong').count()).toBeGreaterThan(0);
      expect(await page.locator('#result-text').textContent()).not.toMatch(/_kernel_|\*\*/);
      await page.context().close();
    });

    it('keyboard only: Tab to an example, Enter runs it; the focus is visible', async () => {
      const page = await open('/c/detect-faces?lang=es');
      let onExample = false;
      for (let i = 0; i < 20 && !onExample; i++) {
        await page.keyboard.press('Tab');
        onExample = await page.evaluate(() => document.activeElement?.matches('button.example') ?? false);
      }
      expect(onExample).toBe(true);
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      expect(outline).not.toBe('none');
      await page.keyboard.press('Enter');
      await waitResult(page);
      expect(await page.locator('#result-text').textContent()).toMatch(/Encontré 1 cara/);
      await page.context().close();
    });

    it('a photo dropped on the page, or pasted, is previewed with its size and can be removed; then it runs', async () => {
      const page = await open('/c/detect-faces?lang=en', 1280, 'en-US');
      const b64 = readSample('astronaut')!.toString('base64');
      await page.evaluate((data) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], 'dropped.jpg', { type: 'image/jpeg' }));
        for (const type of ['dragenter', 'dragover', 'drop'])
          document.body.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, b64);
      await expect
        .poll(() => page.locator('.preview .meta').textContent())
        .toMatch(/^dropped\.jpg · 512×512 px · 39 KB$/);
      await page.locator('.preview .remove').click();
      expect(await page.locator('.preview').isHidden()).toBe(true);
      await page.evaluate((data) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], 'image.png', { type: 'image/jpeg' }));
        document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
      }, b64);
      await expect.poll(() => page.locator('.preview .meta').textContent()).toMatch(/^pasted\.jpeg · 512×512 px/);
      await page.click('#run');
      await waitResult(page);
      expect(await page.locator('#result-text').textContent()).toMatch(/Found 1 face/);
      // Without a photo the page says so before sending anything.
      await page.locator('.preview .remove').click();
      await page.click('#run');
      expect(await page.locator('#error').textContent()).toMatch(/Choose, drop or paste a photo/);
      await page.context().close();
    });

    it('shows the place in line, then the streamed text in order, then the result', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      undoHold = standInTask('hold', async () => {
        await gate;
        return { text: '', images: [], data: {}, timings: {} };
      });
      const hold = await s.app.service.queue.submit({
        id: 'hold',
        userId: 'someone-else',
        payload: { command: 'hold', task: 'hold', options: {}, images: {}, lang: 'en', langSource: 'platform' },
      });
      const page = await open('/c/generate-text?lang=es');
      await page.evaluate(() => {
        const w = window as unknown as { seen: [string, unknown, string][] };
        w.seen = [];
        document.getElementById('form')!.addEventListener('sinapsis:event', (e) => {
          const { event, data } = (e as CustomEvent).detail;
          w.seen.push([event, data, document.getElementById('status')!.textContent ?? '']);
        });
      });
      const clicked = Date.now();
      await page.fill('#opt-prompt', 'Once upon a time');
      await page.fill('#opt-temperature', '0');
      // Long enough to span several of the stream's 80 ms progress windows even on a fast machine.
      await page.fill('#opt-max-new-tokens', '256');
      await page.click('#run');
      await expect.poll(() => page.locator('#status').textContent()).toBe('Esperando turno: posición 1');
      const firstEventMs = Date.now() - clicked;
      release();
      await hold.result;
      await page.locator('#result-text').waitFor();
      const seen = (await page.evaluate(() => (window as unknown as { seen: [string, any, string][] }).seen)) as [
        string,
        any,
        string,
      ][];
      const names = seen.map(([e]) => e);
      expect(names.slice(0, 3)).toEqual(['job', 'queued', 'running']);
      expect(names.at(-1)).toBe('result');
      const texts = seen.filter(([e]) => e === 'progress').map(([, d]) => d.text as string);
      expect(texts.length).toBeGreaterThan(1);
      for (let i = 1; i < texts.length; i++) expect(texts[i]!.startsWith(texts[i - 1]!)).toBe(true);
      expect(await page.locator('#result-text').textContent()).toMatch(/^Once upon a time/);
      console.log(
        `[measure] click → first progress event (queue position) in the page: ${firstEventMs} ms (upper bound, includes the poll interval)`,
      );
      await page.context().close();
      undoHold();
    });

    it('Cancel stops the running job on the server', async () => {
      let aborted = false;
      undoText = standInTask('generate-text', async (_input, { signal, report }) => {
        for (let i = 0; !signal.aborted && i < 800; i++) {
          report?.({ text: `palabra ${i} ` });
          await new Promise((r) => setTimeout(r, 25));
        }
        aborted = signal.aborted;
        throw signal.reason;
      });
      try {
        const page = await open('/c/generate-text?lang=es');
        await page.fill('#opt-prompt', 'Había una vez');
        await page.click('#run');
        await page.locator('#stream-text').waitFor();
        expect(await page.locator('#cancel').isVisible(), 'cancel visible').toBe(true);
        await page.click('#cancel');
        await expect.poll(() => page.locator('#status').textContent()).toBe('Cancelado.');
        await expect.poll(() => aborted, { message: 'aborted on the server' }).toBe(true);
        expect(await s.app.service.queue.stats()).toEqual({ waiting: 0, running: 0, stuck: 0 });
        expect(await page.locator('#cancel').isHidden(), 'cancel hidden again').toBe(true);
        await page.context().close();
      } finally {
        undoText();
      }
    });

    it('shows progress kinds other than text generically: a model download as a percentage and a bar', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      undoText = standInTask('generate-text', async (_input, { report }) => {
        // The shape the default-models work reports while a model downloads.
        report?.({ kind: 'download', model: 'stories260K', loaded: 512 * 1024, total: 2048 * 1024 } as never);
        await gate;
        return { text: 'ok', images: [], data: {}, timings: {} };
      });
      try {
        const page = await open('/c/generate-text?lang=es');
        await page.fill('#opt-prompt', 'x');
        await page.click('#run');
        await expect
          .poll(() => page.locator('#status').textContent())
          .toMatch(/Descargando el modelo stories260K… 25% \(512 KB \/ 2\.0 MB\)/);
        expect(await page.locator('#status progress').getAttribute('value')).toBe(String(512 * 1024));
        release();
        await page.locator('#result-text').waitFor();
        await page.context().close();
      } finally {
        undoText();
      }
    });

    it('on a 390 px phone a crowd photo’s result picture is visible without scrolling past the list of faces', async () => {
      const page = await open('/c/detect-faces?lang=es', 390);
      // On a phone the camera is offered next to choosing a file.
      expect(await page.locator('label.camera').isVisible()).toBe(true);
      expect(await page.locator('#opt-image-camera').getAttribute('capture')).toBe('environment');
      await page.setInputFiles('#opt-image', crowd);
      await page.click('#run');
      await page.locator('#result figure img').waitFor({ timeout: 30_000 });
      await page.locator('#result figure img').evaluate((img: HTMLImageElement) => img.decode());
      const img = (await page.locator('#result figure img').boundingBox())!;
      const list = (await page.locator('#result details').boundingBox())!;
      expect(img.y + img.height).toBeLessThanOrEqual(list.y);
      // The picture is (mostly) in view: its top on screen, after the page scrolled to the result.
      expect(img.y).toBeGreaterThanOrEqual(0);
      expect(img.y).toBeLessThan(844 / 2);
      expect(await page.locator('#result details').getAttribute('open')).toBeNull();
      expect(await page.locator('#result details summary').textContent()).toMatch(/^Ver las \d+ líneas$/);
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(scrollWidth).toBeLessThanOrEqual(390);
      await page.screenshot({
        path: SHOTS ? path.join(SHOTS, 'detect-faces-es-390-result.png') : path.join(ROOT, 'tests/.tmp/phone.png'),
      });
      await page.context().close();
    });

    it('axe-core: no serious or critical violations on the home page and every command page, in both languages, at 1280 and 390 px', async () => {
      const pages = ['/', ...COMMANDS.map((c) => `/c/${c.name}`), '/nothing-here'];
      const problems: string[] = [];
      for (const width of [1280, 390]) {
        for (const lang of ['es', 'en']) {
          for (const p of pages) {
            const page = await open(`${p}?lang=${lang}`, width);
            await page.evaluate(axeSource);
            const result = (await page.evaluate(() =>
              (window as unknown as { axe: { run(): Promise<unknown> } }).axe.run(),
            )) as {
              violations: { id: string; impact: string; nodes: { target: string[] }[] }[];
            };
            for (const v of result.violations) {
              if (v.impact === 'serious' || v.impact === 'critical')
                problems.push(
                  `${p}?lang=${lang} @${width}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
                );
            }
            if (width === 390 && p !== '/nothing-here')
              await shot(page, `${p === '/' ? 'home' : p.slice(3)}-${lang}-390`);
            await page.context().close();
          }
        }
      }
      expect(problems).toEqual([]);
    }, 180_000); // 28 full axe-core runs (7 pages × 2 languages × 2 widths): ~50 s alone, more under load
  },
);
