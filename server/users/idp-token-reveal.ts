/**
 * Identity-provider tokens for callers allowed to read them (`read:user_idp_tokens`): opened
 * from each identity's sealed `idp_tokens` when asked, onto copies of the profiles, so the
 * profile cache, which holds the profiles themselves, never holds a token.
 */
import type { ConnectionQueries } from '../../adapters/queries/connections.js';
import type { IdpTokensSealer } from '../connections/idp-tokens.js';
import type { IdpTokens } from '../connections/strategy.js';
import type { Logger } from '../logger.js';
import type { Identity, Profile } from '../profiles/profile.js';

export interface IdpTokenRevealDependencies {
  connections: ConnectionQueries;
  sealer: IdpTokensSealer;
  logger: Logger;
}

const identityKey = (userId: string, connection: string, externalId: string) => JSON.stringify([userId, connection, externalId]);

function withTokens(identity: Identity, tokens: IdpTokens | undefined): Identity {
  if (!tokens) return identity;
  return {
    ...identity,
    ...(tokens.access_token ? { access_token: tokens.access_token } : {}),
    ...(tokens.refresh_token ? { refresh_token: tokens.refresh_token } : {}),
  };
}

export function createIdpTokenReveal({ connections, sealer, logger }: IdpTokenRevealDependencies) {
  const log = logger.child({ component: 'idp-tokens' });

  return {
    /** The profiles with their identities' upstream tokens, read in one query; the profiles given are left as they are. */
    async reveal(profiles: readonly Profile[]): Promise<Profile[]> {
      const rows = await connections.sealedIdpTokens(profiles.map((profile) => profile.user_id));
      const tokens = new Map<string, IdpTokens>();
      for (const row of rows) {
        try {
          tokens.set(
            identityKey(row.user_id, row.connection, row.external_id),
            sealer.open(row.connection_id, row.external_id, row.idp_tokens),
          );
        } catch (error) {
          // One unreadable row (another key, a damaged value) must not make the user unreadable.
          log.warn(
            { user_id: row.user_id, connection: row.connection, err: (error as Error).message },
            'upstream tokens could not be opened',
          );
        }
      }
      return profiles.map((profile) => ({
        ...profile,
        identities: profile.identities.map((identity) =>
          withTokens(identity, tokens.get(identityKey(profile.user_id, identity.connection, identity.user_id))),
        ),
      }));
    },
  };
}

export type IdpTokenReveal = ReturnType<typeof createIdpTokenReveal>;
