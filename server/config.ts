/**
 * The one place that reads process.env: parses and validates docs/contract.md's configuration table
 * once at start-up. A bad value stops start-up with a message naming the variable.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_MFA_POLICY, MFA_POLICIES, type MfaPolicy } from './mfa/mfa-policy.js';

const emptyAsUnset = (value: unknown) => (value === '' ? undefined : value);

const postgresUrl = z
  .string()
  .url()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'must be a postgres:// or postgresql:// URL');

const redisUrls = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(
        z
          .string()
          .url()
          .refine((value) => /^rediss?:\/\//.test(value), 'must be redis:// or rediss:// URLs'),
      )
      .min(1),
  );

/** The management API's master key: long enough that guessing it at /token is hopeless. */
const ADMIN_SECRET_MIN_LENGTH = 32;
const MAKE_SEALING_KEY = 'openssl rand -base64 32';
/**
 * Hex for a client secret: HTTP Basic credentials are form-urlencoded (RFC 6749 §2.3.1), so a
 * base64 `+` sent as is (`curl -u`) reads as a space and the client is refused.
 */
const MAKE_CLIENT_SECRET = 'openssl rand -hex 32';

const sealingKey = z
  .string()
  .refine(
    (value) => Buffer.from(value, 'base64').length === 32,
    `must be base64 of 32 random bytes (make one with \`${MAKE_SEALING_KEY}\`)`,
  );

const flag = z.preprocess(emptyAsUnset, z.enum(['true', 'false']).default('false')).transform((value) => value === 'true');

export const ACCOUNT_METADATA_TYPES = ['string', 'number', 'boolean'] as const;
export type AccountMetadataField = { readonly key: string; readonly type: (typeof ACCOUNT_METADATA_TYPES)[number] };

/** `key:type,key:type`, e.g. `newsletter:boolean,team:string`. */
const accountMetadataFields = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const [key = '', type = 'string'] = part.split(':').map((piece) => piece.trim());
        return { key, type };
      }),
  )
  .pipe(
    z
      .array(
        z.object({ key: z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'keys are letters, digits and _'), type: z.enum(ACCOUNT_METADATA_TYPES) }),
      )
      .max(50),
  );

