/**
 * Records consent: extends the interaction's grant (or a new one) with everything the
 * consent prompt found missing, and returns the consent result for the provider. A first-party
 * application's consent is taken for granted; when its request asks only for OpenID scopes, it
 * is given with the login itself.
 */
import type Provider from 'oidc-provider';
import { OIDC_SCOPES } from '../oidc/claims.js';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

export async function grantConsent(provider: Provider, details: Details): Promise<{ grantId?: string }> {
  const accountId = details.session?.accountId;
  if (!accountId) throw new Error('consent requested before login');
  const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  const grant = existing ?? new provider.Grant({ accountId, clientId: String(details.params['client_id']) });

  const missing = details.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  return existing ? {} : { grantId };
}

const OIDC_SCOPE_SET: ReadonlySet<string> = new Set(OIDC_SCOPES);

/**
 * The consent a first-party application would be given at the next step, given with its login
 * instead: the browser is spared a second interaction and its round trips. Only for a request
 * that asks for OpenID scopes alone, in a session that holds no grant for the application yet,
 * where that grant is everything the consent step would give; whatever else the provider finds
 * missing, the consent step still grants.
 */
export async function consentWithLogin(
  provider: Provider,
  details: Details,
  accountId: string,
): Promise<{ consent: { grantId: string } } | undefined> {
  if (details.grantId) return undefined;
  const requested = details.params['scope'];
  const scopes = typeof requested === 'string' ? requested.split(' ').filter(Boolean) : [];
  if (scopes.length === 0 || !scopes.every((scope) => OIDC_SCOPE_SET.has(scope))) return undefined;
  const clientId = String(details.params['client_id']);
  const client = await provider.Client.find(clientId);
  if (client?.['is_first_party'] !== true) return undefined;
  const grant = new provider.Grant({ accountId, clientId });
  grant.addOIDCScope(scopes.join(' '));
  return { consent: { grantId: await grant.save() } };
}
