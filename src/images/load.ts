import sharp, { type Metadata, type Sharp } from 'sharp';
import type { ImageOption } from '../../commands/spec.js';
import { SinapsisError } from '../errors.js';

export interface ImageInfo {
  format: string;
  /** Size after EXIF orientation, i.e. as the user sees the photo. */
  width: number;
  height: number;
}

type Limits = Pick<ImageOption, 'formats' | 'maxBytes' | 'maxPixels'>;

// A few decoded MB at most per request: sharp's cache only helps repeated reads of one file.
sharp.cache(false);

/**
 * Checks an upload without decoding its pixels: byte size, format sniffed
 * from the content, and width × height read from the header.
 */
export async function inspectImage(buf: Buffer, limits: Limits): Promise<ImageInfo> {
  if (buf.length > limits.maxBytes) {
    throw new SinapsisError('upload_too_large', { limit: Math.round(limits.maxBytes / 1024 / 1024) });
  }
  let meta: Metadata;
  try {
    meta = await sharp(buf, { limitInputPixels: false }).metadata();
  } catch (err) {
    const msg = String((err as Error).message);
    throw new SinapsisError(
      /unsupported image format|empty|bad seek/i.test(msg) ? 'not_an_image' : 'corrupt_image',
      {},
      { cause: err },
    );
  }
  const format = String(meta.format) === 'jpg' ? 'jpeg' : String(meta.format);
  checkHeader(format, meta.width, meta.height, limits);
  const swapped = (meta.orientation ?? 1) >= 5;
  return { format, width: swapped ? meta.height : meta.width, height: swapped ? meta.width : meta.height };
}

/** The format and pixel-count limits, applied to what a header says. */
function checkHeader(
  format: string,
  width: number | undefined,
  height: number | undefined,
  limits: Limits,
): asserts width is number {
  if (!(limits.formats as readonly string[]).includes(format)) {
    throw new SinapsisError('unsupported_image_format', { format: format.toUpperCase() });
  }
  if (!width || !height) throw new SinapsisError('corrupt_image');
  if (width * height > limits.maxPixels) {
    throw new SinapsisError('image_too_many_pixels', { width, height, limit: Math.round(limits.maxPixels / 1e6) });
  }
}

/**
 * Format and stored size read from the first bytes in JS (JPEG SOF, PNG IHDR,
 * WebP VP8/VP8L/VP8X), or undefined for anything else. Saves the libvips
 * round trip of metadata() before a decode; orientation is not needed for
 * the checks (pixel count and long side do not change with it).
 */
export function peekHeader(b: Buffer): { format: 'jpeg' | 'png' | 'webp'; width: number; height: number } | undefined {
  if (
    b.length >= 24 &&
    b.readUInt32BE(0) === 0x89504e47 &&
    b.readUInt32BE(4) === 0x0d0a1a0a &&
    b.toString('latin1', 12, 16) === 'IHDR'
  ) {
    return { format: 'png', width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  }
  if (b.length >= 30 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') {
    const chunk = b.toString('latin1', 12, 16);
    if (chunk === 'VP8 ')
      return { format: 'webp', width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
    if (chunk === 'VP8L' && b[20] === 0x2f) {
      const bits = b.readUInt32LE(21);
      return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    if (chunk === 'VP8X') return { format: 'webp', width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
    return undefined;
  }
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const m = b[i + 1]!;
    if (m === 0xff) {
      i++;
      continue;
    }
    // Start-of-frame markers (not DHT C4, JPG C8, DAC CC) carry height then width.
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc)
      return { format: 'jpeg', height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    if (m === 0xda || m === 0xd9) return undefined;
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) i += 2;
    else i += 2 + b.readUInt16BE(i + 2);
  }
  return undefined;
}

export interface DecodedImage {
  /** Interleaved 8-bit sRGB pixels: 3 channels, or 4 when the file has alpha (grey files come out as RGB too). */
  data: Buffer;
  width: number;
  height: number;
  channels: number;
  /** The photo as the user sees it (EXIF-oriented), before any downscale. */
  source: ImageInfo;
}

/**
 * Checks and decodes an upload in one libvips call: the header is read in JS
 * (falling back to inspectImage when it is not recognised, which also gives
 * the precise error), then the pixels are decoded, EXIF-rotated and, when the
 * long side is over `maxSide` (and `shrinkFrom`, when given), downscaled with
 * JPEG/WebP shrink-on-load (a 12 MP photo is decoded at a half or a quarter of
 * its size, not in full).
 */
export async function decodeImage(
  buf: Buffer,
  limits: Limits,
  opts: { maxSide?: number; shrinkFrom?: number } = {},
): Promise<DecodedImage> {
  if (buf.length > limits.maxBytes) {
    throw new SinapsisError('upload_too_large', { limit: Math.round(limits.maxBytes / 1024 / 1024) });
  }
  const head = peekHeader(buf);
  let known: ImageInfo | undefined;
  if (head) checkHeader(head.format, head.width, head.height, limits);
  else known = await inspectImage(buf, limits);
  const stored = head ?? known!;
  let image = openImage(buf, limits);
  const max = opts.maxSide;
  if (max && Math.max(stored.width, stored.height) > Math.max(max, opts.shrinkFrom ?? 0))
    image = image.resize({ width: max, height: max, fit: 'inside' });
  const { data, info } = await decodeOrRefuse(image.raw().toBuffer({ resolveWithObject: true }));
  let source = known;
  if (!source) {
    // The header's size is as stored; the decoded shape says whether EXIF turned it by 90°.
    const turned = info.width !== info.height && info.width > info.height !== head!.width > head!.height;
    source = {
      format: head!.format,
      width: turned ? head!.height : head!.width,
      height: turned ? head!.width : head!.height,
    };
  }
  return { data, width: info.width, height: info.height, channels: info.channels, source };
}

/**
 * A sharp pipeline over an inspected image, EXIF-rotated. Decoding fails
 * loudly on truncated or damaged data instead of returning grey pixels.
 */
export function openImage(buf: Buffer, limits: Limits): Sharp {
  return sharp(buf, { limitInputPixels: limits.maxPixels, failOn: 'warning' }).rotate();
}

/** Awaits a decode; damaged pixel data becomes the user-facing `corrupt_image` refusal. */
export async function decodeOrRefuse<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof SinapsisError) throw err;
    throw new SinapsisError('corrupt_image', {}, { cause: err });
  }
}
