/**
 * What a users export writes: Auth0's request body (`format`, `fields` with `export_as`…), the
 * fields written when none are named, and reading a field (`email`, `user_metadata.plan`,
 * `identities[0].connection`) from a user's profile. A field names a path into the profile as the
 * management API shows it, which holds no password hash: no field can name one.
 * @see https://auth0.com/docs/manage-users/user-migration/bulk-user-exports
 */
import { z } from 'zod';
import { DomainError } from '../errors.js';

/** Auth0's limit: more fields than this go to the JSON format, where a whole object is one field. */
export const MAX_EXPORT_FIELDS = 30;

export const exportFieldSchema = z.strictObject({
  name: z.string().min(1).max(100),
  export_as: z.string().min(1).max(100).optional(),
});
export type ExportField = z.infer<typeof exportFieldSchema>;

/** POST /jobs/users-exports' body, as Auth0 takes it. */
export const usersExportRequestSchema = z.strictObject({
  connection_id: z.string().min(1).max(128).optional(),
  /** `json` is NDJSON: one user per line, as Auth0 writes it. */
  format: z.enum(['json', 'csv']).optional(),
  limit: z.number().int().min(1).optional(),
  fields: z.array(exportFieldSchema).min(1).max(MAX_EXPORT_FIELDS).optional(),
});
export type UsersExportRequest = z.infer<typeof usersExportRequestSchema>;
export type ExportFormat = 'json' | 'csv';

/** Auth0's default format when a request names none. */
export const DEFAULT_EXPORT_FORMAT: ExportFormat = 'csv';

const SCALAR_FIELDS = [
  'user_id',
  'email',
  'email_verified',
  'username',
  'phone_number',
  'phone_verified',
  'name',
  'given_name',
  'family_name',
  'nickname',
  'picture',
  'locale',
  'created_at',
  'updated_at',
  'last_login',
  'last_ip',
  'logins_count',
  'blocked',
];

/** Whole objects: JSON writes them as they are; a CSV cell cannot hold one, as in Auth0. */
const OBJECT_FIELDS = ['identities', 'user_metadata', 'app_metadata'];

/** The profile's own attributes when no fields are named: in CSV without the objects a cell cannot hold. */
export function defaultExportFields(format: ExportFormat): ExportField[] {
  return (format === 'json' ? [...SCALAR_FIELDS, ...OBJECT_FIELDS] : SCALAR_FIELDS).map((name) => ({ name }));
}

type Segment = string | number;

/** `identities[0].connection` → ['identities', 0, 'connection']; undefined for a malformed path. */
export function parseFieldPath(name: string): Segment[] | undefined {
  const segments: Segment[] = [];
  for (const part of name.split('.')) {
    const match = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (!match?.[1]) return undefined;
    segments.push(match[1]);
    for (const index of (match[2] ?? '').matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]));
  }
  return segments;
}

export interface ResolvedField {
  /** The key in a JSON line, the column in a CSV: `export_as`, else the name. */
  readonly column: string;
  readonly path: readonly Segment[];
}

const invalid = (message: string) => new DomainError('input.invalid', message, 'fields');

/** Checks a request's fields against its format and resolves their paths, so a job never starts that cannot finish. */
export function resolveExportFields(fields: readonly ExportField[], format: ExportFormat): ResolvedField[] {
  const columns = new Set<string>();
  return fields.map(({ name, export_as }) => {
    const path = parseFieldPath(name);
    if (!path) throw invalid(`"${name}" is not a field path such as user_metadata.plan or identities[0].connection`);
    if (format === 'csv' && path.length === 1 && OBJECT_FIELDS.includes(name)) {
      throw invalid(
        `a CSV export cannot hold all of ${name}: name its fields (${name === 'identities' ? 'identities[0].connection' : `${name}.plan`}) or export as json`,
      );
    }
    const column = export_as ?? name;
    if (columns.has(column)) throw invalid(`two fields are exported as "${column}"`);
    columns.add(column);
    return { column, path };
  });
}

/** The value at a field's path, or undefined where the profile has none. Only own properties are read. */
export function readField(profile: unknown, path: readonly Segment[]): unknown {
  let value: unknown = profile;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    if (typeof segment === 'number' ? !Array.isArray(value) : Array.isArray(value)) return undefined;
    if (!Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}
