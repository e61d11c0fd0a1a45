import sharp, { type Sharp } from 'sharp';
import type { Face } from '../models/yunet.js';
import { JPEG_QUALITY, PNG, type ResultFormat } from './encode.js';

/** Result images are capped so they stay well under chat upload limits. */
export const MAX_OUTPUT_SIDE = 1600;

const PALETTE = ['#ff3b30', '#34c759', '#0a84ff', '#ffcc00', '#af52de', '#ff9500', '#5ac8fa', '#ff2d55'];

// 3×5 bitmap digits, drawn as rectangles so labels need no system fonts.
const DIGITS = [
  '111101101101111',
  '010110010010111',
  '111001111100111',
  '111001111001111',
  '101101111001001',
  '111100111001111',
  '111100111101111',
  '111001001001001',
  '111101111101111',
  '111101111001111',
];

function digitRects(text: string, x: number, y: number, u: number): string {
  let out = '';
  [...text].forEach((ch, i) => {
    const bits = DIGITS[Number(ch)]!;
    for (let k = 0; k < 15; k++) {
      if (bits[k] === '1')
        out += `<rect x="${x + i * 4 * u + (k % 3) * u}" y="${y + Math.floor(k / 3) * u}" width="${u}" height="${u}"/>`;
    }
  });
  return out;
}

type Rect = [number, number, number, number];
const overlaps = (a: Rect, b: Rect) =>
  a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];

/**
 * Where each face's number goes (x, y, w, h) and its bit size: the number
 * shrinks with its face (about half the box height, 2 px per bit at least) and
 * sits above the box, else inside its top, else below it, else above its right
 * corner: the first spot no earlier number covers.
 */
export function labelSpots(faces: Face[], width: number, height: number, k: number): { rect: Rect; u: number }[] {
  const uMax = Math.max(3, Math.round(Math.min(width, height) / 120));
  const placed: Rect[] = [];
  return faces.map((f, i) => {
    const [x, y, w, h] = f.box.map((v) => v * k) as Rect;
    const u = Math.max(2, Math.min(uMax, Math.floor((h * 0.5) / 7)));
    const lw = String(i + 1).length * 4 * u + u;
    const lh = 7 * u;
    const spots = (
      [
        [x, y - lh, lw, lh],
        [x, y, lw, lh],
        [x, y + h, lw, lh],
        [x + w - lw, y - lh, lw, lh],
      ] as Rect[]
    ).filter(([sx, sy]) => sy >= 0 && sy + lh <= height && sx >= 0 && sx + lw <= width);
    const rect =
      spots.find((r) => !placed.some((p) => overlaps(r, p))) ?? spots[0] ?? ([x, Math.max(0, y), lw, lh] as Rect);
    placed.push(rect);
    return { rect, u };
  });
}

function overlaySvg(faces: Face[], width: number, height: number, k: number): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 250));
  const spots = labelSpots(faces, width, height, k);
  const parts = faces.map((f, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const [x, y, w, h] = f.box.map((v) => v * k) as Rect;
    const {
      rect: [lx, ly, lw, lh],
      u,
    } = spots[i]!;
    const dots = f.landmarks
      .map(([px, py]) => `<circle cx="${px * k}" cy="${py * k}" r="${stroke * 1.2}" fill="${color}"/>`)
      .join('');
    return (
      `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${color}" stroke-width="${stroke}"/>` +
      `<rect x="${lx}" y="${ly}" width="${lw}" height="${lh}" fill="${color}"/>` +
      `<g fill="#ffffff">${digitRects(String(i + 1), lx + u, ly + u, u)}</g>${dots}`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

async function baseImage(image: Sharp, width: number, height: number) {
  const k = Math.min(1, MAX_OUTPUT_SIDE / Math.max(width, height));
  // A 1×100000 strip scaled to 1600 long would round its short side to 0.
  const w = Math.max(1, Math.round(width * k));
  const h = Math.max(1, Math.round(height * k));
  const raw = await (k < 1 ? image.resize(w, h) : image).removeAlpha().raw().toBuffer();
  return { raw, w, h, k };
}

/**
 * Compositing adds an alpha channel; the photo has none, so the PNG should not
 * either. JPEG has no alpha: one pass, no detour through raw pixels.
 */
async function finish(img: Sharp, format: ResultFormat): Promise<Buffer> {
  if (format.format === 'jpeg') return img.jpeg({ quality: JPEG_QUALITY }).toBuffer();
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .removeAlpha()
    .png()
    .toBuffer();
}

/** The photo with a numbered box and five landmarks per face, as JPEG or PNG. */
export async function drawFaces(
  image: Sharp,
  width: number,
  height: number,
  faces: Face[],
  format: ResultFormat = PNG,
): Promise<Buffer> {
  const { raw, w, h, k } = await baseImage(image, width, height);
  return finish(
    sharp(raw, { raw: { width: w, height: h, channels: 3 } }).composite([
      { input: Buffer.from(overlaySvg(faces, w, h, k)), top: 0, left: 0 },
    ]),
    format,
  );
}

/** The photo with every face (plus a margin) pixelated and blurred beyond recognition, as JPEG or PNG. */
export async function blurFaces(
  image: Sharp,
  width: number,
  height: number,
  faces: Face[],
  format: ResultFormat = PNG,
): Promise<Buffer> {
  const { raw, w, h, k } = await baseImage(image, width, height);
  const src = () => sharp(raw, { raw: { width: w, height: h, channels: 3 } });
  const patches = await Promise.all(
    faces.map(async (f) => {
      const [x, y, bw, bh] = f.box.map((v) => v * k) as [number, number, number, number];
      const left = Math.max(0, Math.floor(x - bw * 0.15));
      const top = Math.max(0, Math.floor(y - bh * 0.15));
      const width = Math.min(w - left, Math.ceil(bw * 1.3));
      const height = Math.min(h - top, Math.ceil(bh * 1.3));
      if (width < 1 || height < 1) return undefined;
      const cells = Math.max(1, Math.round(Math.max(width, height) / 8));
      const small = await src()
        .extract({ left, top, width, height })
        .resize(Math.max(1, Math.round(width / cells)), Math.max(1, Math.round(height / cells)), { fit: 'fill' })
        .png()
        .toBuffer();
      const input = await sharp(small)
        .resize(width, height, { kernel: 'nearest', fit: 'fill' })
        .blur(Math.max(1, cells / 2))
        .png()
        .toBuffer();
      return { input, left, top };
    }),
  );
  return finish(src().composite(patches.filter((p) => p !== undefined)), format);
}
