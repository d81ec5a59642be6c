// Reads and validates the environment once at start; a value that cannot work stops the start.
import path from 'node:path';
import { z } from 'zod';
import { refuseHalfConfiguredAuth, refuseUnsafeProduction } from './configChecks.js';
import { ConfigError } from './errors.js';

export const MODULE_NAMES = ['users', 'billing', 'payments', 'documents', 'notifications', 'analytics'] as const;
export type ModuleName = (typeof MODULE_NAMES)[number];

const intFrom = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const envSchema = z.object({
  PORT: intFrom(0, 65535).default(3000),
  DATABASE_PATH: z.string().min(1).default('./var/paybus.db'),
  DATABASE_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || /^postgres(ql)?:\/\/[^\s]+$/.test(v), 'must be a postgres:// or postgresql:// URL'),
  DATABASE_POOL_SIZE: intFrom(1, 1000).default(10),
  EVENT_TRANSPORT: z.enum(['memory', 'rabbitmq']).default('memory'),
  MODULES: z
    .string()
    .default('all')
    .transform((value, ctx) => {
      const names = value.trim() === '' || value.trim() === 'all' ? [...MODULE_NAMES] : value.split(',').map((n) => n.trim()).filter(Boolean);
      const unknown = names.filter((n) => !(MODULE_NAMES as readonly string[]).includes(n));
      if (unknown.length > 0) {
        ctx.addIssue({ code: 'custom', message: `unknown module ${unknown.join(', ')} (known: ${MODULE_NAMES.join(', ')})` });
        return z.NEVER;
      }
      return [...new Set(names)] as ModuleName[];
    }),
  RABBITMQ_URL: z
    .string()
    .default('amqp://localhost')
    .refine((v) => /^amqps?:\/\/[^\s]+$/.test(v), 'must be an amqp:// or amqps:// URL'),
  RABBITMQ_USER: z.string().optional(),
  RABBITMQ_PASS: z.string().optional(),
  RABBITMQ_EXCHANGE: z.string().min(1).default('paybus.events'),
  RABBITMQ_QUEUE_TYPE: z.enum(['classic', 'quorum']).default('classic'),
  RABBITMQ_QUEUE_PREFIX: z.string().trim().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, ".", "-" and "_" only').default('paybus'),
  RABBITMQ_PREFETCH: intFrom(1, 65535).default(50),
  RABBITMQ_SINGLE_ACTIVE_CONSUMER: z.enum(['true', 'false']).default('true'),
  SUBSCRIBER_MAILBOX: intFrom(10, 1_000_000).default(1000),
  LEASE_TTL_MS: intFrom(100, 3_600_000).default(10_000),
  SHED_LAG_EVENTS: intFrom(0).default(0),
  SUBSCRIBER_CONCURRENCY: z
    .string()
    .default('16')
    .transform((value, ctx) => {
      const parsed = parseConcurrency(value);
      if (typeof parsed === 'string') {
        ctx.addIssue({ code: 'custom', message: parsed });
        return z.NEVER;
      }
      return parsed;
    }),
  RETRY_ATTEMPTS: intFrom(1, 100).default(5),
  RETRY_MIN_MS: intFrom(0).default(100),
  RETRY_MAX_MS: intFrom(0).default(30000),
  UPLOAD_DIR: z.string().min(1).default('./var/uploads'),
  MAX_UPLOAD_BYTES: intFrom(1).default(10485760),
  SMTP_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || /^smtps?:\/\/[^\s]+$/.test(v), 'must be an smtp:// or smtps:// URL'),
  SMTP_POOL_SIZE: intFrom(1, 100).default(5),
  MAIL_FROM: z.string().min(3).default('paybus <no-reply@paybus.local>'),
  MAIL_DIR: z.string().min(1).default('./var/mail'),
  SMS_LOG_PATH: z.string().min(1).default('./var/sms.log'),
  PAYMENT_GATEWAY_LATENCY_MS: intFrom(0, 60000).default(5),
  ADMIN_TOKEN: z.string().optional(),
  AUTH_JWKS_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v), 'must be an http:// or https:// URL'),
  AUTH_ISSUER: z.string().trim().min(1).optional(),
  AUTH_AUDIENCE: z.string().trim().min(1).optional(),
  AUTH_USER_CLAIM: z.string().trim().regex(/^[A-Za-z0-9_.:/-]{1,100}$/, 'must be a claim name (letters, digits, "_", ".", ":", "/", "-")').default('paybus_user_id'),
  RATE_LIMIT_POST_PER_MINUTE: intFrom(0).default(0),
  REDIS_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || /^rediss?:\/\/[^\s]+$/.test(v), 'must be a redis:// or rediss:// URL'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().default('development'),
});

/** The environment as read, before it becomes a Config. */
export type Env = z.infer<typeof envSchema>;

