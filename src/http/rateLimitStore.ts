// Where the POST rate limit counts: Redis when REDIS_URL is set, else PostgreSQL when the app keeps its state
// there, else this process's memory (SQLite means one process). Counting is rate-limiter-flexible's: a fixed
// window per key, opened by the key's first request.
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { errorMessage } from '../errors.js';
import { PostgresStorage } from '../storage/postgres/PostgresStorage.js';
import type { Storage } from '../storage/Storage.js';

export type RateLimitDecision = { allowed: true } | { allowed: false; msBeforeNext: number };

export interface RateLimitStore {
  /** Requests one key may make per window. */
  readonly points: number;
  readonly windowSeconds: number;
  /** Where it counts, for the start log: never a password. */
  readonly description: string;
  /** Counts one request of `key`. Never rejects: a store that cannot count hands the request to the fallback. */
  take(key: string): Promise<RateLimitDecision>;
  /** Closes the store's own connection (Redis) and timers; PostgreSQL's pool is the app's and closes with it. */
  close(): Promise<void>;
}

export interface RateLimitStoreOptions {
  points: number;
  /** Whole seconds: Redis expires its keys by the second. */
  windowSeconds: number;
  redisUrl?: string;
  /** The app's storage: on PostgreSQL the counters live in a table of its schema, on its pool. */
  storage?: Storage;
  log: Logger;
  /** Starts every key: two deployments (or test runs) sharing one Redis keep apart by it. */
  keyPrefix?: string;
}

/** The counters' table in the app's schema; rate-limiter-flexible creates it (`key`, `points`, `expire`). */
export const RATE_LIMIT_TABLE = 'rate_limits';
/** A Redis that hangs costs a POST at most this much before it is counted in memory instead. */
const REDIS_COMMAND_TIMEOUT_MS = 1000;
/** How long the start waits for Redis before serving with the in-memory fallback. */
const REDIS_START_WAIT_MS = 2000;
/** How often the PostgreSQL table drops rows whose window ended an hour ago (rate-limiter-flexible's own rhythm). */
const CLEANUP_EVERY_MS = 5 * 60_000;

interface LimiterShape {
  points: number;
  duration: number;
  keyPrefix: string;
  inMemoryBlockOnConsumed: number;
}

export async function openRateLimitStore(options: RateLimitStoreOptions): Promise<RateLimitStore> {
  const { points, windowSeconds, log, keyPrefix = 'paybus:post' } = options;
  if (!Number.isInteger(windowSeconds) || windowSeconds < 1) throw new Error('the rate limit window must be a whole number of seconds, at least 1');
  // A client over its budget is refused from memory for the rest of its window, without asking the store again.
  const shape: LimiterShape = { points, duration: windowSeconds, keyPrefix, inMemoryBlockOnConsumed: points + 1 };
  if (options.redisUrl) return openRedis(options.redisUrl, shape, log);
  if (options.storage instanceof PostgresStorage) return openPostgres(options.storage, shape, log);
  return memoryRateLimitStore({ points, windowSeconds });
}

async function openRedis(url: string, shape: LimiterShape, log: Logger): Promise<RateLimitStore> {
  const redis = new Redis(url, {
    lazyConnect: true,
    // A command while Redis is away fails at once (and the request is counted in memory) instead of waiting for it.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectionName: 'paybus',
  });
  const where = `Redis ${describeRedisUrl(url)}`;
  const health = new StoreHealth(log, where);
  // ioredis reports each failed (re)connection here and goes on trying; without a listener it would print them.
  redis.on('error', (error: unknown) => health.failed(error));
  redis.on('ready', () => health.recovered());
  const limiter = new RateLimiterRedis({ ...shape, storeClient: redis, rejectIfRedisNotReady: true });
  const answered = redis.connect().then(
    () => true,
    () => false,
  );
  if (!(await Promise.race([answered, delay(REDIS_START_WAIT_MS, false, { ref: false })])) && !health.failing) {
    log.warn(`POST rate limit: ${where} does not answer yet; counting in this process until it does`);
  }
  return store(shape, where, limiter, health, async () => {
    redis.disconnect();
  });
}

async function openPostgres(storage: PostgresStorage, shape: LimiterShape, log: Logger): Promise<RateLimitStore> {
  const limiter = await storage.withLock('migrations', () => postgresLimiter(storage, shape));
  const where = `PostgreSQL table ${storage.schema}.${RATE_LIMIT_TABLE}`;
  // rate-limiter-flexible's own cleanup timer outlives a closed pool; this one stops with the app.
  const cleanup = setInterval(() => void clearExpired(limiter, Date.now() - 3_600_000), CLEANUP_EVERY_MS).unref();
  return store(shape, where, limiter, new StoreHealth(log, where), async () => clearInterval(cleanup));
}

