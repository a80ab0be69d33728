/**
 * Options of an `ldap` connection: a directory (OpenLDAP, Active Directory) the user binds to.
 */
import { z } from 'zod';
import { mapperOptionSchema, mappingOptionSchema } from '../normalize.js';

export const ldapOptionsSchema = z.strictObject({
  url: z.string().regex(/^ldaps?:\/\/[^\s]+$/, 'must be an ldap:// or ldaps:// URL'),
  /** Where users are searched for, e.g. `ou=people,dc=example,dc=org`. */
  search_base: z.string().min(1).max(1024),
  /** `{login}` is replaced by the escaped login the user typed. */
  search_filter: z.string().min(1).max(1024).default('(|(uid={login})(mail={login}))'),
  /** A service account to search with; anonymous search when omitted. */
  bind_dn: z.string().min(1).max(1024).optional(),
  bind_password: z.string().min(1).max(1024).optional(),
  /** The attribute holding the user's stable id. */
  id_attribute: z.string().min(1).max(128).default('uid'),
  timeout_ms: z.number().int().min(100).max(60_000).default(5_000),
  pool_size: z.number().int().min(1).max(100).default(5),
  mapping: mappingOptionSchema,
  mapper: mapperOptionSchema,
});
export type LdapOptions = z.infer<typeof ldapOptionsSchema>;
