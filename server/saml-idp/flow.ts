/**
 * The one-shot login flow that carries a SAML AuthnRequest through Tessera's own authorization
 * endpoint to the callback, and the cookie that ties it to the browser that brought it.
 */

/** As long as the interaction it leads to: the person may take a while on the login page. */
export const FLOW_TTL_SECONDS = 60 * 60;

/** What the flow keeps between the AuthnRequest and the callback; a type alias, which (unlike an interface) fits the flows' JSON record. */
export type SamlFlow = {
  kind: 'saml-idp';
  clientId: string;
  requestId: string;
  relayState: string | null;
  codeVerifier: string;
  /** Also set as a cookie: the callback only answers the browser that brought the request. */
  browserKey: string;
};

export const browserCookie = (flowId: string) => `tessera.samlp.${flowId}`;
