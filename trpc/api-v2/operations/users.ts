/**
 * /users and /users-by-email: Auth0's user operations over the users.* procedures. Auth0's query
 * strings (`fields` with `include_fields`, `search_engine`, `include_totals`) are read here into
 * the procedures' inputs; the procedures check, search and write.
 */
import { z } from 'zod';
import { identitySchema, type Profile, profileSchema } from '../../../server/profiles/profile.js';
import { FIELD_NAMES } from '../../../server/profiles/profile-fields.js';
import { createUserInput, listUsersInput, userChanges, userIdSchema } from '../../../server/users/user-schemas.js';
import { type FieldSelection, fieldSelectionQuery } from '../field-selection.js';
import { operation } from '../operation.js';
import { queryBoolean, queryInteger } from '../query-params.js';

const userIdParams = z.strictObject({ id: userIdSchema });

const KNOWN_FIELDS: ReadonlySet<string> = new Set(FIELD_NAMES);

// Auth0's `fields` and `include_fields`, read here into the procedures' own `fields`, so a
// read leaves out what was not asked (identity-provider tokens are then never opened).
const fieldSelection = fieldSelectionQuery;

/**
 * The profile fields a selection asks for; undefined for every field. Names no profile has are
 * passed over, as Auth0 returns nothing for them.
 */
function selectedFields({ fields, include_fields: include = true }: FieldSelection): Array<keyof Profile> | undefined {
  if (!fields?.length) return undefined;
  const named = new Set(fields);
  return FIELD_NAMES.filter((field) => named.has(field) === include);
}

/** A selection that leaves no field is refused rather than answered with empty objects. */
function selectsSomeField(selection: FieldSelection, ctx: z.RefinementCtx): void {
  const selected = selectedFields(selection);
  if (selected === undefined || selected.length > 0) return;
  const message =
    selection.include_fields === false
      ? 'fields excludes every field of a user'
      : `fields names no field of a user (known: ${[...KNOWN_FIELDS].join(', ')})`;
  ctx.addIssue({ code: 'custom', path: ['fields'], message });
}

const listUsersQuery = z
  .strictObject({
    q: listUsersInput.shape.q,
    // Auth0's v2 and v3 read q alike; v1 is gone from Auth0 too.
    search_engine: z.enum(['v2', 'v3']).optional(),
    page: queryInteger(0, 1_000_000).optional(),
    per_page: queryInteger(1, 100).optional(),
    include_totals: queryBoolean.optional(),
    sort: listUsersInput.shape.sort,
    connection: listUsersInput.shape.connection,
    // Tessera's order is always deterministic; Auth0's SDK may send it either way.
    primary_order: queryBoolean.optional(),
    ...fieldSelection,
  })
  .superRefine(selectsSomeField);

const fieldsQuery = z.strictObject(fieldSelection).superRefine(selectsSomeField);

const usersByEmailQuery = z.strictObject({ email: z.string().min(1).max(512), ...fieldSelection }).superRefine(selectsSomeField);

/** Auth0's create body: the contract's, and `verify_email` (Auth0 sends the message unless told otherwise or the address is verified). */
const createUserBody = createUserInput.extend({ verify_email: z.boolean().optional() });

/** Auth0's update body: the contract's changes, `verify_email` and `connection`; `client_id` and the rest are refused. */
const updateUserBody = userChanges.extend({
  verify_email: z.boolean().optional(),
  connection: createUserInput.shape.connection.optional(),
});

/** Auth0's body for linking: the secondary account by provider and user_id (Tessera's user ids are unique across connections). */
const linkBody = z.strictObject({
  provider: z.string().min(1).max(128),
  user_id: z.union([z.string().min(1).max(512), z.number().int().nonnegative()]),
  connection_id: z.string().min(1).max(256).optional(),
});

/** A user as a read with `fields` may answer it: any of the profile's fields. */
const selectedUser = profileSchema.partial();

const usersPage = z.object({
  start: z.number().int(),
  limit: z.number().int(),
  length: z.number().int(),
  total: z.number().int(),
  /** Tessera's addition: `total` is an estimate past SEARCH_EXACT_TOTAL_LIMIT matches. */
  total_estimated: z.literal(true).optional(),
  users: z.array(selectedUser),
});

