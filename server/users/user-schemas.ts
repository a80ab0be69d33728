/**
 * Inputs of the user operations (docs/contract.md's users.* table), as zod schemas: the types come
 * from them and unknown keys are refused.
 */
import { z } from 'zod';
import { ROOT_COLUMNS as STORED_ROOT_COLUMNS } from '../../adapters/queries/users.js';
import { MANAGEMENT_SCOPES } from '../oidc/management-api.js';
import { pictureSchema } from '../profiles/picture-url.js';
import { profileFields } from '../profiles/profile-fields.js';
import { metadataProblem } from './metadata-limits.js';

const text = (max: number) => z.string().min(1).max(max);
const metadataKey = z.string().min(1).max(255);
/** `value` is z.unknown() on create, and also null (remove the key) on update. */
const metadata = (value: z.ZodType) =>
  z.record(metadataKey, value).superRefine((fields, ctx) => {
    const problem = metadataProblem(fields);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const userIdSchema = z
  .string()
  .min(3)
  .max(512)
  .regex(/^[^|]+\|.+$/, 'must look like <provider>|<id>');

const email = z.email().max(512);
const username = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^\s@]+$/, 'must not contain spaces or @');
const phoneNumber = z.string().regex(/^\+[1-9]\d{1,14}$/, 'must be an E.164 number such as +15555550100');
const picture = z.url().pipe(pictureSchema);
const password = z.string().max(1024);
/** What the user may do with the management API (an operator); only a caller holding every one of them may grant them. */
const managementScopes = z.array(z.enum(MANAGEMENT_SCOPES)).max(MANAGEMENT_SCOPES.length);

export const createUserInput = z.strictObject({
  connection: text(128),
  password: password.optional(),
  email: email.optional(),
  email_verified: z.boolean().optional(),
  username: username.optional(),
  phone_number: phoneNumber.optional(),
  phone_verified: z.boolean().optional(),
  name: text(300).optional(),
  nickname: text(300).optional(),
  given_name: text(150).optional(),
  family_name: text(150).optional(),
  picture: picture.optional(),
  locale: text(35).optional(),
  blocked: z.boolean().optional(),
  user_metadata: metadata(z.unknown()).optional(),
  app_metadata: metadata(z.unknown()).optional(),
  management_scopes: managementScopes.optional(),
});
export type CreateUserInput = z.infer<typeof createUserInput>;

/** Root attributes are replaced (null clears one); metadata merges at the top level, null removes a key. */
export const userChanges = z.strictObject({
  email: email.nullable().optional(),
  email_verified: z.boolean().optional(),
  username: username.nullable().optional(),
  phone_number: phoneNumber.nullable().optional(),
  phone_verified: z.boolean().optional(),
  name: text(300).nullable().optional(),
  nickname: text(300).nullable().optional(),
  given_name: text(150).nullable().optional(),
  family_name: text(150).nullable().optional(),
  picture: picture.nullable().optional(),
  locale: text(35).nullable().optional(),
  blocked: z.boolean().optional(),
  password: password.optional(),
  user_metadata: metadata(z.unknown().nullable()).optional(),
  app_metadata: metadata(z.unknown().nullable()).optional(),
  /** Replaces the scopes the user holds; [] makes them an ordinary user again. */
  management_scopes: managementScopes.optional(),
});
export type UserChanges = z.infer<typeof userChanges>;

export const updateUserInput = userChanges.extend({ id: userIdSchema });

/** What `me.update` may change: docs/contract.md's list, nothing the operator owns. */
export const selfChanges = userChanges.pick({
  name: true,
  nickname: true,
  given_name: true,
  family_name: true,
  picture: true,
  locale: true,
  user_metadata: true,
});

// Every column an update can set must be an attribute the update input accepts.
export const ROOT_COLUMNS = STORED_ROOT_COLUMNS satisfies ReadonlyArray<keyof UserChanges>;

const query = z.string().max(4096).optional();

/** users.list: offset pages (`page`, `per_page`, `include_totals`, `sort`) or checkpoint pages (`from`, `take`). */
export const listUsersInput = z
  .strictObject({
    q: query,
    /** Only users with an identity of this connection, as `identities.connection:"<name>"` in q. */
    connection: text(128).optional(),
    fields: profileFields.optional(),
    page: z.number().int().min(0).optional(),
    per_page: z.number().int().min(1).max(100).optional(),
    include_totals: z.boolean().optional(),
    sort: z.string().max(64).optional(),
    from: z.string().min(1).max(512).optional(),
    take: z.number().int().min(1).max(100).optional(),
  })
  .superRefine((input, ctx) => {
    const checkpoint = input.from !== undefined || input.take !== undefined;
    if (!checkpoint) return;
    for (const key of ['page', 'per_page', 'include_totals', 'sort'] as const) {
      if (input[key] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: `${key} cannot be combined with checkpoint paging (from/take)` });
      }
    }
  });
export type ListUsersInput = z.infer<typeof listUsersInput>;
