import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greyOf, greyRgb, labToRgb, lightness, recombine, rgbToLab, sampleAb } from '../src/images/lab.js';
import { resizePlane } from '../src/tasks/colorize.js';
import { tempDir, testApp } from './helpers/app.js';
import { ROOT } from './helpers/assets.js';
import { pngClaiming } from './helpers/images.js';

const FIXTURE = path.join(ROOT, 'tests/fixtures/models/colorizer-tiny/colorizer-tiny-512.onnx');

describe('Lab colour space', () => {
  it('matches OpenCV’s float conversion on known colours', () => {
    const { L, a, b } = rgbToLab(new Uint8Array([255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255]), 4, 3);
    // cv2.cvtColor(np.float32 RGB/255, COLOR_RGB2Lab), Debian OpenCV 4.6.
    const expected = [
      [100, 0, 0],
      [0, 0, 0],
      [53.241, 80.094, 67.203],
      [32.297, 79.188, -107.86],
    ];
    expected.forEach(([l, aa, bb], i) => {
      expect(L[i]).toBeCloseTo(l!, 1);
      expect(a[i]).toBeCloseTo(aa!, 1);
      expect(b[i]).toBeCloseTo(bb!, 1);
    });
  });

  it('RGB → Lab → RGB comes back within 1 level, over every grey and 100 000 random colours', () => {
    const n = 100_000 + 256;
    const rgb = new Uint8Array(n * 3);
    for (let i = 0; i < 256; i++) rgb.fill(i, i * 3, i * 3 + 3);
    for (let i = 256 * 3; i < rgb.length; i++) rgb[i] = Math.floor(Math.random() * 256);
    const { L, a, b } = rgbToLab(rgb, n, 3);
    const back = labToRgb(L, a, b);
    let worst = 0;
    for (let i = 0; i < rgb.length; i++) worst = Math.max(worst, Math.abs(back[i]! - rgb[i]!));
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('the network’s grey input equals Lab(L, 0, 0) back in RGB', () => {
    const n = 50_000;
    const rgb = Uint8Array.from({ length: n * 3 }, () => Math.floor(Math.random() * 256));
    const { L } = rgbToLab(rgb, n, 3);
    const viaLab = labToRgb(L, new Float32Array(n), new Float32Array(n));
    const direct = greyOf(rgb, n, 3);
    const bytes = greyRgb(rgb, n, 3);
    let worst = 0;
    for (let i = 0; i < n; i++)
      worst = Math.max(
        worst,
        Math.abs(direct[i]! * 255 - viaLab[i * 3]!),
        Math.abs(viaLab[i * 3]! - viaLab[i * 3 + 2]!),
        Math.abs(bytes[i * 3]! - viaLab[i * 3]!),
      );
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('the fused one-pass helpers give what the plain conversions give', () => {
    const [w, h] = [300, 200];
    const n = w * h;
    const rgb = Uint8Array.from({ length: n * 4 }, () => Math.floor(Math.random() * 256));
    const full = rgbToLab(rgb, n, 4);
    // L and the network's grey in one pass.
    const one = lightness(rgb, n, 4);
    const grey = greyOf(rgb, n, 4);
    let worstL = 0;
    let worstGrey = 0;
    for (let i = 0; i < n; i++) {
      worstL = Math.max(worstL, Math.abs(one.L[i]! - full.L[i]!));
      worstGrey = Math.max(worstGrey, Math.abs(one.grey[i]! - grey[i]!));
    }
    expect(worstL).toBeLessThan(1e-3);
    expect(worstGrey).toBeLessThan(1e-6);
    // a/b at every 7th pixel, exactly where rgbToLab puts them.
    const s = sampleAb(rgb, n, 4, 7);
    expect(s.index.length).toBe(Math.ceil(n / 7));
    s.index.forEach((i, k) => {
      expect(i).toBe(k * 7);
      expect(Math.abs(s.a[k]! - full.a[i]!)).toBeLessThan(1e-3);
      expect(Math.abs(s.b[k]! - full.b[i]!)).toBeLessThan(1e-3);
    });
    // Upsampling + strength + Lab → RGB in one pass equals the three steps apart; ΔE is the mean over the samples.
    const [nw, nh] = [64, 48];
    const ab = Float32Array.from({ length: 2 * nw * nh }, () => Math.random() * 80 - 40);
    const a = resizePlane(ab.subarray(0, nw * nh), nw, nh, w, h).map((v) => v * 0.5);
    const b = resizePlane(ab.subarray(nw * nh), nw, nh, w, h).map((v) => v * 0.5);
    const r = recombine(full.L, w, h, ab, nw, nh, 0.5, s);
    const apart = labToRgb(full.L, a, b);
    let worst = 0;
    for (let i = 0; i < apart.length; i++) worst = Math.max(worst, Math.abs(r.rgb[i]! - apart[i]!));
    expect(worst).toBeLessThanOrEqual(1);
    const expected =
      [...s.index].reduce((sum, i, k) => sum + Math.hypot(a[i]! - s.a[k]!, b[i]! - s.b[k]!), 0) / s.index.length;
    expect(r.meanDeltaE!).toBeCloseTo(expected, 2);
    expect(recombine(full.L, w, h, ab, nw, nh, 1).meanDeltaE).toBeUndefined();
  });

  it('bilinear upsampling keeps a constant plane constant and a ramp monotonic', () => {
    expect([...resizePlane(new Float32Array(4).fill(3), 2, 2, 5, 7)].every((v) => v === 3)).toBe(true);
    const up = resizePlane(Float32Array.from([0, 10]), 2, 1, 8, 1);
    expect([...up].every((v, i) => i === 0 || v >= up[i - 1]!)).toBe(true);
    expect([up[0], up[7]]).toEqual([0, 10]);
  });
});

describe('/colorize through the real code path (hand-set fixture with DDColor’s input/output)', () => {
  let app: ReturnType<typeof testApp>;
  let colourPhoto: Buffer;
  let greyPhoto: Buffer;
  beforeAll(async () => {
    app = testApp({ SINAPSIS_COLORIZE_MODEL: FIXTURE });
    // A colour photo-like picture: gradients and shapes, 640×400.
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400"><defs><linearGradient id="g"><stop offset="0" stop-color="#1d4f91"/><stop offset="1" stop-color="#f2c14e"/></linearGradient></defs>
      <rect width="640" height="400" fill="url(#g)"/><circle cx="200" cy="200" r="90" fill="#c0392b"/><rect x="380" y="120" width="160" height="160" fill="#27ae60"/></svg>`;
    colourPhoto = await sharp(Buffer.from(svg)).jpeg({ quality: 92 }).toBuffer();
    greyPhoto = await sharp(colourPhoto).toColourspace('b-w').jpeg({ quality: 92 }).toBuffer();
  });
  afterAll(() => app.dispose());
  const run = (image: Buffer, options: Record<string, unknown> = {}, lang: 'es' | 'en' = 'en') =>
    app.service.run({ command: 'colorize', options, images: { image }, ctx: { platform: 'test', userId: 'u', lang } });

  it('a colour photo: made grey first, colorized at full size, shown as original | grey | colorized with a colour distance', async () => {
    const r = await run(colourPhoto, {}, 'es');
    expect(r.model).toBe('colorizer-tiny-512');
    expect(r.data).toMatchObject({ width: 640, height: 400, had_colour: true, network_input: [512, 512], strength: 1 });
    expect(r.data.mean_delta_e).toBeGreaterThan(5);
    expect(r.text).toMatch(
      /^Coloreada por colorizer-tiny-512 en \d+ ms \(intensidad 1\)\.\nComparada con los colores reales: distancia de color media ΔE [\d.]+/,
    );
    // A photo in, photos out: JPEG.
    expect(r.images.map((i) => [i.name, i.mime])).toEqual([
      ['colorized.jpg', 'image/jpeg'],
      ['before-after.jpg', 'image/jpeg'],
    ]);
    const colorized = await sharp(r.images[0]!.data).metadata();
    expect([colorized.format, colorized.width, colorized.height]).toEqual(['jpeg', 640, 400]);
    const panelW = Math.round((640 * 320) / 400);
    const composite = sharp(r.images[1]!.data);
    expect(await composite.metadata()).toMatchObject({ width: 3 * panelW + 2 * 6, height: 320 + 2 * 44 });
    // Left panel keeps the real colours, the middle one is grey, the right one has the network's colours.
    const chroma = async (left: number) => {
      const { data, info } = await sharp(r.images[1]!.data)
        .extract({ left, top: 0, width: panelW, height: 320 })
        .raw()
        .toBuffer({ resolveWithObject: true });
      const lab = rgbToLab(data, info.width * info.height, info.channels);
      return lab.a.reduce((s, v, i) => s + Math.hypot(v, lab.b[i]!), 0) / lab.a.length;
    };
    expect(await chroma(0)).toBeGreaterThan(20);
    expect(await chroma(panelW + 6)).toBeLessThan(1);
    expect(await chroma(2 * (panelW + 6))).toBeGreaterThan(5);
    if (process.env.SINAPSIS_PICTURES)
      writeFileSync(path.join(process.env.SINAPSIS_PICTURES, r.images[1]!.name), r.images[1]!.data);
  });

  it('the network only sees lightness: a colour photo and its grey copy get the same colours', async () => {
    const fromColour = await sharp((await run(colourPhoto)).images[0]!.data)
      .raw()
      .toBuffer();
    expect((await sharp(greyPhoto).metadata()).channels).toBe(1);
    const fromGrey = await run(greyPhoto);
    expect(fromGrey.data.had_colour).toBe(false);
    expect(fromGrey.data.mean_delta_e).toBeUndefined();
    expect(fromGrey.text).not.toMatch(/ΔE/);
    const g = await sharp(fromGrey.images[0]!.data).raw().toBuffer();
    let diff = 0;
    for (let i = 0; i < g.length; i++) diff += Math.abs(g[i]! - fromColour[i]!);
    // JPEG's own chroma/luma rounding differs a little between the two files.
    expect(diff / g.length).toBeLessThan(3);
    // A PNG with an alpha channel works the same way.
    const rgba = await sharp(colourPhoto).ensureAlpha().png().toBuffer();
    expect((await run(rgba)).data).toMatchObject({ width: 640, height: 400, had_colour: true });
    const panelW = Math.round((640 * 320) / 400);
    expect((await sharp(fromGrey.images[1]!.data).metadata()).width).toBe(2 * panelW + 6);
  });

  it('strength 0 gives back the grey photo; edges stay at full resolution', async () => {
    const r = await run(colourPhoto, { strength: 0 });
    const { data, info } = await sharp(r.images[0]!.data).raw().toBuffer({ resolveWithObject: true });
    const lab = rgbToLab(data, info.width * info.height, info.channels);
    expect(lab.a.reduce((m, v, i) => Math.max(m, Math.abs(v), Math.abs(lab.b[i]!)), 0)).toBeLessThan(1.5);
    // A hard black/white edge stays a one-pixel step: L is never resampled through the 512-px network grid.
    // Saved as a one-channel PNG: grey files must be read as grey, not as packed RGB.
    const edge = await sharp(
      Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" width="777" height="300"><rect width="777" height="300" fill="#000"/><rect x="333" width="444" height="300" fill="#fff"/></svg>',
      ),
    )
      .removeAlpha()
      .toColourspace('b-w')
      .png()
      .toBuffer();
    expect((await sharp(edge).metadata()).channels).toBe(1);
    const e = await sharp((await run(edge)).images[0]!.data)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const px = (x: number) => e.data[(150 * e.info.width + x) * e.info.channels]!;
    expect([px(331), px(332), px(333), px(334)].map((v) => (v < 40 ? 'dark' : v > 200 ? 'light' : 'mid'))).toEqual([
      'dark',
      'dark',
      'light',
      'light',
    ]);
  });

  it('large photos are worked on at the reply size (1600 px long side)', async () => {
    const big = await sharp({ create: { width: 3200, height: 2000, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    const r = await run(big);
    expect(r.data).toMatchObject({ width: 1600, height: 1000 });
  });

  it('bad input: not an image, a decompression bomb, a corrupt or missing model — each a clear error, the next request fine', async () => {
    await expect(run(Buffer.from('hello'))).rejects.toMatchObject({ code: 'not_an_image' });
    await expect(run(pngClaiming(30000, 30000))).rejects.toMatchObject({ code: 'image_too_many_pixels' });
    await expect(run(colourPhoto.subarray(0, 2000))).rejects.toMatchObject({ code: 'corrupt_image' });
    const dir = tempDir();
    writeFileSync(path.join(dir, 'broken.onnx'), 'not a model');
    for (const [model, code] of [
      [path.join(dir, 'broken.onnx'), 'model_corrupt'],
      [path.join(dir, 'absent.onnx'), 'model_missing'],
    ] as const) {
      const other = testApp({ SINAPSIS_COLORIZE_MODEL: model });
      try {
        const e = await other.service
          .run({
            command: 'colorize',
            options: {},
            images: { image: colourPhoto },
            ctx: { platform: 'test', userId: 'u', lang: 'es' },
          })
          .catch((err) => err);
        expect(e.code).toBe(code);
      } finally {
        await other.dispose();
      }
    }
    expect((await run(colourPhoto)).images).toHaveLength(2);
  });
});

describe('/colorize with a Zhang et al. (ECCV 2016) style network: L 0..100 on one channel in, a/b at its own size out', () => {
  it('feeds lightness, upsamples the smaller a/b output, and colours by brightness as the network says', async () => {
    const fixture = path.join(ROOT, 'tests/fixtures/models/colorizer-lightness/colorizer-lightness-256.onnx');
    const app = testApp({ SINAPSIS_COLORIZE_MODEL: fixture });
    try {
      // Left half dark grey, right half light grey.
      const grey = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#333333' } })
        .composite([
          {
            input: await sharp({ create: { width: 150, height: 200, channels: 3, background: '#dddddd' } })
              .png()
              .toBuffer(),
            left: 150,
            top: 0,
          },
        ])
        .png()
        .toBuffer();
      const r = await app.service.run({
        command: 'colorize',
        options: {},
        images: { image: grey },
        ctx: { platform: 'test', userId: 'u', lang: 'en' },
      });
      expect(r.model).toBe('colorizer-lightness-256');
      expect(r.data).toMatchObject({ width: 300, height: 200, network_input: [256, 256] });
      const { data, info } = await sharp(r.images[0]!.data).raw().toBuffer({ resolveWithObject: true });
      const lab = rgbToLab(data, info.width * info.height, info.channels);
      const at = (x: number, y: number) => ({
        L: lab.L[y * info.width + x]!,
        a: lab.a[y * info.width + x]!,
        b: lab.b[y * info.width + x]!,
      });
      const dark = at(30, 100);
      const light = at(270, 100);
      // a = 0.1·L − 2 and b = 0.2·L − 4, read back through 8-bit sRGB.
      for (const p of [dark, light]) {
        expect(Math.abs(p.a - (0.1 * p.L - 2))).toBeLessThan(1.5);
        expect(Math.abs(p.b - (0.2 * p.L - 4))).toBeLessThan(1.5);
      }
      expect(light.b).toBeGreaterThan(dark.b + 8);
    } finally {
      await app.dispose();
    }
  });
});
