import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, it } from 'vitest';

/** The development and CI machines run Redis here (see DEVELOPERS.md). */
export const REDIS_URL = 'redis://127.0.0.1:6379';
const STRICT = process.env.SINAPSIS_NO_SKIP === '1';

async function up(url: string): Promise<boolean> {
  const c = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return (await c.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

export const redisUp = await up(REDIS_URL);

/** A key prefix of this test file's own: parallel test files never see each other's jobs. */
export const testPrefix = (name: string) => `test-${name}-${randomUUID().slice(0, 8)}`;

/** Deletes every key under a prefix (what a test left in the shared Redis). */
export async function dropPrefix(prefix: string) {
  const c = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  c.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await c.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await c.del(...keys);
    } while (cursor !== '0');
  } finally {
    c.disconnect();
  }
}

/** A describe block that needs Redis: says so and skips when it is absent, fails under SINAPSIS_NO_SKIP=1. */
export function describeRedis(name: string, fn: () => void) {
  if (redisUp) return describe(name, fn);
  const why = `needs Redis at ${REDIS_URL} (start redis-server)`;
  if (STRICT)
    return describe(name, () =>
      it('has Redis', () => {
        throw new Error(why);
      }),
    );
  console.warn(`SKIPPED "${name}": ${why}`);
  return describe.skip(name, fn);
}
