import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWith, facesDir, yunetFile } from './helpers/assets.js';
import { pngClaiming } from './helpers/images.js';
import { form, startWeb } from './helpers/web.js';

const photo = path.join(facesDir, '2008_001009.jpg');

describe('web playground without models', () => {
  let s: Awaited<ReturnType<typeof startWeb>>;
  beforeAll(async () => {
    s = await startWeb();
  });
  afterAll(() => s.stop());

  it('serves /healthz', async () => {
    const r = await fetch(`${s.url}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ status: 'ok', queue: { waiting: 0, running: 0 } });
  });

  it('renders a page per command from the spec, in the browser language', async () => {
    const es = await (
      await fetch(`${s.url}/c/detect-faces`, { headers: { 'accept-language': 'es-AR,es;q=0.9,en;q=0.5' } })
    ).text();
    expect(es).toContain('<html lang="es">');
    expect(es).toContain('detectar-caras');
    expect(es).toContain('name="image" type="file"');
    expect(es).toContain('name="blur" type="checkbox"');
    expect(es).toContain('name="min-score" type="number" min="0.3" max="0.99"');
    const en = await (await fetch(`${s.url}/c/detect-faces`, { headers: { 'accept-language': 'en-US,en' } })).text();
    expect(en).toContain('<html lang="en">');
    expect(en).toContain('never identifies');
    const index = await (await fetch(`${s.url}/?lang=en`)).text();
    for (const c of ['translate', 'generate-text', 'colorize', 'detect-faces', 'explain'])
      expect(index).toContain(`/c/${c}`);
  });

  it('unknown command and unknown option: 4xx with the error body', async () => {
    const r1 = await fetch(`${s.url}/api/commands/paint`, { method: 'POST', body: form({ x: '1' }) });
    expect(r1.status).toBe(404);
    expect((await r1.json()).error.code).toBe('unknown_command');
    const r2 = await fetch(`${s.url}/api/commands/detect-faces`, {
      method: 'POST',
      body: form({ colour: 'red' }),
      headers: { 'accept-language': 'es' },
    });
    expect(r2.status).toBe(400);
    expect(await r2.json()).toEqual({ error: { code: 'unknown_option', message: expect.stringMatching(/no existe/) } });
  });

  it('a required image missing from a JSON body: 400 missing_option', async () => {
    const r = await fetch(`${s.url}/api/commands/colorize`, {
      method: 'POST',
      body: JSON.stringify({ strength: 0.5 }),
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(400);
    expect((await r.json()).error).toMatchObject({
      code: 'missing_option',
      message: expect.stringMatching(/"image".*--sample.*astronaut, camera, coffee, chelsea/),
    });
  });

  it('the page keeps its example buttons and shows no sample select (the API takes `sample`)', async () => {
    const html = await (await fetch(`${s.url}/c/detect-faces`)).text();
    expect(html).toContain('/samples/astronaut.thumb.jpg');
    expect(html).not.toMatch(/name="sample"/);
  });

  it('a 50 MB upload is refused with 413 from its declared length, and the server keeps serving', async () => {
    const big = Buffer.alloc(50 * 1024 * 1024, 1);
    const r = await fetch(`${s.url}/api/commands/detect-faces`, { method: 'POST', body: form({ image: big }) });
    expect(r.status).toBe(413);
    expect((await r.json()).error.code).toBe('upload_too_large');
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it('a 50 MB upload without a declared length is cut off while streaming', async () => {
    // Chunked transfer: no content-length, so only the multipart limit can stop it.
    const boundary = 'sinapsisboundary';
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${s.url}/api/commands/detect-faces`,
        {
          method: 'POST',
          headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' },
        },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.write(
        `--${boundary}\r\ncontent-disposition: form-data; name="image"; filename="a.jpg"\r\ncontent-type: image/jpeg\r\n\r\n`,
      );
      let sent = 0;
      const chunk = Buffer.alloc(1024 * 1024, 2);
      const pump = () => {
        while (sent < 50) {
          sent++;
          if (!req.write(chunk)) return req.once('drain', pump);
        }
        req.end(`\r\n--${boundary}--\r\n`);
      };
      req.on('response', () => (sent = 50));
      pump();
    });
    expect(status.status).toBe(413);
    expect(JSON.parse(status.body).error.code).toBe('upload_too_large');
  });
});

describeWith('web playground /detect-faces', [yunetFile, photo], () => {
  let s: Awaited<ReturnType<typeof startWeb>>;
  beforeAll(async () => {
    s = await startWeb();
  });
  afterAll(() => s.stop());
  const post = (fields: Record<string, string | Buffer>, lang = 'en') =>
    fetch(`${s.url}/api/commands/detect-faces`, {
      method: 'POST',
      body: form(fields),
      headers: { 'accept-language': lang },
    });

  it('multipart upload → faces, text and a JPEG (a photo in, a photo out)', async () => {
    const r = await post({ image: readFileSync(photo), 'min-score': '0.7' });
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.data.faces).toHaveLength(2);
    expect(body.text).toMatch(/Found 2 faces/);
    // Images come by URL; a photo's picture is a JPEG.
    expect(body.images[0]).toMatchObject({ name: 'faces.jpg', mime: 'image/jpeg' });
    const picture = Buffer.from(await (await fetch(`${s.url}${body.images[0].url}`)).arrayBuffer());
    expect((await sharp(picture).metadata()).format).toBe('jpeg');
  });

  it('the API takes a sample instead of an upload', async () => {
    const r = await post({ sample: 'astronaut' });
    expect(r.status).toBe(200);
    expect((await r.json()).text).toMatch(/^Found 1 face\./);
  });

  it('each bad input: its status and error body, localized, then the next request still works', async () => {
    const cases: [Buffer, number, string][] = [
      [Buffer.from('plain text'), 415, 'not_an_image'],
      [readFileSync(photo).subarray(0, 20_000), 422, 'corrupt_image'],
      [pngClaiming(30000, 30000), 413, 'image_too_many_pixels'],
    ];
    for (const [bytes, status, code] of cases) {
      const r = await post({ image: bytes }, 'es-419');
      expect(r.status, code).toBe(status);
      const body = await r.json();
      expect(body.error.code).toBe(code);
      expect(body.error.message).toMatch(/[áéíóúñ]|imagen|archivo/);
      expect((await post({ image: readFileSync(photo) })).status).toBe(200);
    }
  });
});
