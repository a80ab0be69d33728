/**
 * Options of a `custom` connection: users kept in a database only the operator's scripts know.
 */
import { z } from 'zod';
import { passwordPolicySchema, raiseToPasswordFloor } from '../database-connection.js';
import { mapperOptionSchema, mappingOptionSchema } from '../normalize.js';

export const customOptionsSchema = z.strictObject({
  /**
   * A module inside CODE_DIR (relative to it, or absolute within it) exporting login, create,
   * verify, delete, changePassword and getUser; see ./script.ts.
   */
  script: z.string().min(1).max(1024),
  /**
   * Handed to every script call as `context.configuration` (Auth0's "settings"), so one script
   * serves several legacy databases and keeps their addresses and passwords out of its code.
   */
  configuration: z
    .record(z.string().min(1).max(128), z.string().max(4096))
    .refine((configuration) => Object.keys(configuration).length <= 64, 'must hold at most 64 entries')
    .default({}),
  /** Lazy migration: a user who logs in once is imported, and later logins use the local hash. */
  import_users: z.boolean().default(false),
  password_policy: passwordPolicySchema,
  /** How long one script call may take before it counts as the upstream failing. */
  timeout_ms: z.number().int().min(100).max(60_000).default(5_000),
  mapping: mappingOptionSchema,
  mapper: mapperOptionSchema,
});
export type CustomOptions = z.infer<typeof customOptionsSchema>;

export function customOptions(options: unknown): CustomOptions {
  return customOptionsSchema.parse(raiseToPasswordFloor(options));
}
