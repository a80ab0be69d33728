/**
 * Upstream identity providers' tokens at rest: one sealed JSON per identity, bound to it.
 */
import { seal, unseal } from '../../adapters/crypto/sealing.js';
import type { IdpTokens } from './strategy.js';

export const idpTokensBinding = (connectionId: string, externalId: string) => `Identity:${connectionId}:${externalId}`;

export function createIdpTokensSealer(key: Buffer) {
  return {
    seal(connectionId: string, externalId: string, tokens: IdpTokens): string {
      return seal(key, idpTokensBinding(connectionId, externalId), JSON.stringify(tokens));
    },
    open(connectionId: string, externalId: string, sealed: string): IdpTokens {
      return JSON.parse(unseal(key, idpTokensBinding(connectionId, externalId), sealed)) as IdpTokens;
    },
  };
}

export type IdpTokensSealer = ReturnType<typeof createIdpTokensSealer>;
