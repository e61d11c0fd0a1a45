import { SinapsisError } from '../errors.js';
import type { JobPayload } from '../core/processor.js';
import type { JobProgress } from './types.js';
import type { TaskResult } from '../tasks/types.js';

/** What crosses between the pool and its worker threads: plain data only. */
export type ToWorker =
  | { type: 'run'; id: number; payload: JobPayload }
  | { type: 'abort'; id: number; reason: WireError }
  | { type: 'warm'; id: number; models: string[] }
  | { type: 'memory'; id: number };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; id: number; progress: JobProgress }
  | { type: 'done'; id: number; result: TaskResult }
  | { type: 'error'; id: number; error: WireError }
  | { type: 'reply'; id: number; value?: unknown; error?: WireError }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; msg: string; extra: Record<string, unknown> };

/** An error as data: a SinapsisError keeps its code and values (so its message is localized on arrival). */
export type WireError =
  | { code: SinapsisError['code']; params: Record<string, string | number> }
  | { name: string; message: string; stack?: string };

export function toWire(err: unknown): WireError {
  if (err instanceof SinapsisError) return { code: err.code, params: err.params };
  const e = err instanceof Error ? err : new Error(String(err));
  return { name: e.name, message: e.message, stack: e.stack };
}

export function fromWire(w: WireError): Error {
  if ('code' in w) return new SinapsisError(w.code, w.params);
  const e = new Error(w.message);
  e.name = w.name;
  if (w.stack) e.stack = w.stack;
  return e;
}

/** Structured cloning turns Buffers into Uint8Arrays: the receiving side makes them Buffers again, without a copy. */
export const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** Buffers whose memory can be handed over: only ones that own their whole ArrayBuffer (not a slice of Node's pool). */
export function transferable(bufs: Uint8Array[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const b of bufs)
    if (b.buffer instanceof ArrayBuffer && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength)
      out.add(b.buffer);
  return [...out];
}
