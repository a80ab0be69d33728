/**
 * A connection in Auth0's shape, both ways: Auth0's strategy names for the strategies it shares
 * with Tessera (`auth0` is Tessera's `database`, `samlp` its `saml`), its request bodies translated
 * into connections.create and connections.update inputs, and a connection view into Auth0's answer.
 * Options keep Tessera's names and are checked by the procedures, per strategy.
 */
import { z } from 'zod';
import {
  CONNECTION_STRATEGIES,
  type ConnectionStrategy,
  type ConnectionView,
  connectionChanges,
  type createConnectionInput,
} from '../../server/connections/connection-schemas.js';

/** Auth0's name for a strategy where it differs from Tessera's. */
const AUTH0_STRATEGY_NAMES: Partial<Record<ConnectionStrategy, string>> = { database: 'auth0', saml: 'samlp' };
const TESSERA_STRATEGIES: Record<string, ConnectionStrategy> = Object.fromEntries([
  ...CONNECTION_STRATEGIES.map((strategy) => [strategy, strategy] as const),
  ...Object.entries(AUTH0_STRATEGY_NAMES).map(([strategy, auth0Name]) => [auth0Name, strategy as ConnectionStrategy] as const),
]);

/** Every name a strategy is accepted under: Auth0's, and Tessera's own. */
export const STRATEGY_NAMES = Object.keys(TESSERA_STRATEGIES) as [string, ...string[]];

/** A strategy as Auth0 names it (`database` → `auth0`). */
export function auth0StrategyName(strategy: string): string {
  return AUTH0_STRATEGY_NAMES[strategy as ConnectionStrategy] ?? strategy;
}

/** A strategy name as a request may give it, parsed into Tessera's. */
export const strategyName = z.enum(STRATEGY_NAMES).transform((name) => TESSERA_STRATEGIES[name] as ConnectionStrategy);

const options = z.record(z.string(), z.unknown());

/**
 * POST /connections. Tessera keeps no display name apart from the name: `display_name` is taken
 * only when it is the name, what Auth0 shows when none is given.
 */
export const auth0CreateConnectionBody = z
  .strictObject({
    name: z.string().min(1).max(128),
    display_name: z.string().min(1).max(128).optional(),
    strategy: strategyName,
    options: options.optional(),
    enabled_clients: connectionChanges.shape.enabled_clients,
  })
  .refine((body) => body.display_name === undefined || body.display_name === body.name, {
    path: ['display_name'],
    message: 'Tessera shows a connection under its name: display_name must be the name or left out',
  });

/** PATCH /connections/{id}: options replaced as a whole (as Auth0 does), and the enabled clients. */
export const auth0UpdateConnectionBody = z.strictObject({
  options: options.optional(),
  enabled_clients: connectionChanges.shape.enabled_clients,
});

type CreateInput = z.input<typeof createConnectionInput>;

/** connections.create's input for Auth0's POST /connections body; the procedure checks the options per strategy. */
export function createConnectionInputOf(body: z.output<typeof auth0CreateConnectionBody>): CreateInput {
  const { display_name: _shownAsName, options: given, enabled_clients: enabled, ...rest } = body;
  // The options are the procedure's to check: its union over strategy says what each one takes.
  return { ...rest, ...(given ? { options: given } : {}), ...(enabled ? { enabled_clients: enabled } : {}) } as CreateInput;
}

/** A connection as Auth0 answers it, for the OpenAPI document; auth0Connection below is typed by it. */
export const auth0ConnectionSchema = z.object({
  id: z.string(),
  name: z.string(),
  display_name: z.string(),
  strategy: z.string().describe('auth0 (Tessera database), samlp (Tessera saml), oidc, ldap or custom'),
  options: z.record(z.string(), z.unknown()).describe('The strategy’s options, without its secrets.'),
  enabled_clients: z.array(z.string()),
});
export type Auth0Connection = z.infer<typeof auth0ConnectionSchema>;

/** A connection as Auth0 answers it; secret options stay out, as the procedures already leave them. */
export function auth0Connection(view: ConnectionView): Auth0Connection {
  return {
    id: view.id,
    name: view.name,
    display_name: view.name,
    strategy: auth0StrategyName(view.strategy),
    options: view.options,
    enabled_clients: view.enabled_clients,
  };
}
