/**
 * The HTTP-POST binding's page: a form that carries the SAML response to the service
 * provider's assertion consumer service. One inline script submits it at once; the page's
 * Content-Security-Policy allows exactly that script by its hash, nothing else, and the
 * button still works where scripts do not run.
 * @see https://docs.oasis-open.org/security/saml/v2.0/saml-bindings-2.0-os.pdf §3.5.4
 */
import { html, trusted } from '../interactions/html.js';
import { pageDocument, pagePolicy } from '../interactions/page.js';

const SUBMIT_SCRIPT = 'document.forms[0].submit();';
const STYLE =
  'body{font-family:system-ui,sans-serif;display:flex;min-height:100vh;align-items:center;justify-content:center;margin:0}button{padding:.6rem 1.2rem;font-size:1rem}';

/** Every page's policy plus this page's one script. form-action stays open: the form goes to the service provider. */
export const POST_FORM_CSP = pagePolicy([SUBMIT_SCRIPT]);

export interface PostForm {
  action: string;
  samlResponse: string;
  relayState: string | undefined;
  applicationName: string;
}

export function postFormPage({ action, samlResponse, relayState, applicationName }: PostForm): string {
  return pageDocument(
    'Signing you in',
    STYLE,
    html`
<form method="post" action="${action}">
<input type="hidden" name="SAMLResponse" value="${samlResponse}">
${relayState === undefined ? '' : html`<input type="hidden" name="RelayState" value="${relayState}">`}
<p>Signing you in to ${applicationName}…</p>
<button type="submit">Continue</button>
</form>
<script>${trusted(SUBMIT_SCRIPT)}</script>
`,
  );
}
