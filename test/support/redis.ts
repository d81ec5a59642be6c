// Redis for the tests: is it there, a skip (a failure on CI) when it is not, and removing a test's keys.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A client that gives up at once instead of retrying: the tests want an answer, not a wait. */
function client(): Redis {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  redis.on('error', () => {});
  return redis;
}

export async function redisAvailable(): Promise<boolean> {
  const redis = client();
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** In a `before` hook: skips the suite when Redis does not answer, or fails it when CI=true. */
export async function requireRedis(context: Mocha.Context): Promise<void> {
  if (await redisAvailable()) return;
  const u = new URL(TEST_REDIS_URL);
  const reason = `Redis does not answer at ${u.hostname}:${u.port || 6379} (set TEST_REDIS_URL)`;
  if (process.env.CI === 'true') throw new Error(`${reason}; CI=true requires it`);
  console.log(`      skipped: ${reason}`);
  context.skip();
}

/** A key prefix no other test or run uses, so runs sharing one Redis do not count into each other's budgets. */
export function uniqueKeyPrefix(): string {
  return `paybus-test-${randomBytes(6).toString('hex')}`;
}

/** Deletes the keys under `prefix` (they would expire with their window anyway). */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = client();
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 100);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
