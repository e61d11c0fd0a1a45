// Issue 12, items 11 and 14: extreme aspect ratios, /explain image checks, one image per field.
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './helpers/app.js';
import { describeWith, ROOT, yunetFile } from './helpers/assets.js';
import { form, startWeb } from './helpers/web.js';

const COLORIZER = path.join(ROOT, 'tests/fixtures/models/colorizer-tiny/colorizer-tiny-512.onnx');
const strip = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#808080' } })
    .png()
    .toBuffer();

describeWith('valid 1×100000 and 100000×1 PNGs', [yunetFile], () => {
  let app: ReturnType<typeof testApp>;
  beforeAll(() => {
    app = testApp({ SINAPSIS_COLORIZE_MODEL: COLORIZER });
  });
  afterAll(() => app.dispose());

  for (const [w, h] of [
    [1, 100000],
    [100000, 1],
  ] as const) {
    it(`${w}×${h}: /detect-faces, /explain (CNN pictures) and /colorize answer with images`, async () => {
      const image = await strip(w, h);
      for (const [command, options] of [
        ['detect-faces', {}],
        ['detect-faces', { blur: 'true' }],
        ['explain', { topic: 'convolución' }],
        ['colorize', {}],
      ] as const) {
        const r = await app.service.run({
          command,
          options,
          images: { image },
          ctx: { platform: 'test', userId: `${command}-${w}`, lang: 'en' },
        });
        expect(r.images.length, command).toBeGreaterThan(0);
        for (const img of r.images) {
          const meta = await sharp(img.data).metadata();
          expect(meta.width, `${command} ${img.name}`).toBeGreaterThan(0);
          expect(meta.height, `${command} ${img.name}`).toBeGreaterThan(0);
        }
      }
    });
  }
});

describe('/explain image checks', () => {
  let s: Awaited<ReturnType<typeof startWeb>>;
  beforeAll(async () => {
    s = await startWeb();
  });
  afterAll(() => s.stop());

  it('a bad attachment is refused even when the topic matches nothing', async () => {
    const r = await fetch(`${s.url}/api/commands/explain`, {
      method: 'POST',
      body: form({ topic: 'zzqx recetas de cocina', image: Buffer.from('not an image at all') }),
      headers: { 'accept-language': 'es' },
    });
    expect(r.status).toBe(415);
    expect((await r.json()).error).toMatchObject({
      code: 'not_an_image',
      message: expect.stringMatching(/no es una imagen/),
    });
  });

  it('two files in one field are refused (one image per field), in both languages', async () => {
    const png = await strip(8, 8);
    for (const [lang, re] of [
      ['es', /una sola imagen en "image"/],
      ['en', /one image in "image"/],
    ] as const) {
      const fd = new FormData();
      fd.append('topic', 'convolución');
      fd.append('image', new Blob([new Uint8Array(png)]), 'a.png');
      fd.append('image', new Blob([new Uint8Array(png)]), 'b.png');
      const r = await fetch(`${s.url}/api/commands/explain`, {
        method: 'POST',
        body: fd,
        headers: { 'accept-language': lang },
      });
      expect(r.status).toBe(400);
      expect((await r.json()).error).toMatchObject({ code: 'one_image_per_field', message: expect.stringMatching(re) });
    }
  });
});
