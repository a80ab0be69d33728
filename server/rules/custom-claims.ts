/**
 * Custom claims of post-login rules: which names a rule may use (namespaced URLs, as Auth0
 * requires, so they never collide with a standard claim) and how they get past
 * oidc-provider's claim filter into ID tokens.
 * @see https://auth0.com/docs/secure/tokens/json-web-tokens/create-custom-claims
 */
import type Provider from 'oidc-provider';

/** An http(s) URL with a path naming the claim: `https://example.com/roles`. */
export function isNamespaced(name: string): boolean {
  if (!URL.canParse(name)) return false;
  const url = new URL(name);
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.host !== '' && url.pathname.length > 1;
}

/** Why a rule may not set this claim, or undefined when it may. */
export function claimNameProblem(name: unknown, issuer: string): string | undefined {
  if (typeof name !== 'string') return 'a claim name must be a string';
  if (!isNamespaced(name)) return `claim "${name}" is not namespaced: name it with a URL such as https://example.com/${name}`;
  // Like Auth0's own domains: claims under the issuer are the provider's, so a rule cannot forge one.
  if (name.startsWith(`${issuer}/`)) return `claim "${name}" is under the issuer's URL, which is reserved`;
  return undefined;
}

/**
 * oidc-provider releases only the claims its `claims` configuration lists, and rules name
 * theirs at run time; so ID tokens also carry the namespaced claims the account made
 * available. findAccount makes them available for use 'id_token' only, so userinfo responses
 * and logout tokens, which go through the same class, never carry them.
 */
export function releaseCustomIdTokenClaims(provider: Provider): void {
  const Base = provider.IdToken;
  // Named as its base: oidc-provider reads an artifact's ttl by its class name.
  class IdToken extends Base {
    override async payload() {
      const custom = Object.fromEntries(Object.entries(this.available).filter(([name]) => isNamespaced(name)));
      return { ...custom, ...(await super.payload()) };
    }
  }
  Object.defineProperty(provider, 'IdToken', { value: IdToken });
}
