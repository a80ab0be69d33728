/**
 * The first administrator of a fresh install. While no user holds a management scope, every
 * start offers a single-use setup link: a random token, stored as its SHA-256 in PostgreSQL
 * (so any node can redeem it), valid for an hour or until used. Redeeming it creates a user of
 * the default database connection holding every management scope, under a cluster-wide lock,
 * so two links used at once still make one first administrator. No default password anywhere.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SetupTokenQueries } from '../../adapters/queries/setup-tokens.js';
import type { UserQueries } from '../../adapters/queries/users.js';
import { DEFAULT_DATABASE_CONNECTION } from '../clients/bootstrap.js';
import { consoleUrl } from '../clients/console-client.js';
import { DomainError } from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import { MANAGEMENT_SCOPES } from '../oidc/management-api.js';
import type { Profile } from '../profiles/profile.js';
import type { ProfileService } from '../profiles/profile-service.js';

export const SETUP_LINK_TTL_MS = 60 * 60 * 1000;

/** 32 random bytes in base64url; anything else is not worth a query. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface FirstAdministratorDependencies {
  tokens: SetupTokenQueries;
  users: Pick<UserQueries, 'hasAdministrator'>;
  profiles: Pick<ProfileService, 'createDatabaseUser'>;
  events: Pick<EventBus, 'publish'>;
  /** Tests move it past a link's hour. */
  now?: () => Date;
}

export interface FirstAdministratorInput {
  email: string;
  password: string;
}

/** The link a start prints: the token rides in the query, and pages send no Referer (Referrer-Policy: no-referrer). */
export function setupLink(issuer: string, token: string): string {
  return `${consoleUrl(issuer)}/setup?token=${token}`;
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

export function createFirstAdministratorSetup({ tokens, users, profiles, events, now = () => new Date() }: FirstAdministratorDependencies) {
  /** Why the token cannot create the first administrator now; undefined when it can. */
  async function refusal(token: string, transaction?: Parameters<SetupTokenQueries['markUsed']>[2]): Promise<DomainError | undefined> {
    if (await users.hasAdministrator(transaction)) {
      return new DomainError(
        'setup.admin_exists',
        'An administrator already exists, so setup links no longer work. Sign in to the console, or ask an administrator for an account.',
      );
    }
    const found = TOKEN_SHAPE.test(token) ? await tokens.find(hashOf(token), transaction) : undefined;
    if (!found) {
      return new DomainError('setup.link_refused', 'This setup link is not valid. Use the link printed by the latest start of Tessera.');
    }
    if (found.used_at) return new DomainError('setup.link_refused', 'This setup link has already been used.');
    if (found.expires_at.getTime() <= now().getTime()) {
      return new DomainError(
        'setup.link_refused',
        'This setup link has expired. Restart Tessera: while there is no administrator, every start prints a new link.',
      );
    }
    return undefined;
  }

  return {
    /** A new setup token when no administrator exists, else undefined. */
    async offer(): Promise<string | undefined> {
      if (await users.hasAdministrator()) return undefined;
      const token = randomBytes(32).toString('base64url');
      const issued = now();
      await tokens.insert(hashOf(token), new Date(issued.getTime() + SETUP_LINK_TTL_MS), issued);
      return token;
    },

    refusal: (token: string) => refusal(token),

    /** Creates the first administrator and spends the token; a refused password or email leaves the token unspent. */
    async create(token: string, input: FirstAdministratorInput): Promise<Profile> {
      const profile = await tokens.exclusively(async (transaction) => {
        const refused = await refusal(token, transaction);
        if (refused) throw refused;
        const created = await profiles.createDatabaseUser({
          connection: DEFAULT_DATABASE_CONNECTION,
          email: input.email,
          password: input.password,
          management_scopes: [...MANAGEMENT_SCOPES],
        });
        await tokens.markUsed(hashOf(token), now(), transaction);
        return created;
      });
      await events.publish('user.created', profile.user_id);
      return profile;
    },
  };
}

export type FirstAdministratorSetup = ReturnType<typeof createFirstAdministratorSetup>;
