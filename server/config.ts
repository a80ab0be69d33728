/**
 * The one place that reads process.env: parses and validates SPEC.md's configuration table
 * once at start-up. A bad value stops start-up with a message naming the variable.
 */
import path from 'node:path';
import { z } from 'zod';

const emptyAsUnset = (value: unknown) => (value === '' ? undefined : value);

const postgresUrl = z
  .string()
  .url()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'must be a postgres:// or postgresql:// URL');

const redisUrls = z
  .string()
  .transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean))
  .pipe(
    z
      .array(z.string().url().refine((value) => /^rediss?:\/\//.test(value), 'must be redis:// or rediss:// URLs'))
      .min(1),
  );

const envSchema = z.object({
  PORT: z.preprocess(emptyAsUnset, z.coerce.number().int().min(0).max(65535).default(3000)),
  ISSUER: z.preprocess(
    emptyAsUnset,
    z
      .string()
      .url()
      .refine((value) => !value.endsWith('/'), 'must not end with a slash')
      .optional(),
  ),
  DATABASE_URL: z.preprocess(emptyAsUnset, postgresUrl.optional()),
  DATA_DIR: z.preprocess(emptyAsUnset, z.string().default('./.data')),
  REDIS_URL: z.preprocess(emptyAsUnset, redisUrls.optional()),
  ADMIN_CLIENT_ID: z.preprocess(emptyAsUnset, z.string().min(1).max(255).optional()),
  ADMIN_CLIENT_SECRET: z.preprocess(emptyAsUnset, z.string().min(1).optional()),
  RULES_DIR: z.preprocess(emptyAsUnset, z.string().optional()),
  CODE_DIR: z.preprocess(emptyAsUnset, z.string().optional()),
  TRUST_PROXY: z.preprocess(emptyAsUnset, z.coerce.number().int().min(0).max(16).default(0)),
  SEALING_KEY: z.preprocess(
    emptyAsUnset,
    z
      .string()
      .refine((value) => Buffer.from(value, 'base64').length === 32, 'must be base64 of 32 random bytes')
      .optional(),
  ),
  // PostgreSQL cancels any statement running longer (0: never), so heavy searches cannot starve logins.
  STATEMENT_TIMEOUT_MS: z.preprocess(emptyAsUnset, z.coerce.number().int().min(0).max(3_600_000).default(10_000)),
  // Open users.events feeds a node serves, and that one caller (client or user) may hold.
  EVENT_SUBSCRIBERS_MAX: z.preprocess(emptyAsUnset, z.coerce.number().int().min(1).default(1000)),
  EVENT_SUBSCRIBERS_PER_CALLER: z.preprocess(emptyAsUnset, z.coerce.number().int().min(1).default(10)),
  LOG_LEVEL: z.preprocess(
    emptyAsUnset,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
});

export interface Config {
  readonly port: number;
  readonly issuer: string;
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly redisUrls: readonly string[] | undefined;
  readonly adminClient: { readonly clientId: string; readonly clientSecret: string } | undefined;
  readonly rulesDir: string | undefined;
  /** The only folder operator code (custom scripts, mapper modules) is loaded from. */
  readonly codeDir: string | undefined;
  /** How many reverse proxies in front may set X-Forwarded-For/-Proto. */
  readonly trustProxy: number;
  readonly sealingKey: Buffer | undefined;
  /** PostgreSQL's statement_timeout for the application's connections; 0 means none. */
  readonly statementTimeoutMs: number;
  /** Caps on open users.events subscriptions: per node, and per caller. */
  readonly eventSubscribers: { readonly perNode: number; readonly perCaller: number };
  readonly logLevel: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const values = parsed.data;
  if (Boolean(values.ADMIN_CLIENT_ID) !== Boolean(values.ADMIN_CLIENT_SECRET)) {
    throw new ConfigError('invalid configuration: ADMIN_CLIENT_ID and ADMIN_CLIENT_SECRET must be set together');
  }
  return Object.freeze({
    port: values.PORT,
    issuer: values.ISSUER ?? `http://localhost:${values.PORT}`,
    databaseUrl: values.DATABASE_URL,
    dataDir: path.resolve(values.DATA_DIR),
    redisUrls: values.REDIS_URL ? Object.freeze(values.REDIS_URL) : undefined,
    adminClient:
      values.ADMIN_CLIENT_ID && values.ADMIN_CLIENT_SECRET
        ? Object.freeze({ clientId: values.ADMIN_CLIENT_ID, clientSecret: values.ADMIN_CLIENT_SECRET })
        : undefined,
    rulesDir: values.RULES_DIR ? path.resolve(values.RULES_DIR) : undefined,
    codeDir: values.CODE_DIR ? path.resolve(values.CODE_DIR) : undefined,
    trustProxy: values.TRUST_PROXY,
    sealingKey: values.SEALING_KEY ? Buffer.from(values.SEALING_KEY, 'base64') : undefined,
    statementTimeoutMs: values.STATEMENT_TIMEOUT_MS,
    eventSubscribers: Object.freeze({ perNode: values.EVENT_SUBSCRIBERS_MAX, perCaller: values.EVENT_SUBSCRIBERS_PER_CALLER }),
    logLevel: values.LOG_LEVEL,
  });
}
