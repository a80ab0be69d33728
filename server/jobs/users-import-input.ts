/**
 * What jobs.importUsers takes (and POST /jobs/users-imports, through it): Auth0's request, with
 * the file's text in `users`. The file is bounded so a node holds a known amount per job.
 */
import { z } from 'zod';

export const MAX_IMPORT_FILE_BYTES = 64 * 1024 * 1024;

export const importUsersInput = z.strictObject({
  connection_id: z.string().min(1).max(128),
  users: z
    .string()
    .min(1)
    .max(MAX_IMPORT_FILE_BYTES)
    .refine((text) => Buffer.byteLength(text, 'utf8') <= MAX_IMPORT_FILE_BYTES, `must not exceed ${MAX_IMPORT_FILE_BYTES} bytes`),
  upsert: z.boolean().optional(),
  external_id: z.string().min(1).max(255).optional(),
  /** Accepted as Auth0 does; Tessera has no tenant owners to write to, so no mail is sent. */
  send_completion_email: z.boolean().optional(),
});

export type ImportUsersInput = z.infer<typeof importUsersInput>;
