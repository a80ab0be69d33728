/**
 * The search contract between users.list and storage: the tree that users.list's `q` is parsed
 * into (server/users/user-query.ts) and that user-search-sql.ts turns into SQL. It names only
 * catalogued fields and holds only typed values, so storage can translate it safely; owned here
 * because it is what the store promises to answer.
 */

/** Every searchable field and how its values compare: `ci-text` ignores case, `text` does not. */
export const FIELD_TYPES = {
  user_id: 'text',
  email: 'ci-text',
  email_verified: 'boolean',
  username: 'ci-text',
  phone_number: 'text',
  phone_verified: 'boolean',
  name: 'ci-text',
  nickname: 'ci-text',
  given_name: 'ci-text',
  family_name: 'ci-text',
  picture: 'text',
  locale: 'text',
  created_at: 'date',
  updated_at: 'date',
  last_login: 'date',
  last_ip: 'text',
  logins_count: 'integer',
  blocked: 'boolean',
  'identities.connection': 'identity',
  'identities.provider': 'identity',
  'identities.user_id': 'identity',
  user_metadata: 'metadata',
  app_metadata: 'metadata',
} as const;

export type FieldName = keyof typeof FIELD_TYPES;
export type FieldType = (typeof FIELD_TYPES)[FieldName];
/** The profile's root attributes: the fields a page may be sorted by. */
export type RootField = { [K in FieldName]: (typeof FIELD_TYPES)[K] extends 'identity' | 'metadata' ? never : K }[FieldName];

/** `path` is the key path inside a metadata field (`user_metadata.a.b` → ['a', 'b']), empty elsewhere. */
export interface FieldRef {
  readonly name: FieldName;
  readonly type: FieldType;
  readonly path: readonly string[];
}

/** A range end; dates are instants (a day-only date is already widened to its whole UTC day). */
export interface Bound {
  readonly value: string | number | Date;
  readonly inclusive: boolean;
}

export type UserQuery =
  | { readonly kind: 'match'; readonly field: FieldRef; readonly value: string | number | boolean | null; readonly prefix: boolean }
  | { readonly kind: 'range'; readonly field: FieldRef; readonly min?: Bound; readonly max?: Bound }
  | { readonly kind: 'exists'; readonly field: FieldRef }
  | { readonly kind: 'and' | 'or'; readonly operands: readonly UserQuery[] }
  | { readonly kind: 'not'; readonly operand: UserQuery };

/** What a query with no condition means: every user. */
export const MATCH_ALL: UserQuery = { kind: 'and', operands: [] };

export interface UserSort {
  readonly field: RootField;
  readonly direction: 1 | -1;
}
