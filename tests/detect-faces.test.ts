import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labelSpots } from '../src/images/draw.js';
import { decode, letterbox, toInputTensor } from '../src/models/yunet.js';
import { detectFaces } from '../src/tasks/detect-faces.js';
import type { TaskResult } from '../src/tasks/types.js';
import { testApp } from './helpers/app.js';
import { DATA_DIR, describeWith, facesDir, yunetFile } from './helpers/assets.js';
import { pngClaiming } from './helpers/images.js';

const photo = path.join(facesDir, '2008_001009.jpg'); // 360×480, two faces

const crowd = path.join(DATA_DIR, 'faces-demo/1.jpg');

describeWith('detect-faces on YuNet', [yunetFile, photo, crowd], () => {
  let app: ReturnType<typeof testApp>;
  beforeAll(() => {
    app = testApp();
  });
  afterAll(() => app.dispose());
  const run = (images: Record<string, Buffer>, options: Record<string, unknown> = {}, lang: 'es' | 'en' = 'en') =>
    app.service.run({ command: 'detect-faces', options, images, ctx: { platform: 'test', userId: 'u', lang } });

  it('in a crowd (52 faces) the numbers are sized to their faces and do not cover one another', async () => {
    const r = await run({ image: readFileSync(crowd) });
    const faces = r.data.faces as Parameters<typeof labelSpots>[0];
    expect(faces.length).toBeGreaterThan(40);
    const spots = labelSpots(faces, r.data.width as number, r.data.height as number, 1);
    let overlapping = 0;
    spots.forEach((a, i) => {
      expect(a.rect[3]).toBeLessThanOrEqual(Math.max(14, faces[i]!.box[3] * 0.5 + 1));
      for (const b of spots.slice(i + 1)) {
        const [ax, ay, aw, ah] = a.rect;
        const [bx, by, bw, bh] = b.rect;
        if (ax < bx + bw && bx < ax + aw && ay < by + bh && by < ay + ah) overlapping++;
      }
    });
    expect(overlapping).toBe(0);
  });

  it('finds both faces with boxes, scores, five landmarks and a numbered JPEG (the upload is a photo)', async () => {
    const r: TaskResult = await run({ image: readFileSync(photo) });
    const faces = r.data.faces as { box: number[]; score: number; landmarks: number[][] }[];
    expect(faces).toHaveLength(2);
    for (const f of faces) {
      expect(f.score).toBeGreaterThan(0.6);
      expect(f.landmarks).toHaveLength(5);
      const [x, y, w, h] = f.box as [number, number, number, number];
      for (const [lx, ly] of f.landmarks as [number, number][]) {
        expect(lx).toBeGreaterThan(x);
        expect(lx).toBeLessThan(x + w);
        expect(ly).toBeGreaterThan(y);
        expect(ly).toBeLessThan(y + h);
      }
    }
    // Ground truth (dlib training.xml): faces at (145,79) 76×76 and (125,214) 90×91.
    expect(faces.map((f) => Math.round(f.box[1]! / 100))).toEqual(expect.arrayContaining([1, 2]));
    expect(r.text).toMatch(/^Found 2 faces\./);
    expect(r.text).toMatch(/nobody is identified/);
    const meta = await sharp(r.images[0]!.data).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['jpeg', 360, 480, 3]);
    expect(r.images[0]).toMatchObject({ name: 'faces.jpg', mime: 'image/jpeg' });
    expect(r.model).toBe('yunet-n');
  });

  it('gives the same boxes for an image whatever ran before it (reused input buffers are cleared)', async () => {
    const a = readFileSync(photo);
    const b = readFileSync(path.join(facesDir, '2007_007763.jpg')); // 500×375: different letterbox
    const first = await detectFaces(app.models, 'yunet-n', a, 0.6);
    await detectFaces(app.models, 'yunet-n', b, 0.6);
    const again = await detectFaces(app.models, 'yunet-n', a, 0.6);
    expect(again.faces).toEqual(first.faces);
  });

  it('the letterbox inside the graph gives the JS letterbox’s faces; a dynamic-size model keeps the JS one', async () => {
    const bytes = readFileSync(path.join(facesDir, '2007_007763.jpg')); // 500×375, seven faces
    const inGraph = await detectFaces(app.models, 'yunet-n', bytes, 0.6);
    const session = await app.models.onnxSession('yunet-n');
    const { data, info } = await sharp(bytes).rotate().raw().toBuffer({ resolveWithObject: true });
    const lb = letterbox(info.width, info.height, [640, 640]);
    const js = decode(
      await session.run({ input: toInputTensor(data, info.width, info.height, info.channels, lb) }),
      lb,
      info.width,
      info.height,
      0.6,
    );
    js.sort((a, b) => a.box[0] - b.box[0] || a.box[1] - b.box[1]);
    expect(inGraph.faces.length).toBe(js.length);
    inGraph.faces.forEach((f, i) => {
      for (const [k, v] of f.box.entries()) expect(Math.abs(v - js[i]!.box[k]!)).toBeLessThan(0.2);
      expect(Math.abs(f.score - js[i]!.score)).toBeLessThan(1e-3);
    });
    const dynamic = await detectFaces(app.models, 'yunet-n-dynamic', readFileSync(photo), 0.6);
    expect(dynamic.faces).toHaveLength(2);
  });

  it('loads the model once, lazily, and can warm it ahead of the first request', async () => {
    const fresh = testApp();
    try {
      expect(fresh.models.loadTimeMs('yunet-n')).toBeUndefined();
      await fresh.models.warm(['yunet-n']);
      expect(fresh.models.loadTimeMs('yunet-n')).toBeGreaterThan(0);
      expect(await fresh.models.onnxSession('yunet-n')).toBe(await fresh.models.onnxSession('yunet-n'));
    } finally {
      await fresh.dispose();
    }
  });

  it('answers in Spanish', async () => {
    const r = await run({ image: readFileSync(photo) }, {}, 'es');
    expect(r.text).toMatch(/^Encontré 2 caras\./);
  });

  it('respects EXIF orientation: boxes are in the pixels of the photo as shown', async () => {
    // Store the photo rotated 90° clockwise on disk with orientation 8 ("rotate 270° to show"), so viewers show it upright.
    const stored = await sharp(readFileSync(photo)).rotate(90).withMetadata({ orientation: 8 }).jpeg().toBuffer();
    const upright = await detectFaces(app.models, 'yunet-n', readFileSync(photo), 0.6);
    const exif = await detectFaces(app.models, 'yunet-n', stored, 0.6);
    expect([exif.width, exif.height]).toEqual([360, 480]);
    expect(exif.faces).toHaveLength(2);
    exif.faces.forEach((f, i) => {
      for (const [k, v] of f.box.entries()) expect(Math.abs(v - upright.faces[i]!.box[k]!)).toBeLessThan(6);
    });
  });

  it('blurs instead of boxing: the face region loses its detail, the rest is unchanged', async () => {
    const bytes = readFileSync(photo);
    const r = await run({ image: bytes }, { blur: 'true' });
    expect(r.text).toMatch(/Blurred 2 face/);
    const face = (r.data.faces as { box: number[] }[])[0]!.box.map(Math.round) as [number, number, number, number];
    const region = { left: face[0], top: face[1], width: face[2], height: face[3] };
    const sharpness = async (img: Buffer) => {
      const { data } = await sharp(img).extract(region).greyscale().raw().toBuffer({ resolveWithObject: true });
      let sum = 0;
      for (let i = 1; i < data.length; i++) sum += Math.abs(data[i]! - data[i - 1]!);
      return sum / data.length;
    };
    expect(await sharpness(r.images[0]!.data)).toBeLessThan((await sharpness(bytes)) / 3);
    const corner = { left: 0, top: 0, width: 40, height: 40 };
    const a = await sharp(r.images[0]!.data).extract(corner).raw().toBuffer();
    const b = await sharp(bytes).extract(corner).raw().toBuffer();
    // Unchanged up to JPEG's own rounding (the result is a JPEG like the upload).
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff += Math.abs(a[i]! - b[i]!);
    expect(diff / a.length).toBeLessThan(3);
    expect(r.images[0]).toMatchObject({ name: 'faces-blurred.jpg', mime: 'image/jpeg' });
  });

  it('reads PNG and WebP as well as JPEG; a photo comes back as JPEG whatever its file format', async () => {
    const bytes = readFileSync(photo);
    for (const format of ['png', 'webp'] as const) {
      const r = await run({ image: await sharp(bytes).toFormat(format).toBuffer() });
      expect((r.data.faces as unknown[]).length).toBe(2);
      expect(r.images[0]).toMatchObject({ name: 'faces.jpg', mime: 'image/jpeg' });
    }
  });

  it('keeps PNG for an upload with transparency and for a drawing, and the PNG has no alpha channel', async () => {
    const bytes = readFileSync(photo);
    const transparent = await sharp(bytes).ensureAlpha(0.9).png().toBuffer();
    const t = await run({ image: transparent });
    expect((t.data.faces as unknown[]).length).toBe(2);
    expect(t.images[0]).toMatchObject({ name: 'faces.png', mime: 'image/png' });
    // A flat-colour drawing: few distinct colours.
    const drawing = await sharp(
      Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><rect width="400" height="300" fill="#fff"/><circle cx="200" cy="150" r="80" fill="#fc0" stroke="#000" stroke-width="4"/><rect x="20" y="20" width="90" height="40" fill="#36c"/></svg>',
      ),
    )
      .png()
      .toBuffer();
    for (const options of [{}, { blur: 'true' }]) {
      const d = await run({ image: drawing }, options);
      expect(d.images[0]!.mime).toBe('image/png');
      expect(d.images[0]!.name).toMatch(/\.png$/);
      const meta = await sharp(d.images[0]!.data).metadata();
      expect([meta.format, meta.channels]).toEqual(['png', 3]);
    }
  });

  it('big photos are shrunk while decoding and give the same faces as a full decode', async () => {
    // 2.5× upscaled: over twice the network's side, so JPEG shrink-on-load applies.
    const big = await sharp(readFileSync(photo)).resize(900, 1200).jpeg({ quality: 95 }).toBuffer();
    const det = await detectFaces(app.models, 'yunet-n', big, 0.6);
    expect([det.width, det.height]).toEqual([900, 1200]);
    const small = await detectFaces(app.models, 'yunet-n', readFileSync(photo), 0.6);
    expect(det.faces).toHaveLength(2);
    for (const [i, f] of det.faces.entries()) {
      for (const [k, v] of f.box.entries()) expect(Math.abs(v / 2.5 - small.faces[i]!.box[k]!)).toBeLessThan(5);
    }
  });

  const refusals: [string, () => Promise<Buffer>, string][] = [
    ['not an image', async () => Buffer.from('just some text, not a picture'), 'not_an_image'],
    [
      'a truncated JPEG',
      async () => readFileSync(photo).subarray(0, Math.floor(readFileSync(photo).length * 0.6)),
      'corrupt_image',
    ],
    ['a PNG claiming 30000×30000 pixels', async () => pngClaiming(30000, 30000), 'image_too_many_pixels'],
    ['a GIF', async () => sharp(readFileSync(photo)).gif().toBuffer(), 'unsupported_image_format'],
    [
      'an 11 MB file',
      async () => Buffer.concat([readFileSync(photo), Buffer.alloc(11 * 1024 * 1024)]),
      'upload_too_large',
    ],
  ];
  for (const [what, make, code] of refusals) {
    it(`refuses ${what} with "${code}", in both languages, and keeps serving`, async () => {
      const bytes = await make();
      const en = await run({ image: bytes }).catch((e) => e);
      expect(en.code).toBe(code);
      const es = await run({ image: bytes }, {}, 'es').catch((e) => e);
      expect(es.localized('es')).not.toEqual(es.localized('en'));
      expect(((await run({ image: readFileSync(photo) })).data.faces as unknown[]).length).toBe(2);
    });
  }

  it('a 30000×30000 header is refused before any decoding (no memory spike)', async () => {
    const before = process.memoryUsage().rss;
    await run({ image: pngClaiming(30000, 30000) }).catch(() => undefined);
    // Decoding would need 2.7 GB; a generous margin covers everything else.
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });
});
