/**
 * Who logged in, read from the authorization code Tessera's own authorization endpoint issued
 * for a SAML login. The code is checked as the token endpoint would (this client, this redirect
 * URI, the PKCE verifier the flow kept, its grant, unused and unexpired) and consumed, but no
 * token is issued: the SAML response is the only thing this login produces.
 */
import { createHash, randomBytes } from 'node:crypto';
import type Provider from 'oidc-provider';

export interface CodeBinding {
  clientId: string;
  redirectUri: string;
  codeVerifier: string;
}

export interface RedeemedCode {
  accountId: string;
  /** When the user authenticated, which may be before this SAML request when a session was reused. */
  authTime: Date;
}

export const newCodeVerifier = () => randomBytes(32).toString('base64url');

export const codeChallengeOf = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** The code's account, or undefined for a code that is unknown, used, expired, or issued for another request. */
export async function redeemCode(provider: Provider, value: string, expected: CodeBinding): Promise<RedeemedCode | undefined> {
  const code = await provider.AuthorizationCode.find(value);
  if (
    !code?.isValid ||
    !code.accountId ||
    code.clientId !== expected.clientId ||
    code.redirectUri !== expected.redirectUri ||
    code.codeChallenge !== codeChallengeOf(expected.codeVerifier)
  ) {
    return undefined;
  }
  const grant = code.grantId ? await provider.Grant.find(code.grantId) : undefined;
  if (!grant || grant.accountId !== code.accountId || grant.clientId !== expected.clientId) return undefined;
  await code.consume();
  return { accountId: code.accountId, authTime: new Date((code.authTime ?? Math.floor(Date.now() / 1000)) * 1000) };
}
