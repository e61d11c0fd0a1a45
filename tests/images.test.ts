import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PHOTO_LIMITS } from '../commands/spec.js';
import { JPEG, PNG, looksDrawn, resultFormat } from '../src/images/encode.js';
import { decodeImage, inspectImage, peekHeader } from '../src/images/load.js';
import { letterbox, toInputTensor } from '../src/models/yunet.js';
import { pngClaiming } from './helpers/images.js';

const limits = PHOTO_LIMITS;

/** A photo-like picture: smooth gradients plus noise, as a camera gives. */
async function photoLike(width: number, height: number): Promise<Buffer> {
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      px[p] = Math.min(255, Math.max(0, (x * 255) / width + (Math.random() - 0.5) * 24));
      px[p + 1] = Math.min(255, Math.max(0, (y * 255) / height + (Math.random() - 0.5) * 24));
      px[p + 2] = Math.min(255, Math.max(0, 128 + (Math.random() - 0.5) * 24));
    }
  }
  return sharp(px, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

const drawing = () =>
  sharp(
    Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="200"><rect width="320" height="200" fill="#fff"/><path d="M20 180 L160 20 L300 180 Z" fill="#9cf" stroke="#024" stroke-width="3"/><text x="120" y="150" font-size="24" fill="#000">f(x)</text></svg>',
    ),
  )
    .png()
    .toBuffer();

describe('reading image headers in JS', () => {
  it('gives the same format and size as libvips for JPEG, PNG and the three WebP kinds', async () => {
    const base = sharp(await photoLike(123, 77));
    const files = {
      jpeg: await base.clone().jpeg().toBuffer(),
      progressive: await base.clone().jpeg({ progressive: true }).toBuffer(),
      png: await base.clone().png().toBuffer(),
      webpLossy: await base.clone().webp().toBuffer(),
      webpLossless: await base.clone().webp({ lossless: true }).toBuffer(),
      webpAlpha: await base.clone().ensureAlpha(0.5).webp().toBuffer(),
      exif: await base.clone().withMetadata({ orientation: 6 }).jpeg().toBuffer(),
    };
    for (const [name, buf] of Object.entries(files)) {
      const meta = await sharp(buf).metadata();
      expect({ name, ...peekHeader(buf) }).toEqual({
        name,
        format: String(meta.format) === 'jpg' ? 'jpeg' : meta.format,
        width: meta.width,
        height: meta.height,
      });
    }
  });

  it('knows nothing of text, GIF or a cut-off header (libvips then decides, with the precise error)', async () => {
    expect(peekHeader(Buffer.from('hello, not a picture'))).toBeUndefined();
    expect(
      peekHeader(
        await sharp(await photoLike(20, 20))
          .gif()
          .toBuffer(),
      ),
    ).toBeUndefined();
    expect(
      peekHeader(
        (
          await sharp(await photoLike(20, 20))
            .jpeg()
            .toBuffer()
        ).subarray(0, 20),
      ),
    ).toBeUndefined();
    expect(peekHeader(pngClaiming(30000, 30000))).toEqual({ format: 'png', width: 30000, height: 30000 });
  });
});

describe('decoding an upload in one call', () => {
  it('refuses what inspectImage refuses, with the same errors', async () => {
    const cases = [
      Buffer.from('hello'),
      pngClaiming(30000, 30000),
      await sharp(await photoLike(20, 20))
        .gif()
        .toBuffer(),
      Buffer.alloc(11 * 1024 * 1024, 0xff),
    ];
    for (const buf of cases) {
      const a = await inspectImage(buf, limits).catch((e) => e);
      const b = await decodeImage(buf, limits).catch((e) => e);
      expect(b.code).toBe(a.code);
      expect(b.params).toEqual(a.params);
    }
    const cut = await sharp(await photoLike(300, 200))
      .jpeg()
      .toBuffer();
    await expect(decodeImage(cut.subarray(0, Math.floor(cut.length * 0.6)), limits)).rejects.toMatchObject({
      code: 'corrupt_image',
    });
  });

  it('applies EXIF orientation, reports the size as shown, and shrinks big photos while decoding', async () => {
    const stored = await sharp(await photoLike(300, 200))
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer();
    const img = await decodeImage(stored, limits);
    expect([img.width, img.height, img.channels, img.source]).toEqual([
      200,
      300,
      3,
      { format: 'jpeg', width: 200, height: 300 },
    ]);
    const shrunk = await decodeImage(stored, limits, { maxSide: 100 });
    expect([shrunk.width, shrunk.height, shrunk.source.width, shrunk.source.height]).toEqual([67, 100, 200, 300]);
    // shrinkFrom: only photos at least that big are shrunk; smaller ones come whole.
    expect((await decodeImage(stored, limits, { maxSide: 100, shrinkFrom: 400 })).height).toBe(300);
  });
});

describe('choosing the result format', () => {
  it('photos → JPEG, drawings and transparency → PNG', async () => {
    const decode = async (buf: Buffer) => decodeImage(buf, limits);
    const photo = await photoLike(400, 300);
    expect(resultFormat(await decode(photo))).toBe(JPEG);
    expect(resultFormat(await decode(await sharp(photo).jpeg().toBuffer()))).toBe(JPEG);
    expect(resultFormat(await decode(await sharp(photo).webp().toBuffer()))).toBe(JPEG);
    expect(resultFormat(await decode(await drawing()))).toBe(PNG);
    expect(resultFormat(await decode(await sharp(photo).ensureAlpha(1).png().toBuffer()))).toBe(PNG);
    // A JPEG upload is a photo (or already carries JPEG's artefacts): not counted.
    expect(
      resultFormat(
        await decode(
          await sharp(await drawing())
            .jpeg()
            .toBuffer(),
        ),
      ),
    ).toBe(JPEG);
  });

  it('counts colours with an early stop: a one-colour image is drawn, noise is not', () => {
    const n = 500 * 400;
    expect(looksDrawn(new Uint8Array(n * 3).fill(90), 3, n)).toBe(true);
    expect(
      looksDrawn(
        Uint8Array.from({ length: n * 4 }, () => Math.floor(Math.random() * 256)),
        4,
        n,
      ),
    ).toBe(false);
    expect(looksDrawn(new Uint8Array(3), 3, 1)).toBe(true);
  });
});

describe('the YuNet input tensor', () => {
  it('a reused buffer gives exactly what a fresh one gives, whatever sizes came before', async () => {
    const sizes: [number, number][] = [
      [500, 375],
      [360, 480],
      [640, 200],
      [100, 640],
      [500, 375],
    ];
    const buffer = new Float32Array(3 * 640 * 640).fill(7);
    for (const [w, h] of sizes) {
      const px = Uint8Array.from({ length: w * h * 3 }, () => Math.floor(Math.random() * 256));
      const lb = letterbox(w, h, [640, 640]);
      const reused = toInputTensor(px, w, h, 3, lb, buffer).data as Float32Array;
      const fresh = toInputTensor(px, w, h, 3, lb).data as Float32Array;
      expect(Buffer.from(reused.buffer).equals(Buffer.from(fresh.buffer))).toBe(true);
    }
  });
});