const positiveInt = (fallback: number) => z.preprocess(emptyAsUnset, z.coerce.number().int().min(1).default(fallback));

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
  ADMIN_CLIENT_SECRET: z.preprocess(
    emptyAsUnset,
    z
      .string()
      .min(ADMIN_SECRET_MIN_LENGTH, `must be at least ${ADMIN_SECRET_MIN_LENGTH} characters (make one with \`${MAKE_CLIENT_SECRET}\`)`)
      .optional(),
  ),
  RULES_DIR: z.preprocess(emptyAsUnset, z.string().optional()),
  CODE_DIR: z.preprocess(emptyAsUnset, z.string().optional()),
  SMTP_URL: z.preprocess(
    emptyAsUnset,
    z
      .string()
      .url()
      .refine((value) => URL.canParse(value) && ['smtp:', 'smtps:'].includes(new URL(value).protocol), 'must be an smtp:// or smtps:// URL')
      .optional(),
  ),
  MAIL_FROM: z.preprocess(emptyAsUnset, z.string().min(3).max(320).optional()),
  MAIL_TEMPLATES_DIR: z.preprocess(emptyAsUnset, z.string().optional()),
  // Account links (server/accounts/): how long each lives, and what a password reset leaves standing.
  EMAIL_VERIFICATION_TTL_SECONDS: positiveInt(24 * 60 * 60),
  PASSWORD_RESET_TTL_SECONDS: positiveInt(60 * 60),
  PASSWORD_RESET_KEEPS_SESSIONS: flag,
  // The account page ($ISSUER/account): user_metadata keys people may edit themselves, and whether they may delete their account.
  ACCOUNT_METADATA_FIELDS: z.preprocess(emptyAsUnset, accountMetadataFields.default([])),
  ACCOUNT_DELETION: flag,
  // When a login asks for a second factor (server/mfa/mfa-policy.ts); an application's mfa_policy overrides it.
  MFA_POLICY: z.preprocess(emptyAsUnset, z.enum(MFA_POLICIES).default(DEFAULT_MFA_POLICY)),
  TRUST_PROXY: z.preprocess(emptyAsUnset, z.coerce.number().int().min(0).max(16).default(0)),
  SEALING_KEY: z.preprocess(emptyAsUnset, sealingKey.optional()),
  SEALING_KEY_PREVIOUS: z.preprocess(emptyAsUnset, sealingKey.optional()),
  BRUTE_FORCE_MAX_ATTEMPTS: positiveInt(10),
  BRUTE_FORCE_BLOCK_SECONDS: positiveInt(60 * 60),
  LOGIN_IP_MAX_FAILURES: positiveInt(100),
  LOGIN_IP_WINDOW_SECONDS: positiveInt(60 * 60),
  TOKEN_CLIENT_MAX_FAILURES: positiveInt(10),
  TOKEN_CLIENT_BLOCK_SECONDS: positiveInt(15 * 60),
  MANAGEMENT_RATE_LIMIT: positiveInt(10_000),
  MANAGEMENT_RATE_WINDOW_SECONDS: positiveInt(60),
  PASSWORD_HASH_CONCURRENCY: positiveInt(os.availableParallelism()),
  PASSWORD_HASH_QUEUE: z.preprocess(emptyAsUnset, z.coerce.number().int().min(0).default(256)),
  REFRESH_TOKEN_REUSE_INTERVAL: z.preprocess(emptyAsUnset, z.coerce.number().int().min(0).max(300).default(0)),
  // PostgreSQL cancels any statement running longer (0: never), so heavy searches cannot starve logins.
  STATEMENT_TIMEOUT_MS: z.preprocess(emptyAsUnset, z.coerce.number().int().min(0).max(3_600_000).default(10_000)),
  // users.list counts a total exactly up to this many matches and estimates a larger one.
  SEARCH_EXACT_TOTAL_LIMIT: positiveInt(10_000),
  // Open users.events feeds a node serves, and that one caller (client or user) may hold.
  EVENT_SUBSCRIBERS_MAX: positiveInt(1000),
  EVENT_SUBSCRIBERS_PER_CALLER: positiveInt(10),
  // Prometheus metrics on their own listener, never the issuer's (server/metrics/); unset: none collected.
  METRICS_PORT: z.preprocess(emptyAsUnset, z.coerce.number().int().min(1).max(65535).optional()),
  METRICS_HOST: z.preprocess(emptyAsUnset, z.string().default('127.0.0.1')),
  LOG_LEVEL: z.preprocess(emptyAsUnset, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
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
  /** Outgoing mail: SMTP when smtpUrl is set, otherwise .eml files under DATA_DIR/mail/. */
  readonly mail: { readonly smtpUrl: string | undefined; readonly from: string; readonly templatesDir: string | undefined };
  /** Account links and the account page (server/accounts/). */
  readonly accounts: AccountSettings;
  /** When a login asks for a second factor, for applications without an mfa_policy of their own. */
  readonly mfaPolicy: MfaPolicy;
  /** How many reverse proxies in front may set X-Forwarded-For/-Proto. */
  readonly trustProxy: number;
  /** Seals secrets at rest; undefined only for the embedded default, which keeps its own in DATA_DIR. */
  readonly sealingKey: Buffer | undefined;
  /** The key being rotated away from: what it sealed is re-sealed with sealingKey at start. */
  readonly previousSealingKey: Buffer | undefined;
  /** Seconds after its first use in which a refresh token may be used again without revoking its grant; 0 = never. */
  readonly refreshTokenReuseInterval: number;
  /** PostgreSQL's statement_timeout for the application's connections; 0 means none. */
  readonly statementTimeoutMs: number;
  /** users.list's `total` is exact up to this many matches, the planner's estimate past it. */
  readonly searchExactTotalLimit: number;
  /** Caps on open users.events subscriptions: per node, and per caller. */
  readonly eventSubscribers: { readonly perNode: number; readonly perCaller: number };
  readonly logLevel: string;
  readonly limits: Limits;
  /** Where /metrics listens; undefined (the default) when no metrics are collected at all. */
  readonly metrics: { readonly port: number; readonly host: string } | undefined;
}

export interface AccountSettings {
  readonly verifyEmailTtlSeconds: number;
  readonly resetPasswordTtlSeconds: number;
  /** A password reset revokes every session, grant and refresh token of the user unless this is set. */
  readonly resetKeepsSessions: boolean;
  /** The user_metadata keys the account page lets a person edit, each with its type. */
  readonly metadataFields: readonly AccountMetadataField[];
  /** Whether people may delete their own account from the account page. */
  readonly selfDeletion: boolean;
}

