/**
 * Inputs of connections.* (docs/contract.md's procedure table) as zod schemas. Options are checked by
 * a union over `strategy`, one entry per strategy, so a new strategy is one line here.
 */
import { z } from 'zod';
import { clientIdSchema } from '../clients/client-schemas.js';
import { customOptionsSchema } from './custom/options.js';
import { databaseOptionsSchema } from './database-connection.js';
import { ldapOptionsSchema } from './ldap/options.js';
import { oidcOptionsSchema } from './oidc/options.js';
import { samlOptionsSchema } from './saml/options.js';

export const CONNECTION_STRATEGIES = ['database', 'oidc', 'ldap', 'saml', 'custom'] as const;
export type ConnectionStrategy = (typeof CONNECTION_STRATEGIES)[number];

const distinct = <T>(values: readonly T[]) => new Set(values).size === values.length;

export const connectionIdSchema = z.string().min(1).max(128);
// Auth0's rule: users.create and `connection=` at login name it, so keep it plain.
const connectionName = z
  .string()
  .min(1)
  .max(128)
  .regex(
    /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/,
    'must start and end with a letter or digit and hold only letters, digits and dashes',
  );
const enabledClients = z.array(clientIdSchema).max(1000).refine(distinct, 'must not repeat a client');

const connectionFields = z.strictObject({
  name: connectionName,
  /** client_ids; none when omitted, as in Auth0. */
  enabled_clients: enabledClients.default([]),
});

export const createConnectionInput = z.discriminatedUnion('strategy', [
  connectionFields.extend({ strategy: z.literal('database'), options: databaseOptionsSchema.prefault({}) }),
  connectionFields.extend({ strategy: z.literal('oidc'), options: oidcOptionsSchema }),
  connectionFields.extend({ strategy: z.literal('ldap'), options: ldapOptionsSchema }),
  connectionFields.extend({ strategy: z.literal('saml'), options: samlOptionsSchema }),
  connectionFields.extend({ strategy: z.literal('custom'), options: customOptionsSchema }),
]);
export type CreateConnectionInput = z.infer<typeof createConnectionInput>;

/** New options for an existing connection, checked by the same entry of the union as on create. */
export function parseOptions(strategy: string, name: string, options: unknown) {
  return createConnectionInput.safeParse({ name, strategy, options });
}

/** `name` and `strategy` may be repeated but not changed: users, clients and logins refer to them. */
export const connectionChanges = z.strictObject({
  name: connectionName.optional(),
  strategy: z.enum(CONNECTION_STRATEGIES).optional(),
  /** Replaces the options as a whole, defaults filled in again, as Auth0's PATCH does. */
  options: z.record(z.string(), z.unknown()).optional(),
  enabled_clients: enabledClients.optional(),
});
export type ConnectionChanges = z.infer<typeof connectionChanges>;

export const updateConnectionInput = connectionChanges.extend({ id: connectionIdSchema });

export const connectionIdInput = z.strictObject({ id: connectionIdSchema });

export const deleteConnectionInput = z.strictObject({
  id: connectionIdSchema,
  /** Also delete the users whose identities are in the connection. */
  cascade: z.boolean().default(false),
});

const strategy = z.enum(CONNECTION_STRATEGIES);

export const listConnectionsInput = z
  .strictObject({
    /** One strategy, or any of several (Auth0's repeated `strategy`). */
    strategy: z.union([strategy, z.array(strategy).min(1).max(CONNECTION_STRATEGIES.length)]).optional(),
    /** Only the connection of this name. */
    name: connectionName.optional(),
    page: z.number().int().min(0).default(0),
    per_page: z.number().int().min(1).max(100).default(50),
  })
  .prefault({});
export type ListConnectionsInput = z.infer<typeof listConnectionsInput>;

export interface ConnectionView {
  id: string;
  name: string;
  strategy: string;
  options: Record<string, unknown>;
  enabled_clients: string[];
}
