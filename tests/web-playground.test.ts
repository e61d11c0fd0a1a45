import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../commands/index.js';
import { SAMPLE_OPTION } from '../commands/sample-option.js';
import { buildWebServer } from '../src/adapters/web/server.js';
import { ResultStore } from '../src/adapters/web/results.js';
import { SAMPLES, readSample } from '../src/samples/index.js';
import { testApp } from './helpers/app.js';
import { describeWith, MODELS_DIR, ROOT, yunetFile } from './helpers/assets.js';
import { standInTask } from './helpers/tasks.js';
import { form, startWeb } from './helpers/web.js';

const stories = path.join(MODELS_DIR, 'stories260K');

/** Reads a Server-Sent Events response into [event, data] pairs, in order. */
async function readEvents(r: Response): Promise<[string, any][]> {
  const text = await r.text();
  return text
    .split('\n\n')
    .filter((f) => f.startsWith('event: '))
    .map((f) => {
      const [ev, data] = f.split('\n');
      return [ev!.slice(7), JSON.parse(data!.slice(6))];
    });
}

describe('playground pages, files and 404', () => {
  let s: Awaited<ReturnType<typeof startWeb>>;
  beforeAll(async () => {
    s = await startWeb();
  });
  afterAll(() => s.stop());

  it('every command page: human labels, hints tied to fields, main landmark, live result region, examples, no inline script or style', async () => {
    for (const spec of COMMANDS) {
      for (const lang of ['es', 'en'] as const) {
        const html = await (await fetch(`${s.url}/c/${spec.name}?lang=${lang}`)).text();
        expect(html).toContain('<main id="main"');
        expect(html).toContain('id="result" aria-live="polite"');
        expect(html).toContain('<link rel="icon"');
        expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
        expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/);
        // The sample option has no field: the page offers the samples as example buttons.
        for (const o of spec.options.filter((x) => x.name !== SAMPLE_OPTION)) {
          const t = o.texts[lang === 'es' ? 'es-419' : 'en-US'];
          expect(t.label, `${spec.name} ${o.name}`).toBeTruthy();
          expect(html).toContain(`aria-describedby="opt-${o.name}-hint"`);
        }
        expect(html).toContain('class="example"');
      }
    }
    const es = await (await fetch(`${s.url}/c/detect-faces?lang=es`)).text();
    expect(es).toContain('>Confianza mínima</label>');
    expect(es).not.toContain('>confianza-minima<');
    expect(es).toContain('capture="environment"');
    expect(es).toContain('Astronauta');
    const gen = await (await fetch(`${s.url}/c/generate-text?lang=en`)).text();
    expect(gen).toContain('>Top-k (only the k likeliest tokens)</label>');
  });

  it('serves the script, the style, the favicon and the sample photos (with thumbnails), cacheable', async () => {
    for (const [p, type] of [
      ['/assets/app.js', 'text/javascript'],
      ['/assets/app.css', 'text/css'],
      ['/favicon.ico', 'image/svg+xml'],
      ['/samples/astronaut.jpg', 'image/jpeg'],
      ['/samples/astronaut.thumb.jpg', 'image/jpeg'],
    ] as const) {
      const r = await fetch(`${s.url}${p}`);
      expect(r.status, p).toBe(200);
      expect(r.headers.get('content-type')).toContain(type);
      const etag = r.headers.get('etag')!;
      expect((await fetch(`${s.url}${p}`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    }
    expect((await fetch(`${s.url}/samples/astronaut.thumb.jpg`).then((r) => r.arrayBuffer())).byteLength).toBeLessThan(
      8000,
    );
    expect((await fetch(`${s.url}/samples/../package.json`)).status).toBe(404);
    expect(await (await fetch(`${s.url}/samples/SOURCES.md`)).text()).toContain('astronaut.jpg');
    expect((await fetch(`${s.url}/assets/nope.js`)).status).toBe(404);
  });

  it('every shipped sample is a small photo with its licence recorded', () => {
    const sources = readFileSync(path.join(ROOT, 'samples/SOURCES.md'), 'utf8');
    for (const sample of SAMPLES) {
      expect(readSample(sample.id)!.length).toBeLessThan(60_000);
      expect(sources).toContain(sample.file);
      expect(['public domain', 'CC0']).toContain(sample.licence);
    }
    for (const spec of COMMANDS)
      for (const list of Object.values(spec.examples ?? {}))
        for (const e of list) if (e.sample) expect(readSample(e.sample), e.sample).toBeDefined();
  });

  it('an unknown page: an HTML 404 page for browsers, the JSON error for programs', async () => {
    const page = await fetch(`${s.url}/nothing-here?lang=es`, { headers: { accept: 'text/html,*/*' } });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('No existe esta página');
    expect(html).toContain('href="/c/detect-faces?lang=es"');
    const c = await fetch(`${s.url}/c/paint`, { headers: { accept: 'text/html' } });
    expect(c.status).toBe(404);
    expect(c.headers.get('content-type')).toContain('text/html');
    const api = await fetch(`${s.url}/nothing-here`);
    expect(api.status).toBe(404);
    expect((await api.json()).error.code).toBe('unknown_command');
  });

  it('a refused request on the live route answers a plain JSON error before any stream', async () => {
    const r = await fetch(`${s.url}/api/commands/detect-faces/stream?lang=es`, {
      method: 'POST',
      body: form({ colour: 'red' }),
    });
    expect(r.status).toBe(400);
    expect((await r.json()).error).toMatchObject({
      code: 'unknown_option',
      message: expect.stringMatching(/no existe/),
    });
    expect((await fetch(`${s.url}/api/jobs/not-a-job/cancel`, { method: 'POST' })).status).toBe(404);
  });
});

describe('result images by short-lived URL', () => {
  it('expires, and keeps within its byte budget by dropping the oldest', () => {
    let now = 0;
    const store = new ResultStore(1000, 10, () => now);
    const img = (n: number) => ({ name: 'a.png', mime: 'image/png' as const, alt: '', data: Buffer.alloc(n) });
    const a = store.put(img(6));
    expect(a).toMatch(/^[\w-]{22}$/);
    const b = store.put(img(6));
    expect(store.get(a)).toBeUndefined();
    expect(store.get(b)).toBeDefined();
    now = 1000;
    expect(store.get(b)).toBeUndefined();
  });
});

describeWith('playground API and live route on /detect-faces', [yunetFile], () => {
  let s: Awaited<ReturnType<typeof startWeb>>;
  beforeAll(async () => {
    s = await startWeb();
  });
  afterAll(() => s.stop());
  const astronaut = readSample('astronaut')!;

  it('JSON API: images by URL (download as a file) by default, base64 only with ?inline=1', async () => {
    const r = await fetch(`${s.url}/api/commands/detect-faces`, { method: 'POST', body: form({ image: astronaut }) });
    const body = await r.json();
    expect(body.images[0]).toMatchObject({
      name: 'faces.jpg',
      mime: 'image/jpeg',
      url: expect.stringMatching(/^\/r\/[\w-]{22}\/faces\.jpg$/),
      width: 512,
      height: 512,
    });
    expect(body.images[0].base64).toBeUndefined();
    const img = await fetch(`${s.url}${body.images[0].url}`);
    expect(img.headers.get('content-type')).toBe('image/jpeg');
    const bytes = (await img.arrayBuffer()).byteLength;
    const dl = await fetch(`${s.url}${body.images[0].download}`);
    expect(dl.headers.get('content-disposition')).toBe('attachment; filename="faces.jpg"');
    expect((await fetch(`${s.url}/r/AAAAAAAAAAAAAAAAAAAAAA/faces.jpg`)).status).toBe(404);
    // What the page shows: a photo's picture is already a JPEG, so the preview is the picture itself.
    const shown = await fetch(`${s.url}${body.images[0].preview}`);
    expect(shown.headers.get('content-type')).toBe('image/jpeg');
    expect((await shown.arrayBuffer()).byteLength).toBe(bytes);
    const inline = await (
      await fetch(`${s.url}/api/commands/detect-faces?inline=1`, { method: 'POST', body: form({ image: astronaut }) })
    ).json();
    expect(Buffer.from(inline.images[0].base64, 'base64').readUInt16BE(0)).toBe(0xffd8);
  });

  it('live route: job, running, then the result with image URLs; correct singular when blurring one face', async () => {
    const r = await fetch(`${s.url}/api/commands/detect-faces/stream?lang=es`, {
      method: 'POST',
      body: form({ image: astronaut, blur: 'true' }),
    });
    expect(r.headers.get('content-type')).toContain('text/event-stream');
    const events = await readEvents(r);
    expect(events.map(([e]) => e)).toEqual(['job', 'running', 'result']);
    const result = events[2]![1];
    expect(result.text).toMatch(/^Difuminé 1 cara\./);
    expect(result.text).not.toContain('(s)');
    expect((await fetch(`${s.url}${result.images[0].url}`)).status).toBe(200);
  });
});

describeWith('live route: queue position, streamed text, cancel', [stories], () => {
  let s: Awaited<ReturnType<typeof startWeb>>;
  // Stand-in tasks (a job holding the only slot, a fake generator), undone after each use.
  let undoText = () => undefined as void;
  let undoHold = () => undefined as void;
  beforeAll(async () => {
    s = await startWeb({ SINAPSIS_CONCURRENCY: '1', SINAPSIS_TEXT_MODEL: stories });
  });
  afterAll(async () => {
    undoText();
    undoHold();
    await s.stop();
  });

  /** A job from another user that holds the only slot until released. */
  function blocker() {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    undoHold = standInTask('hold', async () => {
      await gate;
      return { text: '', images: [], data: {}, timings: {} };
    });
    const h = s.app.service.queue.submit({
      id: `hold-${Math.random()}`,
      userId: 'someone-else',
      payload: { command: 'hold', task: 'hold', options: {}, images: {}, lang: 'en', langSource: 'platform' },
    });
    return { release, done: Promise.resolve(h).then((x) => x.result) };
  }

  it('reports the place in line, then streams the real model’s text in order, then the result', async () => {
    const hold = blocker();
    const response = fetch(`${s.url}/api/commands/generate-text/stream?lang=en`, {
      method: 'POST',
      body: form({ prompt: 'Once upon a time', 'max-new-tokens': '40', temperature: '0' }),
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(await s.app.service.queue.stats()).toEqual({ waiting: 1, running: 1, stuck: 0 });
    hold.release();
    await hold.done;
    const events = await readEvents(await response);
    const names = events.map(([e]) => e);
    expect(names.slice(0, 3)).toEqual(['job', 'queued', 'running']);
    expect(events[1]![1].position).toBe(1);
    expect(names.at(-1), JSON.stringify(events.at(-1))).toBe('result');
    const texts = events.filter(([e]) => e === 'progress').map(([, d]) => d.text as string);
    expect(texts.length).toBeGreaterThan(0);
    // Each piece of streamed text extends the one before, and the result starts with the last one.
    for (let i = 1; i < texts.length; i++) expect(texts[i]!.startsWith(texts[i - 1]!)).toBe(true);
    expect(events.at(-1)![1].data.text.startsWith(texts.at(-1)!)).toBe(true);
  });

  it('Cancel (POST /api/jobs/:id/cancel) stops a running job; closing the stream cancels a waiting one', async () => {
    let aborted = false;
    undoText = standInTask('generate-text', async (_input, { signal, report }) => {
      for (let i = 0; !signal.aborted && i < 400; i++) {
        report?.({ text: `tick ${i}` });
        await new Promise((r) => setTimeout(r, 25));
      }
      aborted = signal.aborted;
      throw signal.reason;
    });
    try {
      const r = await fetch(`${s.url}/api/commands/generate-text/stream?lang=es`, {
        method: 'POST',
        body: form({ prompt: 'x' }),
      });
      const reader = r.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while (!text.includes('event: progress')) text += (await reader.read()).value;
      const id = /"id":"([^"]+)"/.exec(text)![1]!;
      expect((await fetch(`${s.url}/api/jobs/${id}/cancel`, { method: 'POST' })).status).toBe(202);
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += chunk.value;
      expect(text).toMatch(/event: error\ndata: \{"code":"cancelled","message":"El pedido fue cancelado\."/);
      await new Promise((res) => setTimeout(res, 100));
      expect(aborted).toBe(true);
      expect(await s.app.service.queue.stats()).toEqual({ waiting: 0, running: 0, stuck: 0 });

      // A waiting job whose page goes away leaves the line.
      const hold = blocker();
      const ctrl = new AbortController();
      const waiting = await fetch(`${s.url}/api/commands/generate-text/stream`, {
        method: 'POST',
        body: form({ prompt: 'x' }),
        signal: ctrl.signal,
      });
      const r2 = waiting.body!.getReader();
      await r2.read();
      expect((await s.app.service.queue.stats()).waiting).toBe(1);
      ctrl.abort();
      for (let i = 0; i < 50 && (await s.app.service.queue.stats()).waiting > 0; i++)
        await new Promise((res) => setTimeout(res, 20));
      expect((await s.app.service.queue.stats()).waiting).toBe(0);
      hold.release();
      await hold.done;
      const outcomes = s.app
        .db!.prepare("SELECT outcome FROM jobs WHERE command = 'generate-text' ORDER BY created_at")
        .all() as { outcome: string }[];
      expect(outcomes.slice(-2).map((o) => o.outcome)).toEqual(['cancelled', 'cancelled']);
    } finally {
      undoText();
    }
  });
});

describe('server log', () => {
  let web: FastifyInstance;
  let app: ReturnType<typeof testApp>;
  const lines: any[] = [];
  beforeAll(async () => {
    app = testApp();
    const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
    web = await buildWebServer({ ...app, logger });
    await web.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await web.close();
    await app.dispose();
  });

  it('one line per request: route, command, status, outcome, duration; never the content', async () => {
    const url = `http://127.0.0.1:${(web.server.address() as { port: number }).port}`;
    await fetch(`${url}/c/translate`);
    await fetch(`${url}/api/commands/translate`, {
      method: 'POST',
      body: form({ text: 'secreto personal', colour: 'x' }),
    });
    const reqs = lines.filter((l) => l.msg === 'request');
    expect(reqs).toHaveLength(2);
    expect(reqs[0]).toMatchObject({
      method: 'GET',
      route: '/c/:name',
      command: 'translate',
      status: 200,
      outcome: 'ok',
      ms: expect.any(Number),
    });
    expect(reqs[1]).toMatchObject({
      method: 'POST',
      route: '/api/commands/:name',
      command: 'translate',
      status: 400,
      outcome: 'unknown_option',
    });
    expect(JSON.stringify(lines)).not.toContain('secreto');
  });
});
