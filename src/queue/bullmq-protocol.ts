import { SinapsisError, type ErrorCode } from '../errors.js';

/**
 * What the adapters (BullmqQueue) and the workers (startBullmqWorker) agree on in Redis, so
 * either side can run on another machine or another version of this file's neighbours.
 */
export const QUEUE_NAME = 'jobs';

/** Who a job belongs to, kept in its BullMQ name: counting a queue of 100 jobs reads 100 short strings. */
export interface JobMeta {
  user: string;
  server: string;
  kind: string;
}

export function encodeMeta(m: JobMeta): string {
  return JSON.stringify([m.kind, m.server, m.user]);
}

export function decodeMeta(name: string | null | undefined): JobMeta | undefined {
  try {
    const [kind, server, user] = JSON.parse(name ?? '') as string[];
    return typeof user === 'string' ? { user, server: server ?? '', kind: kind ?? '' } : undefined;
  } catch {
    return undefined;
  }
}

/** Workers listen here for the ids of running jobs to abort. */
export const cancelChannel = (prefix: string) => `${prefix}:cancel`;
/** Set with a TTL as well as published: a worker that takes the job up just after still sees it. */
export const cancelKey = (prefix: string, id: string) => `${prefix}:cancelled:${id}`;

const MARK = 'sinapsis:';
/** BullMQ keeps a failure as a string: a SinapsisError travels as its code and params. */
export function encodeError(err: SinapsisError): string {
  return MARK + JSON.stringify({ code: err.code, params: err.params });
}

/** BullMQ's own reason when a job's worker died twice (maxStalledCount reached). */
const STALLED = /stalled more than allowable limit/;

export function decodeError(reason: string | undefined): SinapsisError {
  if (reason?.startsWith(MARK)) {
    try {
      const { code, params } = JSON.parse(reason.slice(MARK.length)) as {
        code: ErrorCode;
        params?: Record<string, string | number>;
      };
      return new SinapsisError(code, params ?? {});
    } catch {
      // fall through: an unreadable reason is an internal error
    }
  }
  if (reason && STALLED.test(reason)) return new SinapsisError('worker_lost');
  return new SinapsisError('internal', {}, { cause: new Error(reason ?? 'job failed') });
}
