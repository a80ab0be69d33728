/**
 * Options of an `ldap` connection: a directory (OpenLDAP, Active Directory) the user binds to.
 */
import { z } from 'zod';
import { mapperOptionSchema, mappingOptionSchema } from '../normalize.js';
import { searchFilterProblem } from './search-filter.js';

export const ldapOptionsSchema = z
  .strictObject({
    url: z.string().regex(/^ldaps?:\/\/[^\s]+$/, 'must be an ldap:// or ldaps:// URL'),
    /** Where users are searched for, e.g. `ou=people,dc=example,dc=org`. */
    search_base: z.string().min(1).max(1024),
    /** `{login}` is replaced by the escaped login the user typed. */
    search_filter: z
      .string()
      .min(1)
      .max(1024)
      .default('(|(uid={login})(mail={login}))')
      .superRefine((template, ctx) => {
        const problem = searchFilterProblem(template);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    /** A service account to search with; anonymous search when omitted. */
    bind_dn: z.string().min(1).max(1024).optional(),
    bind_password: z.string().min(1).max(1024).optional(),
    /** The attribute holding the user's stable id: `uid`, or `entryUUID` / `objectGUID`, which survive renames. */
    id_attribute: z.string().min(1).max(128).default('uid'),
    /** Bounds connecting, each operation and the whole login. */
    timeout_ms: z.number().int().min(100).max(60_000).default(5_000),
    /** How many connections bound as the service account are kept for searches. */
    pool_size: z.number().int().min(1).max(100).default(5),
    mapping: mappingOptionSchema,
    mapper: mapperOptionSchema,
  })
  .refine((options) => (options.bind_dn === undefined) === (options.bind_password === undefined), {
    // A DN with an empty password is an unauthenticated bind, which many directories accept as anonymous.
    message: 'bind_dn and bind_password must be given together',
    path: ['bind_password'],
  });
export type LdapOptions = z.infer<typeof ldapOptionsSchema>;
