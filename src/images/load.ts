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
    throw new SinapsisError(/unsupported image format|empty|bad seek/i.test(msg) ? 'not_an_image' : 'corrupt_image', {}, { cause: err });
  }
  const format = String(meta.format) === 'jpg' ? 'jpeg' : String(meta.format);
  if (!(limits.formats as readonly string[]).includes(format)) {
    throw new SinapsisError('unsupported_image_format', { format: format.toUpperCase() });
  }
  if (!meta.width || !meta.height) throw new SinapsisError('corrupt_image');
  if (meta.width * meta.height > limits.maxPixels) {
    throw new SinapsisError('image_too_many_pixels', {
      width: meta.width,
      height: meta.height,
      limit: Math.round(limits.maxPixels / 1e6),
    });
  }
  const swapped = (meta.orientation ?? 1) >= 5;
  return { format, width: swapped ? meta.height : meta.width, height: swapped ? meta.width : meta.height };
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

/** @deprecated The old name of `decodeOrRefuse`, kept only so branches written against it still merge. */
export const decoding = decodeOrRefuse;
