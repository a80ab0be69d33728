/**
 * Records consent: extends the interaction's grant (or a new one) with everything the
 * consent prompt found missing, and returns the consent result for the provider.
 */
import type Provider from 'oidc-provider';

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
