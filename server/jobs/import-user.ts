/**
 * One user of an import file, read as Auth0's bulk-import schema names its fields, and refused
 * as Auth0 refuses one: `{user, errors: [{code, message, path}]}` with its validator's codes
 * (OBJECT_MISSING_REQUIRED_PROPERTY, INVALID_TYPE, INVALID_FORMAT…). Also read: the read-only
 * fields of Auth0's user exports (ignored), and the shape of its support's password-hash export
 * (`_id: {$oid}`, `passwordHash`). The error list never repeats a password hash.
 * @see https://auth0.com/docs/manage-users/user-migration/bulk-user-imports
 */
import { z } from 'zod';
import { isDomainError } from '../errors.js';
import { customPasswordHashSchema, storedPasswordHash } from '../password-hashes/imported-hashes.js';
import { createUserInput } from '../users/user-schemas.js';
import type { FileEntry } from './import-file.js';

export interface ImportError {
  readonly code: string;
  readonly message: string;
  readonly path: string;
}

/** The fields an import writes on the user, checked as users.create checks them; on an update, only those the file gives. */
const IMPORTED_FIELDS = {
  email_verified: true,
  given_name: true,
  family_name: true,
  name: true,
  nickname: true,
  picture: true,
  blocked: true,
  user_metadata: true,
  app_metadata: true,
} as const;
const importedFields = createUserInput.pick(IMPORTED_FIELDS);
export type ImportedFields = z.infer<typeof importedFields>;

export interface ImportedUser {
  readonly position: number;
  /** The entry as the file gave it, without its password hash: what an error shows. */
  readonly shown: Record<string, unknown>;
  /** Lower-cased, as database identities keep it. */
  readonly email: string;
  /** The identity's id in the connection (Auth0's user_id without `auth0|`), when the file gives one. */
  readonly externalId: string | undefined;
  readonly username: string | undefined;
  readonly fields: ImportedFields;
  /** As identities.password_hash keeps it: never re-hashed here. */
  readonly passwordHash: string | undefined;
}

export type ReadEntry =
  | { readonly ok: true; readonly user: ImportedUser }
  | { readonly ok: false; readonly position: number; readonly shown: unknown; readonly errors: ImportError[] };

const identity = z.looseObject({
  provider: z.string().optional(),
  user_id: z.union([z.string(), z.number()]).optional(),
  connection: z.string().optional(),
  isSocial: z.boolean().optional(),
});
/** Auth0's exports carry these; an import has nothing to set them to, so they are read and left. */
const exportedOnly = z.unknown().optional();

const importedUserSchema = importedFields.extend({
  // Required here: the database identity is found and matched by it.
  email: createUserInput.shape.email.unwrap(),
  user_id: z.string().min(1).max(255).regex(/^\S+$/, 'must not contain spaces').optional(),
  username: createUserInput.shape.username,
  password_hash: z.string().min(1).max(1024).optional(),
  custom_password_hash: customPasswordHashSchema.optional(),
  identities: z.array(identity).max(50).optional(),
  created_at: exportedOnly,
  updated_at: exportedOnly,
  last_login: exportedOnly,
  last_ip: exportedOnly,
  logins_count: exportedOnly,
  last_password_reset: exportedOnly,
});

const SECRET_KEYS = new Set(['password_hash', 'custom_password_hash', 'passwordHash']);
/** Auth0's database users are `auth0|<id>`; Tessera keeps the id and makes them `database|<id>`. */
const AUTH0_DATABASE_PREFIX = 'auth0|';
const SUPPORT_EXPORT_ONLY = ['password_set_date', 'tenant', 'connection', '_tmp_is_unique'];

function withoutSecrets(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !SECRET_KEYS.has(key)));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Auth0 support's password-hash export: `{_id: {$oid}, email, email_verified, passwordHash, connection, …}`. */
function fromSupportExport(value: Record<string, unknown>): Record<string, unknown> {
  if (!('_id' in value) && !('passwordHash' in value)) return value;
  const { _id: id, passwordHash, ...rest } = value;
  for (const key of SUPPORT_EXPORT_ONLY) delete rest[key];
  const oid = isObject(id) ? id['$oid'] : id;
  return {
    ...rest,
    ...(oid !== undefined && rest['user_id'] === undefined ? { user_id: oid } : {}),
    ...(passwordHash !== undefined && rest['password_hash'] === undefined ? { password_hash: passwordHash } : {}),
  };
}

