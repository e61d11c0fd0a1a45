import { Redis, type RedisOptions } from 'ioredis';
import { SinapsisError } from '../errors.js';

/**
 * A Redis client for the queue. `blocking` clients (BullMQ workers and event readers) wait for
 * Redis to come back; the others fail at once while it is gone, so a submit is refused with
 * `queue_unavailable` instead of hanging.
 */
export function openRedis(url: string, opts: { blocking?: boolean } = {}): Redis {
  const options: RedisOptions = opts.blocking
    ? { maxRetriesPerRequest: null }
    : { maxRetriesPerRequest: 1, enableOfflineQueue: false };
  const client = new Redis(url, {
    ...options,
    // Reconnect for ever, at most every 2 s: the process recovers when Redis comes back.
    retryStrategy: (times) => Math.min(100 * times, 2_000),
  });
  // Connection errors are reported by the calls that fail; the client keeps reconnecting.
  client.on('error', () => undefined);
  return client;
}

/**
 * At start: Redis answers within `timeoutMs`, or a clear error naming the setting (the process
 * then exits non-zero instead of serving requests it cannot queue).
 */
export async function assertRedisReachable(url: string, timeoutMs = 5_000): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    throw new Error(
      `Redis at SINAPSIS_REDIS_URL (${redactUrl(url)}) is unreachable: ${(err as Error).message}. ` +
        'Start Redis or fix SINAPSIS_REDIS_URL (unset it to run the queue in this process).',
    );
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** A failure talking to Redis becomes the localized "busy, try again" refusal; anything else passes through. */
export function unavailable(err: unknown): unknown {
  if (err instanceof SinapsisError) return err;
  return new SinapsisError('queue_unavailable', {}, { cause: err });
}
