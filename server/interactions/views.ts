/**
 * Server-rendered pages: login, consent, logout and errors. Every value is escaped by `html`.
 */
import { html, type SafeHtml, trusted } from './html.js';
import { pageDocument } from './page.js';
import type { ScopeRequest } from './scope-descriptions.js';

const STYLE = `
body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;padding:2rem 2.5rem;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.12);width:100%;max-width:22rem}
h1{font-size:1.3rem;margin:0 0 1rem}
h2{font-size:1rem;margin:1.25rem 0 0}
form+form{border-top:1px solid #e5e7eb;margin-top:1.25rem}
.connections{list-style:none;padding:0;margin:1.25rem 0 0}
.connection{display:block;text-align:center;padding:.55rem;border:1px solid #c4c8cf;border-radius:4px;margin-top:.5rem;text-decoration:none}
label{display:block;margin:.75rem 0 .25rem;font-size:.9rem}
input{width:100%;box-sizing:border-box;padding:.55rem;border:1px solid #c4c8cf;border-radius:4px;font-size:1rem}
button{margin-top:1.25rem;width:100%;padding:.6rem;border:0;border-radius:4px;background:#2f54eb;color:#fff;font-size:1rem;cursor:pointer}
.error{background:#fff1f0;border:1px solid #ffa39e;color:#a8071a;padding:.6rem;border-radius:4px;font-size:.9rem}
.notice{background:#f0f5ff;border:1px solid #adc6ff;padding:.6rem;border-radius:4px;font-size:.9rem}
.muted{color:#6b7280;font-size:.85rem}
ul{padding-left:1.2rem}
a{color:#2f54eb}
`;

/** The frame and style of every Tessera page, for pages kept beside their own routes (the setup page). */
export function layout(title: string, body: SafeHtml): string {
  return pageDocument(title, STYLE, html`<main>${body}</main>`);
}

export interface LoginView {
  action: string;
  abortUrl: string;
  clientName: string;
  username?: string | undefined;
  error?: string | undefined;
  /** A neutral word above the forms, such as where a sign-up goes on from. */
  notice?: string | undefined;
  /**
   * Connections that take a username and password, the one to use first; one form each, with
   * its sign-up and password-reset pages when it has them (account-links.ts).
   */
  credentialConnections: ReadonlyArray<{ name: string; signupUrl?: string | undefined; forgotUrl?: string | undefined }>;
  /** Connections that send the browser upstream (OpenID, SAML), each with its start URL. */
  redirectConnections: ReadonlyArray<{ name: string; url: string }>;
  /** "Sign in with a passkey" (passkey-routes.ts): where its script asks for a challenge, and where it posts the answer. */
  passkey?: { optionsUrl: string; action: string; scripts: readonly string[] } | undefined;
}

function credentialForm(view: LoginView, connection: LoginView['credentialConnections'][number], first: boolean): SafeHtml {
  const id = (field: string) => (first ? field : `${field}-${connection.name}`);
  return html`<form method="post" action="${view.action}" autocomplete="on">
  ${view.credentialConnections.length > 1 ? html`<h2>${connection.name}</h2>` : ''}
  <input type="hidden" name="connection" value="${connection.name}">
  <label for="${id('username')}">Email or username</label>
  <input id="${id('username')}" name="username" type="text" autocomplete="${first && view.passkey ? 'username webauthn' : 'username'}" required${first ? trusted(' autofocus') : ''} value="${first ? (view.username ?? '') : ''}">
  <label for="${id('password')}">Password</label>
  <input id="${id('password')}" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Continue</button>
  ${connection.forgotUrl ? html`<p class="muted"><a href="${connection.forgotUrl}">Forgot your password?</a></p>` : ''}
  ${connection.signupUrl ? html`<p class="muted">No account yet? <a href="${connection.signupUrl}">Sign up</a></p>` : ''}
</form>`;
}

export function loginPage(view: LoginView): string {
  const none = view.credentialConnections.length === 0 && view.redirectConnections.length === 0;
  return layout(
    'Log in',
    html`<h1>Log in to ${view.clientName}</h1>
${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ''}
${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
${view.credentialConnections.map((connection, index) => credentialForm(view, connection, index === 0))}
${
  view.redirectConnections.length
    ? html`<ul class="connections">${view.redirectConnections.map(
        (connection) => html`<li><a class="connection" href="${connection.url}">Continue with ${connection.name}</a></li>`,
      )}</ul>`
    : ''
}
${none ? html`<p class="error">No login method is enabled for this application.</p>` : ''}
${none || !view.passkey ? '' : passkeyForm(view.passkey)}
<p class="muted"><a href="${view.abortUrl}">Cancel</a></p>`,
  );
}

/**
 * Hidden until its script (passkey-login.js) has seen the browser supports WebAuthn; the script
 * fills in the browser's answer and submits the form, so what follows is an ordinary navigation.
 * On the login page, the first username field's `webauthn` autocomplete token lets the browser
 * offer passkeys there too. A page asking for a passkey as a second factor uses the same form
 * and scripts with its own label, URLs, challenge and failure text.
 */
export function passkeyForm(
  passkey: NonNullable<LoginView['passkey']>,
  label = 'Sign in with a passkey',
  /** What the script says when the browser's prompt fails: the ways left on this page. */
  failed = 'Signing in with a passkey did not work. Try again, or use your password.',
): SafeHtml {
  return html`<form id="passkey-form" method="post" action="${passkey.action}" data-options="${passkey.optionsUrl}" data-failed="${failed}" hidden>
  <input type="hidden" name="response">
  <button type="button">${label}</button>
  <p id="passkey-status" class="muted" role="status"></p>
</form>
${passkey.scripts.map((src) => html`<script src="${src}" defer></script>`)}`;
}

export interface ConsentView {
  action: string;
  abortUrl: string;
  clientName: string;
  /** What the client asks for that this user has not yet allowed it, each in words. */
  requests: ScopeRequest[];
}

export function consentPage(view: ConsentView): string {
  return layout(
    'Authorize',
    html`<h1>${view.clientName} wants access to your account</h1>
${view.requests.length ? html`<p>It asks to:</p><ul class="scopes">${view.requests.map((request) => html`<li data-scope="${request.scope}">${request.description} <span class="muted">(${request.scope})</span></li>`)}</ul>` : ''}
<form method="post" action="${view.action}">
  <button type="submit">Allow</button>
</form>
<p class="muted"><a href="${view.abortUrl}">Deny</a></p>`,
  );
}

/** `retryUrl`: where the user can try again, such as the login page of the same flow. */
export function errorPage(title: string, message: string, retryUrl?: string): string {
  return layout(
    title,
    html`<h1>${title}</h1><p class="error" role="alert">${message}</p>${retryUrl ? html`<p class="muted"><a href="${retryUrl}">Back to the login page</a></p>` : ''}`,
  );
}

export function logoutPage(form: SafeHtml, clientName: string | undefined): string {
  return layout(
    'Log out',
    html`<h1>Log out${clientName ? html` of ${clientName}` : ''}?</h1>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, log me out</button>
<button type="submit" form="op.logoutForm" style="background:#6b7280">No, stay logged in</button>`,
  );
}

export function loggedOutPage(clientName: string | undefined): string {
  return layout('Logged out', html`<h1>You are logged out${clientName ? html` of ${clientName}` : ''}.</h1>`);
}