/** Counts in this process only: right for one process on SQLite, and for tests of the HTTP behaviour. */
export function memoryRateLimitStore({ points, windowSeconds }: { points: number; windowSeconds: number }): RateLimitStore {
  const limiter = new RateLimiterMemory({ points, duration: windowSeconds });
  return {
    points,
    windowSeconds,
    description: "this process's memory",
    take: (key) => limiter.consume(key).then(allowed, refusedOr(() => ({ allowed: true }))),
    close: async () => {},
  };
}

function store(shape: LimiterShape, description: string, limiter: RateLimiterAbstract, health: StoreHealth, close: () => Promise<void>): RateLimitStore {
  // While the shared store cannot count, each replica counts on its own: the budget grows to one per replica, as it
  // was before the store was shared, but a flood is still held back and no POST fails for the limiter's sake.
  const fallback = new RateLimiterMemory({ points: shape.points, duration: shape.duration });
  return {
    points: shape.points,
    windowSeconds: shape.duration,
    description,
    take: (key) =>
      limiter.consume(key).then(
        (res) => {
          health.recovered();
          return allowed(res);
        },
        refusedOr((error) => {
          health.failed(error);
          return fallback.consume(key).then(allowed, refusedOr(() => ({ allowed: true })));
        }),
      ),
    close,
  };
}

function allowed(_res: RateLimiterRes): RateLimitDecision {
  return { allowed: true };
}

/** rate-limiter-flexible rejects with a RateLimiterRes when over budget, and with an Error when the store failed. */
function refusedOr(onError: (error: unknown) => RateLimitDecision | Promise<RateLimitDecision>) {
  return (rejection: unknown): RateLimitDecision | Promise<RateLimitDecision> =>
    rejection instanceof RateLimiterRes ? { allowed: false, msBeforeNext: rejection.msBeforeNext } : onError(rejection);
}

/**
 * On the app's pool, in the app's schema (named, not left to search_path). Its statements are named
 * `rate_limits:rlflx-…`, apart from paybus's own `paybus_N`, so both prepare on the same connections.
 * Created under the migrations lock, so replicas starting together do not race to create it.
 */
function postgresLimiter(storage: PostgresStorage, shape: LimiterShape): Promise<RateLimiterPostgres> {
  return new Promise((resolve, reject) => {
    const limiter: RateLimiterPostgres = new RateLimiterPostgres(
      { ...shape, storeClient: storage.pool, storeType: 'pool', schemaName: storage.schema, tableName: RATE_LIMIT_TABLE, clearExpiredByTimeout: false },
      (error?: unknown) => (error ? reject(new Error(`cannot create the rate limit table: ${errorMessage(error)}`)) : resolve(limiter)),
    );
  });
}

/** rate-limiter-flexible's own cleanup (not in its typings); it never rejects. */
function clearExpired(limiter: RateLimiterPostgres, before: number): Promise<void> {
  return (limiter as unknown as { clearExpired(expire: number): Promise<void> }).clearExpired(before);
}

/** Logs a failing store without flooding the log: the first failure, then one a minute while it lasts, and the end. */
class StoreHealth {
  private failingSince: number | undefined;
  private lastWarning = 0;
  private quiet = 0;

  constructor(
    private readonly log: Logger,
    private readonly where: string,
    private readonly everyMs = 60_000,
  ) {}

  get failing(): boolean {
    return this.failingSince !== undefined;
  }

  failed(error: unknown): void {
    const now = Date.now();
    this.failingSince ??= now;
    if (now - this.lastWarning < this.everyMs) {
      this.quiet++;
      return;
    }
    this.log.warn(
      { failingForMs: now - this.failingSince, failuresNotLogged: this.quiet },
      `POST rate limit: ${this.where} cannot count (${errorMessage(error)}); counting in this process until it can`,
    );
    this.lastWarning = now;
    this.quiet = 0;
  }

  recovered(): void {
    if (this.failingSince === undefined) return;
    this.log.info({ failedForMs: Date.now() - this.failingSince }, `POST rate limit: ${this.where} counts again`);
    this.failingSince = undefined;
    this.lastWarning = 0;
    this.quiet = 0;
  }
}

/** host:port/db, never the user or password. */
function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol === 'rediss:' ? 'rediss://' : ''}${u.hostname || 'localhost'}:${u.port || 6379}${u.pathname.length > 1 ? u.pathname : ''}`;
  } catch {
    return '(unparsable REDIS_URL)';
  }
}
