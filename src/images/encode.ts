// Result pictures: JPEG for photos (a tenth of the PNG's size, encoded several
// times faster), PNG where JPEG would spoil them: an upload with transparency,
// or a drawing (diagram, screenshot, line art), whose flat colours and hard
// edges JPEG rings around.
import type { Sharp } from 'sharp';
import type { DecodedImage } from './load.js';

export const JPEG_QUALITY = 85;

export interface ResultFormat {
  format: 'jpeg' | 'png';
  ext: 'jpg' | 'png';
  mime: 'image/jpeg' | 'image/png';
}

export const JPEG: ResultFormat = { format: 'jpeg', ext: 'jpg', mime: 'image/jpeg' };
export const PNG: ResultFormat = { format: 'png', ext: 'png', mime: 'image/png' };

const SAMPLES = 16384;
/** Distinct colours per sampled pixel below which a picture counts as drawn: photos sit far above (sensor noise). */
const DRAWN_RATIO = 0.15;

/**
 * Whether 8-bit pixels look drawn rather than photographed: few distinct
 * colours among up to 16 384 evenly spread pixels. Stops counting as soon as
 * the answer is known, so a photo costs a few thousand look-ups.
 */
export function looksDrawn(px: Uint8Array, channels: number, pixels: number): boolean {
  const step = Math.max(1, Math.floor(pixels / SAMPLES));
  const samples = Math.ceil(pixels / step);
  const limit = Math.max(2, Math.floor(samples * DRAWN_RATIO));
  // Open addressing over colour+1 (0 = empty); twice the samples keeps probes short.
  const table = new Uint32Array(2 * SAMPLES);
  const mask = table.length - 1;
  let distinct = 0;
  for (let i = 0; i < pixels; i += step) {
    const p = i * channels;
    const key = ((px[p]! << 16) | (px[p + 1]! << 8) | px[p + 2]!) + 1;
    let h = Math.imul(key, 0x9e3779b1) >>> 17;
    for (;;) {
      const slot = h & mask;
      const v = table[slot]!;
      if (v === key) break;
      if (v === 0) {
        table[slot] = key;
        if (++distinct >= limit) return false;
        break;
      }
      h++;
    }
  }
  return true;
}

/**
 * The format for a picture made from an upload: PNG when the upload had an
 * alpha channel or is a PNG/WebP that looks drawn, else JPEG. JPEG uploads are
 * photos (or already carry JPEG's artefacts), so their pixels are not counted.
 */
export function resultFormat(
  img: Pick<DecodedImage, 'data' | 'width' | 'height' | 'channels' | 'source'>,
): ResultFormat {
  if (img.channels === 4 || img.channels === 2) return PNG;
  if (img.source.format === 'jpeg') return JPEG;
  return looksDrawn(img.data, img.channels, img.width * img.height) ? PNG : JPEG;
}

/** Ends a sharp pipeline in the chosen format; PNG output is RGB (no alpha) unless the pipeline keeps one. */
export function encodeAs(image: Sharp, f: ResultFormat): Promise<Buffer> {
  return (f.format === 'jpeg' ? image.jpeg({ quality: JPEG_QUALITY }) : image.png()).toBuffer();
}
