import { randomBytes } from 'node:crypto';
import { peekHeader } from '../../images/load.js';
import type { ResultImage, TaskResult } from '../../tasks/types.js';

/** How long a result image stays downloadable, and how many bytes all of them may hold. */
export const RESULT_TTL_MS = 30 * 60 * 1000;
const MAX_BYTES = 256 * 1024 * 1024;

interface Stored {
  image: ResultImage;
  expires: number;
}

/**
 * Result images kept in memory for a short while, each behind an
 * unguessable id (128 random bits), so pages and API clients fetch them by
 * URL instead of carrying base64 in JSON. Oldest go first when full.
 */
export class ResultStore {
  private readonly items = new Map<string, Stored>();
  private bytes = 0;

  constructor(
    private readonly ttlMs = RESULT_TTL_MS,
    private readonly maxBytes = MAX_BYTES,
    private readonly now = () => Date.now(),
  ) {}

  put(image: ResultImage): string {
    this.sweep();
    const id = randomBytes(16).toString('base64url');
    this.items.set(id, { image, expires: this.now() + this.ttlMs });
    this.bytes += image.data.length;
    // Map iteration is insertion order: the first entries are the oldest.
    for (const [old, s] of this.items) {
      if (this.bytes <= this.maxBytes || old === id) break;
      this.drop(old, s);
    }
    return id;
  }

  get(id: string): ResultImage | undefined {
    const s = this.items.get(id);
    if (!s) return undefined;
    if (s.expires <= this.now()) {
      this.drop(id, s);
      return undefined;
    }
    return s.image;
  }

  private drop(id: string, s: Stored) {
    this.items.delete(id);
    this.bytes -= s.image.data.length;
  }

  private sweep() {
    const now = this.now();
    for (const [id, s] of this.items) if (s.expires <= now) this.drop(id, s);
  }
}

export interface ImageJson {
  name: string;
  mime: string;
  alt: string;
  /** Short-lived (RESULT_TTL_MS) URL of the image. */
  url: string;
  /** Same image, served as a file download. */
  download: string;
  /** For showing on a page: a JPEG when that is much lighter than the PNG, else the same image. */
  preview: string;
  width?: number;
  height?: number;
  /** Only with ?inline=1 (the API's old shape). */
  base64?: string;
}

/** A PNG's size from its header (lets the page reserve the picture's space before it loads). */
/** Pixel size from the file's header (PNG or JPEG), so the page can reserve the picture's space before it loads. */
function imageSize(data: Buffer): { width?: number; height?: number } {
  const h = peekHeader(data);
  return h ? { width: h.width, height: h.height } : {};
}

/** The JSON every web client gets for a result: images by URL, base64 only when asked for. */
export function resultJson(result: TaskResult, store: ResultStore, inline: boolean) {
  return {
    text: result.text,
    data: result.data,
    images: result.images.map((i): ImageJson => {
      const id = store.put(i);
      const url = `/r/${id}/${encodeURIComponent(i.name)}`;
      return {
        name: i.name,
        mime: i.mime,
        alt: i.alt,
        url,
        download: `${url}?download=1`,
        preview: `${url}?preview=1`,
        ...imageSize(i.data),
        ...(inline ? { base64: i.data.toString('base64') } : {}),
      };
    }),
    // Buttons the page shows under the answer (/explain's "Más simple", …): each fills the form with its options and runs it.
    ...(result.followUps?.length ? { follow_ups: result.followUps } : {}),
    model: result.model,
    timings: result.timings,
  };
}
