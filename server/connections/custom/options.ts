/**
 * Options of a `custom` connection: users kept in a database only the operator's scripts know.
 */
import { z } from 'zod';
import { mapperOptionSchema, mappingOptionSchema } from '../normalize.js';

export const customOptionsSchema = z.strictObject({
  /** A module exporting login, create, verify, delete, changePassword and getUser. */
  script: z.string().min(1).max(1024),
  /** Lazy migration: a user who logs in once is imported, and later logins use the local hash. */
  import_users: z.boolean().default(false),
  password_policy: z.strictObject({ min_length: z.number().int().min(1).max(128).default(8) }).default({ min_length: 8 }),
  timeout_ms: z.number().int().min(100).max(60_000).default(5_000),
  mapping: mappingOptionSchema,
  mapper: mapperOptionSchema,
});
export type CustomOptions = z.infer<typeof customOptionsSchema>;
