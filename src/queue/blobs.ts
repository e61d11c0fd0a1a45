import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { SinapsisError } from '../errors.js';

/** How a Buffer travels in job data, results and events: a Redis key, never its bytes. */
interface BlobRef {
  $blob: string;
}

function isRef(v: unknown): v is BlobRef {
  return typeof v === 'object' && v !== null && typeof (v as BlobRef).$blob === 'string';
}

/**
 * Images travel by reference: every Buffer inside `value` is stored as its own Redis key that
 * expires after `ttlMs`, and replaced by `{ $blob: key }`. Job data, return values and the events
 * stream then carry a few bytes per image instead of megabytes of JSON.
 */
export async function putBlobs<T>(redis: Redis, prefix: string, value: T, ttlMs: number): Promise<unknown> {
  const writes: [string, Buffer][] = [];
  const walk = (v: unknown): unknown => {
    if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
      const key = `${prefix}:blob:${randomUUID()}`;
      writes.push([key, Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength)]);
      return { $blob: key } satisfies BlobRef;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const out = walk(value);
  if (writes.length) {
    const multi = redis.multi();
    for (const [key, data] of writes) multi.set(key, data, 'PX', Math.max(1, Math.round(ttlMs)));
    const res = await multi.exec();
    for (const [err] of res ?? []) if (err) throw err;
  }
  return out;
}

/** The inverse of `putBlobs`: every `{ $blob }` back to its bytes; a key that expired is `job_gone`. */
export async function getBlobs<T>(redis: Redis, value: unknown): Promise<T> {
  const keys = blobKeys(value);
  const found = new Map<string, Buffer>();
  if (keys.length) {
    const bufs = await redis.mgetBuffer(...keys);
    keys.forEach((k, i) => {
      const b = bufs[i];
      if (!b) throw new SinapsisError('job_gone');
      found.set(k, b);
    });
  }
  const walk = (v: unknown): unknown => {
    if (isRef(v)) return found.get(v.$blob);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** Every blob key inside an encoded value (to delete them once they are read for the last time). */
export function blobKeys(value: unknown): string[] {
  const keys: string[] = [];
  const collect = (v: unknown) => {
    if (isRef(v)) keys.push(v.$blob);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object') Object.values(v).forEach(collect);
  };
  collect(value);
  return keys;
}