/** Brute-force, throttling and load limits (server/abuse/). */
export interface Limits {
  /** Consecutive failed passwords for one login name from one IP before that IP is blocked for it. */
  readonly bruteForceMaxAttempts: number;
  readonly bruteForceBlockSeconds: number;
  /** Failed logins one IP may make across all names per window. */
  readonly loginIpMaxFailures: number;
  readonly loginIpWindowSeconds: number;
  /** Failed client authentications at /token (and introspection, revocation) per client and IP before a block. */
  readonly tokenClientMaxFailures: number;
  readonly tokenClientBlockSeconds: number;
  /** Management API calls per caller per window. */
  readonly managementRateLimit: number;
  readonly managementRateWindowSeconds: number;
  /** argon2id runs at once in this process, and how many more may wait for one. */
  readonly passwordHashConcurrency: number;
  readonly passwordHashQueue: number;
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
  // The key must not live beside what it seals, and an external database has no DATA_DIR to keep it in.
  if (values.DATABASE_URL && !values.SEALING_KEY) {
    throw new ConfigError(
      `invalid configuration: SEALING_KEY is required with DATABASE_URL (make one with \`${MAKE_SEALING_KEY}\` and keep it apart from the database)`,
    );
  }
  if (values.SEALING_KEY_PREVIOUS && !values.SEALING_KEY) {
    throw new ConfigError('invalid configuration: SEALING_KEY_PREVIOUS is only read beside SEALING_KEY, the key to rotate to');
  }
  // The metrics listener exists to be kept apart from the issuer's.
  if (values.METRICS_PORT !== undefined && values.METRICS_PORT === values.PORT) {
    throw new ConfigError('invalid configuration: METRICS_PORT must differ from PORT, so /metrics is never served with the issuer');
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
    mail: Object.freeze({
      smtpUrl: values.SMTP_URL,
      from: values.MAIL_FROM ?? `Tessera <no-reply@${new URL(values.ISSUER ?? 'http://localhost').hostname}>`,
      templatesDir: values.MAIL_TEMPLATES_DIR ? path.resolve(values.MAIL_TEMPLATES_DIR) : undefined,
    }),
    accounts: Object.freeze({
      verifyEmailTtlSeconds: values.EMAIL_VERIFICATION_TTL_SECONDS,
      resetPasswordTtlSeconds: values.PASSWORD_RESET_TTL_SECONDS,
      resetKeepsSessions: values.PASSWORD_RESET_KEEPS_SESSIONS,
      metadataFields: Object.freeze(values.ACCOUNT_METADATA_FIELDS.map((field) => Object.freeze(field))),
      selfDeletion: values.ACCOUNT_DELETION,
    }),
    mfaPolicy: values.MFA_POLICY,
    trustProxy: values.TRUST_PROXY,
    sealingKey: values.SEALING_KEY ? Buffer.from(values.SEALING_KEY, 'base64') : undefined,
    previousSealingKey: values.SEALING_KEY_PREVIOUS ? Buffer.from(values.SEALING_KEY_PREVIOUS, 'base64') : undefined,
    refreshTokenReuseInterval: values.REFRESH_TOKEN_REUSE_INTERVAL,
    statementTimeoutMs: values.STATEMENT_TIMEOUT_MS,
    searchExactTotalLimit: values.SEARCH_EXACT_TOTAL_LIMIT,
    eventSubscribers: Object.freeze({ perNode: values.EVENT_SUBSCRIBERS_MAX, perCaller: values.EVENT_SUBSCRIBERS_PER_CALLER }),
    logLevel: values.LOG_LEVEL,
    limits: Object.freeze({
      bruteForceMaxAttempts: values.BRUTE_FORCE_MAX_ATTEMPTS,
      bruteForceBlockSeconds: values.BRUTE_FORCE_BLOCK_SECONDS,
      loginIpMaxFailures: values.LOGIN_IP_MAX_FAILURES,
      loginIpWindowSeconds: values.LOGIN_IP_WINDOW_SECONDS,
      tokenClientMaxFailures: values.TOKEN_CLIENT_MAX_FAILURES,
      tokenClientBlockSeconds: values.TOKEN_CLIENT_BLOCK_SECONDS,
      managementRateLimit: values.MANAGEMENT_RATE_LIMIT,
      managementRateWindowSeconds: values.MANAGEMENT_RATE_WINDOW_SECONDS,
      passwordHashConcurrency: values.PASSWORD_HASH_CONCURRENCY,
      passwordHashQueue: values.PASSWORD_HASH_QUEUE,
    }),
    metrics: values.METRICS_PORT === undefined ? undefined : Object.freeze({ port: values.METRICS_PORT, host: values.METRICS_HOST }),
  });
}