function externalIdOf(userId: string | undefined, identities: ReadonlyArray<z.infer<typeof identity>> | undefined): string | undefined {
  const own = userId ?? identities?.find((each) => each.provider === 'auth0' && each.user_id !== undefined)?.user_id?.toString();
  if (own === undefined) return undefined;
  return own.startsWith(AUTH0_DATABASE_PREFIX) ? own.slice(AUTH0_DATABASE_PREFIX.length) : own;
}

const KIND: Record<string, string> = { string: 'string', number: 'number', boolean: 'boolean', object: 'object', array: 'array' };

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return KIND[typeof value] ?? typeof value;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path)
    current = isObject(current) || Array.isArray(current) ? (current as Record<PropertyKey, unknown>)[key] : undefined;
  return current;
}

/** A zod issue in the words of Auth0's validator. */
function toImportError(issue: z.core.$ZodIssue, input: unknown): ImportError {
  const path = issue.path.map(String).join('.');
  switch (issue.code) {
    case 'invalid_type': {
      const found = valueAt(input, issue.path);
      if (found === undefined) return { code: 'OBJECT_MISSING_REQUIRED_PROPERTY', message: `Missing required property: ${path}`, path };
      return { code: 'INVALID_TYPE', message: `Expected type ${issue.expected} but found type ${typeName(found)}`, path };
    }
    case 'unrecognized_keys':
      return {
        code: 'OBJECT_ADDITIONAL_PROPERTIES',
        message: `Additional properties not allowed: ${issue.keys.join(', ')}`,
        path,
      };
    case 'too_small':
      return { code: issue.origin === 'array' ? 'ARRAY_LENGTH_SHORT' : 'MIN_LENGTH', message: issue.message, path };
    case 'too_big':
      return { code: issue.origin === 'array' ? 'ARRAY_LENGTH_LONG' : 'MAX_LENGTH', message: issue.message, path };
    case 'invalid_format':
      return { code: issue.format === 'regex' ? 'PATTERN' : 'INVALID_FORMAT', message: issue.message, path };
    case 'invalid_value':
      return { code: 'ENUM_MISMATCH', message: issue.message, path };
    default:
      return { code: 'INVALID_VALUE', message: issue.message, path };
  }
}

const refused = (entry: FileEntry, shown: unknown, errors: ImportError[]): ReadEntry => ({
  ok: false,
  position: entry.position,
  shown,
  errors,
});

export function readImportedUser(entry: FileEntry): ReadEntry {
  let value: unknown;
  try {
    value = JSON.parse(entry.text);
  } catch {
    // The parser's message quotes the text, which may hold a password hash.
    return refused(entry, {}, [{ code: 'INVALID_JSON', message: 'The entry is not valid JSON', path: '' }]);
  }
  if (!isObject(value)) {
    return refused(entry, {}, [{ code: 'INVALID_TYPE', message: `Expected type object but found type ${typeName(value)}`, path: '' }]);
  }
  const shown = withoutSecrets(value);
  // PostgreSQL's text and jsonb cannot hold U+0000: refused here, not by the batch's statement (nor shown).
  if (entry.text.includes('\\u0000')) {
    return refused(entry, {}, [{ code: 'INVALID_FORMAT', message: 'Strings must not contain the character U+0000', path: '' }]);
  }
  if ('mfa_factors' in value) {
    return refused(entry, shown, [
      {
        code: 'UNSUPPORTED_PROPERTY',
        message: 'mfa_factors are not imported: leave them out, and have the user enrol their second factor again',
        path: 'mfa_factors',
      },
    ]);
  }
  const input = fromSupportExport(value);
  const parsed = importedUserSchema.safeParse(input);
  if (!parsed.success)
    return refused(
      entry,
      shown,
      parsed.error.issues.map((issue) => toImportError(issue, input)),
    );
  const { email, user_id: userId, username, identities, password_hash, custom_password_hash, ...rest } = parsed.data;
  let passwordHash: string | undefined;
  try {
    passwordHash = storedPasswordHash({ password_hash, custom_password_hash });
  } catch (error) {
    if (!isDomainError(error)) throw error;
    return refused(entry, shown, [{ code: 'INVALID_FORMAT', message: error.message, path: error.field ?? 'password_hash' }]);
  }
  const fields = Object.fromEntries(
    Object.entries(rest).filter(([key, value]) => key in IMPORTED_FIELDS && value !== undefined),
  ) as ImportedFields;
  return {
    ok: true,
    user: {
      position: entry.position,
      shown,
      email: email.toLowerCase(),
      externalId: externalIdOf(userId, identities),
      username,
      fields,
      passwordHash,
    },
  };
}
