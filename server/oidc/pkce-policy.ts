/**
 * PKCE for every authorization code flow (RFC 9700 §2.1.1), unless an operator opts a
 * confidential client out with `require_pkce: false` for a relying party that cannot send it.
 * A public client has no secret to bind its code to, so it never opts out.
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-2.1.1
 */
import type { Client } from 'oidc-provider';

/** Client metadata, beside OAuth's own `require_*` names (RFC 9126's require_pushed_authorization_requests). */
export const REQUIRE_PKCE = 'require_pkce';

export function pkceRequired(client: Client): boolean {
  return client.clientAuthMethod === 'none' || client[REQUIRE_PKCE] !== false;
}
