/**
 * Turns an upstream's attributes into docs/contract.md's profile names. Each strategy has a default
 * mapping; a connection overrides it declaratively (`options.mapping`) and, like Auth0's
 * profileMapper.js, with a module (`options.mapper`). The result is validated: a mapping that
 * yields an invalid email fails the login and persists nothing.
 */
import { z } from 'zod';
import { DomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import { isSafePictureUrl } from '../profiles/picture-url.js';
import { type CodeDir, CodePathError } from '../sandbox/code-dir.js';
import { CodeFailure, loggedCodeFailure } from '../sandbox/code-failure.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { asError } from '../sandbox/tasks.js';
import { createUserInput } from '../users/user-schemas.js';
import type { ConnectionStrategy } from './connection-schemas.js';

/** The root attributes a connection's login sets; metadata and `blocked` are Tessera's own. */
export const normalizedProfileSchema = createUserInput.pick({
  email: true,
  email_verified: true,
  username: true,
  phone_number: true,
  phone_verified: true,
  name: true,
  nickname: true,
  given_name: true,
  family_name: true,
  picture: true,
  locale: true,
});
export type NormalizedProfile = z.infer<typeof normalizedProfileSchema>;
export type ProfileField = keyof NormalizedProfile;
export const PROFILE_FIELDS = Object.keys(normalizedProfileSchema.shape) as ProfileField[];

/** For each profile name, the upstream names it is read from, first present wins. */
export type Mapping = Partial<Record<ProfileField, readonly string[]>>;

const COMMON: Mapping = {
  email: ['email', 'mail', 'emailAddress', 'userPrincipalName'],
  email_verified: ['email_verified'],
  username: [],
  phone_number: ['phone_number', 'telephoneNumber', 'mobile'],
  phone_verified: ['phone_number_verified', 'phone_verified'],
  name: ['name', 'displayName', 'cn', 'full_name', 'fullName'],
  nickname: ['nickname', 'preferred_username', 'uid', 'sAMAccountName', 'login'],
  given_name: ['given_name', 'givenName', 'first_name', 'firstName'],
  family_name: ['family_name', 'surname', 'last_name', 'lastName', 'sn'],
  picture: ['picture', 'avatar_url', 'photo'],
  locale: ['locale', 'preferredLanguage'],
};

// SAML IdPs name attributes by URI: the claim types of AD FS / Entra ID and the X.500 OIDs.
const CLAIMS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
const SAML: Mapping = {
  email: [`${CLAIMS}/emailaddress`, 'urn:oid:0.9.2342.19200300.100.1.3', ...(COMMON.email ?? [])],
  name: [
    `${CLAIMS}/name`,
    'http://schemas.microsoft.com/identity/claims/displayname',
    'urn:oid:2.16.840.1.113730.3.1.241',
    ...(COMMON.name ?? []),
  ],
  given_name: [`${CLAIMS}/givenname`, 'urn:oid:2.5.4.42', ...(COMMON.given_name ?? [])],
  family_name: [`${CLAIMS}/surname`, 'urn:oid:2.5.4.4', ...(COMMON.family_name ?? [])],
  nickname: ['urn:oid:0.9.2342.19200300.100.1.1', ...(COMMON.nickname ?? [])],
};

export const DEFAULT_MAPPINGS: Readonly<Record<ConnectionStrategy, Mapping>> = {
  database: COMMON,
  oidc: COMMON,
  ldap: COMMON,
  saml: { ...COMMON, ...SAML },
  custom: { ...COMMON, username: ['username'] },
};

/** `options.mapping` of a connection: a profile name → one upstream name or several. */
export const mappingOptionSchema = z
  .partialRecord(
    z.enum(PROFILE_FIELDS as [ProfileField, ...ProfileField[]]),
    z.union([z.string().min(1).max(512), z.array(z.string().min(1).max(512)).min(1).max(16)]),
  )
  .optional();
/** `options.mapper`: a module inside CODE_DIR whose default export maps attributes, like Auth0's profileMapper.js. */
export const mapperOptionSchema = z.string().min(1).max(1024).optional();

export type ProfileMapper = (attributes: Record<string, unknown>, context: { connection: string; strategy: string }) => unknown;

export interface MappingOptions {
  mapping?: Partial<Record<ProfileField, string | string[]>> | undefined;
  mapper?: string | undefined;
}

/** Upstreams hand over multi-valued attributes (LDAP, SAML) as arrays: the first value counts. */
function single(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

function coerce(field: ProfileField, value: unknown): unknown {
  if (value === undefined || value === null || value === '') return undefined;
  if (field === 'email_verified' || field === 'phone_verified') {
    if (typeof value === 'string') return value.toLowerCase() === 'true';
    return value;
  }
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (field === 'email' && typeof value === 'string') return value.trim().toLowerCase();
  return typeof value === 'string' ? value.trim() : value;
}

export function effectiveMapping(strategy: ConnectionStrategy, override: MappingOptions['mapping']): Mapping {
  const mapping: Mapping = { ...DEFAULT_MAPPINGS[strategy] };
  for (const [field, names] of Object.entries(override ?? {}) as Array<[ProfileField, string | string[]]>) {
    mapping[field] = Array.isArray(names) ? names : [names];
  }
  return mapping;
}

/** The declarative step alone: pure, so every default is testable without a connection. */
export function applyMapping(mapping: Mapping, attributes: Record<string, unknown>): Record<string, unknown> {
  // LDAP and SAML attribute names are case-insensitive (`mail`, `Mail`): an exact match first, then any case.
  const byLowerName = new Map(Object.entries(attributes).map(([name, value]) => [name.toLowerCase(), value]));
  const read = (name: string) => (Object.hasOwn(attributes, name) ? attributes[name] : byLowerName.get(name.toLowerCase()));
  const mapped: Record<string, unknown> = {};
  for (const field of PROFILE_FIELDS) {
    for (const name of mapping[field] ?? []) {
      const value = coerce(field, single(read(name)));
      if (value !== undefined) {
        mapped[field] = value;
        break;
      }
    }
  }
  return mapped;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'profile'}: ${issue.message}`).join('; ');
}

export type LoadMapper = (modulePath: string) => Promise<ProfileMapper>;

/** Long enough for any mapping, short enough for a person waiting on a login. */
const MAPPER_TIME_LIMIT_MS = 5_000;

export interface MapperLoaderDependencies {
  sandbox: Sandbox;
  codeDir: CodeDir;
  logger: Logger;
}

/**
 * `options.mapper` names a module inside CODE_DIR, run in the sandbox's worker threads: the
 * attributes go in and the answer comes out as plain data. A failure is a CodeFailure whose
 * id the log line with the detail carries.
 */
export function createMapperLoader({ sandbox, codeDir, logger }: MapperLoaderDependencies): LoadMapper {
  const log = logger.child({ component: 'mapper' });
  const failure = (context: { connection: string }, detail: string, fields: Record<string, unknown> = {}): CodeFailure =>
    loggedCodeFailure(
      log,
      'profile mapper failed',
      { ...fields, connection: context.connection, reason: detail },
      'profile.invalid',
      `the profile mapper of connection "${context.connection}" failed: ${detail}`,
    );
  return async (modulePath) => {
    let file: string | undefined;
    let unusable: string | undefined;
    try {
      file = await codeDir.resolve(modulePath);
    } catch (error) {
      if (!(error instanceof CodePathError)) throw error;
      unusable = `options.mapper: ${error.message}`;
    }
    return async (attributes, context) => {
      if (!file) throw failure(context, unusable ?? 'options.mapper cannot be loaded');
      const outcome = await sandbox.run(
        { kind: 'call', file, required: ['default'], fn: 'default', args: [attributes, context] },
        MAPPER_TIME_LIMIT_MS,
      );
      switch (outcome.status) {
        case 'returned':
          return outcome.value;
        case 'threw':
          throw failure(context, outcome.error.message, { err: asError(outcome.error) });
        case 'timed-out':
          throw failure(context, `it did not finish within ${MAPPER_TIME_LIMIT_MS} ms`);
        case 'incomplete':
          throw failure(context, 'it has no default export function');
        case 'unloadable':
        case 'crashed':
          throw failure(context, 'it could not be run', { err: asError(outcome.error), mapper: file });
      }
    };
  };
}

export interface NormalizeInput {
  connection: { name: string; strategy: ConnectionStrategy; options: MappingOptions };
  attributes: Record<string, unknown>;
}

/**
 * Default mapping, then the connection's declarative override, then its mapper module; the
 * module's answer wins field by field. Throws DomainError('profile.invalid') naming the field.
 */
export async function normalizeProfile({ connection, attributes }: NormalizeInput, loadMapper: LoadMapper): Promise<NormalizedProfile> {
  let mapped = applyMapping(effectiveMapping(connection.strategy, connection.options.mapping), attributes);
  if (connection.options.mapper) {
    let fromModule: unknown;
    try {
      const mapper = await loadMapper(connection.options.mapper);
      fromModule = await mapper(attributes, { connection: connection.name, strategy: connection.strategy });
    } catch (error) {
      if (error instanceof CodeFailure) throw error;
      throw new DomainError('profile.invalid', `the profile mapper of connection "${connection.name}" failed: ${(error as Error).message}`);
    }
    if (typeof fromModule !== 'object' || fromModule === null) {
      throw new DomainError('profile.invalid', `the profile mapper of connection "${connection.name}" did not return an object`);
    }
    mapped = { ...mapped, ...Object.fromEntries(Object.entries(fromModule).filter(([, value]) => value !== undefined)) };
  }
  // PostgreSQL refuses NUL in text: storing such a profile would fail the login as a 500.
  const withNul = Object.entries(mapped).find(([, value]) => typeof value === 'string' && value.includes('\u0000'));
  if (withNul) {
    throw new DomainError(
      'profile.invalid',
      `connection "${connection.name}" returned an invalid profile: ${withNul[0]}: must not contain the NUL character`,
    );
  }
  // An upstream's picture is decoration, not a reason to refuse a login: an unsafe one is left out.
  if (typeof mapped['picture'] === 'string' && !isSafePictureUrl(mapped['picture'])) {
    mapped = Object.fromEntries(Object.entries(mapped).filter(([field]) => field !== 'picture'));
  }
  const parsed = normalizedProfileSchema.safeParse(mapped);
  if (!parsed.success) {
    throw new DomainError(
      'profile.invalid',
      `connection "${connection.name}" returned an invalid profile: ${describeIssues(parsed.error)}`,
    );
  }
  return parsed.data;
}