export interface Config {
  port: number;
  databasePath: string;
  /** Set: every table lives in this PostgreSQL database, shared by every process naming it; databasePath is unused. */
  databaseUrl?: string;
  /** Connections each process keeps to PostgreSQL. */
  databasePoolSize: number;
  eventTransport: 'memory' | 'rabbitmq';
  modules: ModuleName[];
  rabbitmq: {
    url: string;
    user?: string;
    pass?: string;
    exchange: string;
    queueType: 'classic' | 'quorum';
    /** Module queues are `<queuePrefix>.<module>`: two deployments (or test runs) can share one broker. */
    queuePrefix: string;
    prefetch: number;
    /**
     * Module queues are declared single active consumer: with several processes consuming one, RabbitMQ feeds one
     * at a time (the others take over when it goes), so each key's order survives the competition.
     */
    singleActiveConsumer: boolean;
  };
  retry: { attempts: number; minMs: number; maxMs: number };
  /** Keys a subscriber handles at once: `default`, and by subscriber (or module queue) name. */
  concurrency: Concurrency;
  /** Events a memory-mode subscriber holds in memory at most; past that it reads on from the log later. */
  mailbox: number;
  /**
   * How long a lease (a subscriber's runner, a payment in flight, an idempotency key being answered) lasts unless
   * its holder renews it; another process takes over only after it expired. Holders renew every third of it.
   */
  leaseTtlMs: number;
  /** POSTs get 503 while a subscriber is more than this many events behind; 0 never sheds. */
  shedLagEvents: number;
  uploadDir: string;
  maxUploadBytes: number;
  smtpUrl?: string;
  /** SMTP connections kept open and used side by side. */
  smtpPoolSize: number;
  mailFrom: string;
  mailDir: string;
  smsLogPath: string;
  paymentGatewayLatencyMs: number;
  adminToken?: string;
  /** Bearer tokens from an identity provider (see src/auth): unset jwksUrl means none are accepted. */
  auth: AuthConfig;
  /** POST requests per minute per client address; 0 (the default) turns the limit off. */
  rateLimitPostPerMinute: number;
  /** Set: the POST rate limit counts in this Redis, shared by every replica; else in PostgreSQL, or in memory on SQLite. */
  redisUrl?: string;
  logLevel: string;
  nodeEnv: string;
}

export interface AuthConfig {
  /** The identity provider's JSON Web Key Set; issuer and audience are set whenever it is. */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** The claim that binds a token to one user (its value: the user's id). */
  userClaim: string;
}

export interface Concurrency {
  default: number;
  bySubscriber: Record<string, number>;
}

const CONCURRENCY_MAX = 10_000;

/** `16` or `16,notifications.send=32,paybus.billing=4`: the default first, then overrides by name. */
export function parseConcurrency(value: string): Concurrency | string {
  const [first, ...rest] = value.split(',').map((part) => part.trim());
  const number = (text: string | undefined) => (text && /^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= CONCURRENCY_MAX ? Number(text) : undefined);
  const fallback = number(first);
  if (fallback === undefined) return `must start with a whole number from 1 to ${CONCURRENCY_MAX}, like 16 or 16,notifications.send=32`;
  const bySubscriber: Record<string, number> = {};
  for (const part of rest) {
    const match = /^([A-Za-z0-9_.-]+)=(\d+)$/.exec(part);
    const n = number(match?.[2]);
    if (!match || n === undefined) return `each override must read name=N with N from 1 to ${CONCURRENCY_MAX}, like notifications.send=32`;
    bySubscriber[match[1]!] = n;
  }
  return { default: fallback, bySubscriber };
}

export { ConfigError } from './errors.js';
export { MIN_ADMIN_TOKEN_LENGTH } from './configChecks.js';

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "not set", as it does for most twelve-factor apps.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    // Never echo the value: it may be a secret (a URL with a password, a token).
    throw new ConfigError(`invalid ${name}: ${issue.message}`);
  }
  const e = parsed.data;
  if (e.RETRY_MIN_MS > e.RETRY_MAX_MS) throw new ConfigError('invalid RETRY_MIN_MS: must not exceed RETRY_MAX_MS');
  refuseHalfConfiguredAuth(e);
  if (e.NODE_ENV === 'production') refuseUnsafeProduction(e);
  return {
    port: e.PORT,
    databasePath: e.DATABASE_PATH,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    eventTransport: e.EVENT_TRANSPORT,
    modules: e.MODULES,
    rabbitmq: {
      url: e.RABBITMQ_URL,
      user: e.RABBITMQ_USER,
      pass: e.RABBITMQ_PASS,
      exchange: e.RABBITMQ_EXCHANGE,
      queueType: e.RABBITMQ_QUEUE_TYPE,
      queuePrefix: e.RABBITMQ_QUEUE_PREFIX,
      prefetch: e.RABBITMQ_PREFETCH,
      singleActiveConsumer: e.RABBITMQ_SINGLE_ACTIVE_CONSUMER === 'true',
    },
    retry: { attempts: e.RETRY_ATTEMPTS, minMs: e.RETRY_MIN_MS, maxMs: e.RETRY_MAX_MS },
    concurrency: e.SUBSCRIBER_CONCURRENCY,
    mailbox: e.SUBSCRIBER_MAILBOX,
    leaseTtlMs: e.LEASE_TTL_MS,
    shedLagEvents: e.SHED_LAG_EVENTS,
    uploadDir: path.resolve(e.UPLOAD_DIR),
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    smtpUrl: e.SMTP_URL,
    smtpPoolSize: e.SMTP_POOL_SIZE,
    mailFrom: e.MAIL_FROM,
    mailDir: path.resolve(e.MAIL_DIR),
    smsLogPath: path.resolve(e.SMS_LOG_PATH),
    paymentGatewayLatencyMs: e.PAYMENT_GATEWAY_LATENCY_MS,
    adminToken: e.ADMIN_TOKEN,
    auth: { jwksUrl: e.AUTH_JWKS_URL, issuer: e.AUTH_ISSUER, audience: e.AUTH_AUDIENCE, userClaim: e.AUTH_USER_CLAIM },
    rateLimitPostPerMinute: e.RATE_LIMIT_POST_PER_MINUTE,
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
    nodeEnv: e.NODE_ENV,
  };
}
