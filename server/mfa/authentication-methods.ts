/**
 * How a login was authenticated, as the ID token tells an application: `amr` lists the methods
 * (RFC 8176 names, and Microsoft's `fed` for a login an upstream provider vouched for) and
 * `acr` says whether they add up to multi-factor authentication. The multi-factor value is the
 * one Auth0 and the OpenID PAPE policies use, so applications written for Auth0 ask for it
 * unchanged in `acr_values`.
 * @see https://www.rfc-editor.org/rfc/rfc8176
 */
export const ACR_MULTI_FACTOR = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';
export const ACR_SINGLE_FACTOR = 'urn:tessera:acr:single-factor';

/** What discovery lists as acr_values_supported, strongest first. */
export const ACR_VALUES = [ACR_MULTI_FACTOR, ACR_SINGLE_FACTOR] as const;

/** pwd: a password; fed: an upstream provider; otp: an authenticator app's code or a recovery code; hwk/swk: a passkey bound to one device, or synced; mfa: more than one factor. */
export const AUTHENTICATION_METHODS = ['pwd', 'fed', 'otp', 'hwk', 'swk', 'mfa'] as const;
export type AuthenticationMethod = (typeof AUTHENTICATION_METHODS)[number];

/** The methods of a list that Tessera knows, in their order: what a session's stored amr is read as. */
export const knownMethods = (amr: readonly unknown[] = []) => AUTHENTICATION_METHODS.filter((method) => amr.includes(method));

/** The methods of a first factor given by a connection: its password form, or its upstream. */
export function firstFactorMethods(connectionKind: 'credentials' | 'redirect'): AuthenticationMethod[] {
  return connectionKind === 'credentials' ? ['pwd'] : ['fed'];
}

export const isMultiFactor = (amr: readonly string[]) => amr.includes('mfa');

/** Whether an authorization request's acr_values (space-separated, RFC 6749 style) asks for multi-factor. */
export const requestsMultiFactor = (acrValues: unknown) => typeof acrValues === 'string' && acrValues.split(' ').includes(ACR_MULTI_FACTOR);

export const acrOf = (amr: readonly string[]) => (isMultiFactor(amr) ? ACR_MULTI_FACTOR : ACR_SINGLE_FACTOR);

/** The login result oidc-provider keeps in the session and copies into every ID token. */
export function loginResult(accountId: string, amr: readonly AuthenticationMethod[]) {
  return { accountId, amr: [...amr], acr: acrOf(amr) };
}