const unlinkParams = z.strictObject({
  id: userIdSchema,
  provider: z.string().min(1).max(128),
  user_id: z.string().min(1).max(512),
});

export const userOperations = [
  operation({
    method: 'get',
    path: '/users',
    operationId: 'get_users',
    summary: 'Search users',
    tag: 'Users',
    procedure: 'users.list',
    query: listUsersQuery,
    input: ({ query }) => {
      const fields = selectedFields(query);
      return {
        ...(query.q !== undefined ? { q: query.q } : {}),
        ...(query.connection !== undefined ? { connection: query.connection } : {}),
        ...(query.page !== undefined ? { page: query.page } : {}),
        ...(query.per_page !== undefined ? { per_page: query.per_page } : {}),
        ...(query.sort !== undefined ? { sort: query.sort } : {}),
        ...(fields ? { fields } : {}),
        include_totals: query.include_totals === true,
      };
    },
    // Offset paging, which this input always asks for, answers a page; include_totals decides Auth0's shape.
    output: (page, { query }) => (query.include_totals === true ? page : page.users),
    response: z.union([z.array(selectedUser), usersPage]),
  }),
  operation({
    method: 'post',
    path: '/users',
    operationId: 'post_users',
    summary: 'Create a user',
    tag: 'Users',
    procedure: 'users.create',
    body: createUserBody,
    input: ({ body }) => ({ ...body, verify_email: body.verify_email ?? (body.email !== undefined && body.email_verified !== true) }),
    status: 201,
    response: profileSchema,
  }),
  operation({
    method: 'get',
    path: '/users/{id}',
    operationId: 'get_users_by_id',
    summary: 'Get a user',
    tag: 'Users',
    procedure: 'users.get',
    params: userIdParams,
    query: fieldsQuery,
    input: ({ params, query }) => {
      const fields = selectedFields(query);
      return { id: params.id, ...(fields ? { fields } : {}) };
    },
    response: selectedUser,
  }),
  operation({
    method: 'patch',
    path: '/users/{id}',
    operationId: 'patch_users_by_id',
    summary: 'Update a user',
    tag: 'Users',
    procedure: 'users.update',
    params: userIdParams,
    body: updateUserBody,
    // Auth0's PATCH clears metadata patched with `{}`; the tRPC call merges it (a no-op).
    input: ({ params, body }) => ({ ...body, id: params.id, clear_empty_metadata: true }),
    response: profileSchema,
  }),
  operation({
    method: 'delete',
    path: '/users/{id}',
    operationId: 'delete_users_by_id',
    summary: 'Delete a user',
    tag: 'Users',
    procedure: 'users.delete',
    params: userIdParams,
    input: ({ params }) => ({ id: params.id }),
    status: 204,
  }),
  operation({
    method: 'get',
    path: '/users-by-email',
    operationId: 'get_users_by_email',
    summary: 'Find users by email',
    tag: 'Users',
    procedure: 'users.getByEmail',
    query: usersByEmailQuery,
    input: ({ query }) => {
      const fields = selectedFields(query);
      return { email: query.email, ...(fields ? { fields } : {}) };
    },
    response: z.array(selectedUser),
  }),
  operation({
    method: 'post',
    path: '/users/{id}/identities',
    operationId: 'post_identities',
    summary: 'Link a user account into this one',
    tag: 'Users',
    procedure: 'users.link',
    params: userIdParams,
    body: linkBody,
    input: ({ params, body }) => ({ id: params.id, link_with: `${body.provider}|${body.user_id}` }),
    status: 201,
    response: z.array(identitySchema),
  }),
  operation({
    method: 'delete',
    path: '/users/{id}/identities/{provider}/{user_id}',
    operationId: 'delete_user_identity_by_user_id',
    summary: 'Unlink an identity into a user of its own',
    tag: 'Users',
    procedure: 'users.unlink',
    params: unlinkParams,
    input: ({ params }) => ({ id: params.id, provider: params.provider, user_id: params.user_id }),
    response: z.array(identitySchema),
  }),
];
