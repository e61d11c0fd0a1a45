import sharp, { type Sharp } from 'sharp';
import type { Face } from '../models/yunet.js';
import { JPEG_QUALITY, PNG, type ResultFormat } from './encode.js';

/** Result images are capped so they stay well under chat upload limits. */
export const MAX_OUTPUT_SIDE = 1600;

const PALETTE = ['#ff3b30', '#34c759', '#0a84ff', '#ffcc00', '#af52de', '#ff9500', '#5ac8fa', '#ff2d55'];

// 3×5 bitmap digits, drawn as rectangles so labels need no system fonts.
const DIGITS = ['111101101101111', '010110010010111', '111001111100111', '111001111001111', '101101111001001',
  '111100111001111', '111100111101111', '111001001001001', '111101111101111', '111101111001111'];

function digitRects(text: string, x: number, y: number, u: number): string {
  let out = '';
  [...text].forEach((ch, i) => {
    const bits = DIGITS[Number(ch)]!;
    for (let k = 0; k < 15; k++) {
      if (bits[k] === '1') out += `<rect x="${x + i * 4 * u + (k % 3) * u}" y="${y + Math.floor(k / 3) * u}" width="${u}" height="${u}"/>`;
    }
  });
  return out;
}

function overlaySvg(faces: Face[], width: number, height: number, k: number): string {
  const side = Math.min(width, height);
  const stroke = Math.max(2, Math.round(side / 250));
  const u = Math.max(3, Math.round(side / 120));
  const parts = faces.map((f, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const [x, y, w, h] = f.box.map((v) => v * k) as [number, number, number, number];
    const label = String(i + 1);
    const lw = label.length * 4 * u + u;
    const lh = 7 * u;
    const ly = y - lh >= 0 ? y - lh : y;
    const dots = f.landmarks
      .map(([lx, lyy]) => `<circle cx="${lx * k}" cy="${lyy * k}" r="${stroke * 1.2}" fill="${color}"/>`)
      .join('');
    return (
      `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${color}" stroke-width="${stroke}"/>` +
      `<rect x="${x}" y="${ly}" width="${lw}" height="${lh}" fill="${color}"/>` +
      `<g fill="#ffffff">${digitRects(label, x + u, ly + u, u)}</g>${dots}`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

async function baseImage(image: Sharp, width: number, height: number) {
  const k = Math.min(1, MAX_OUTPUT_SIDE / Math.max(width, height));
  const w = Math.round(width * k);
  const h = Math.round(height * k);
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
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).removeAlpha().png().toBuffer();
}

/** The photo with a numbered box and five landmarks per face, as JPEG or PNG. */
export async function drawFaces(image: Sharp, width: number, height: number, faces: Face[], format: ResultFormat = PNG): Promise<Buffer> {
  const { raw, w, h, k } = await baseImage(image, width, height);
  return finish(sharp(raw, { raw: { width: w, height: h, channels: 3 } }).composite([{ input: Buffer.from(overlaySvg(faces, w, h, k)), top: 0, left: 0 }]), format);
}

/** The photo with every face (plus a margin) pixelated and blurred beyond recognition, as JPEG or PNG. */
export async function blurFaces(image: Sharp, width: number, height: number, faces: Face[], format: ResultFormat = PNG): Promise<Buffer> {
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
      const small = await src().extract({ left, top, width, height }).resize(Math.max(1, Math.round(width / cells)), Math.max(1, Math.round(height / cells)), { fit: 'fill' }).png().toBuffer();
      const input = await sharp(small).resize(width, height, { kernel: 'nearest', fit: 'fill' }).blur(Math.max(1, cells / 2)).png().toBuffer();
      return { input, left, top };
    }),
  );
  return finish(src().composite(patches.filter((p) => p !== undefined)), format);
}
