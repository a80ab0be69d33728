/**
 * The pages the account mail's links open, in the login page's frame and style: the reset
 * form, the confirmations, and the refusal of a link that cannot be used. Every value is
 * escaped; the ticket travels in the form's body, never in a URL the page links to.
 */
import { html, trusted } from '../interactions/html.js';
import { layout } from '../interactions/views.js';

export const VERIFY_EMAIL_PATH = '/tickets/verify-email';
export const RESET_PASSWORD_PATH = '/tickets/reset-password';

const forApp = (appName: string | undefined) => (appName ? html` for ${appName}` : '');

export function ticketRefusedPage(message: string): string {
  return layout('Link refused', html`<h1>This link cannot be used</h1><p class="error" role="alert">${message}</p>`);
}

export interface EmailVerifiedView {
  email: string | undefined;
  appName: string | undefined;
}

export function emailVerifiedPage(view: EmailVerifiedView): string {
  return layout(
    'Email verified',
    html`<h1>Your email address is verified</h1>
<p>${view.email ? html`${view.email} is the verified address of your account${forApp(view.appName)}.` : html`Your account${forApp(view.appName)} is up to date.`}</p>
<p class="muted">You can close this page.</p>`,
  );
}

export interface ResetFormView {
  ticket: string;
  minLength: number;
  appName: string | undefined;
  email: string | undefined;
  error?: string | undefined;
}

export function resetFormPage(view: ResetFormView): string {
  return layout(
    'Set a new password',
    html`<h1>Set a new password${forApp(view.appName)}</h1>
${view.email ? html`<p class="muted">For ${view.email}.</p>` : ''}
${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ''}
<form method="post" action="${RESET_PASSWORD_PATH}" autocomplete="off">
  <input type="hidden" name="ticket" value="${view.ticket}">
  <label for="password">New password</label>
  <input id="password" name="password" type="password" autocomplete="new-password" required minlength="${String(view.minLength)}" maxlength="1024" aria-describedby="policy"${view.error ? '' : trusted(' autofocus')}>
  <p id="policy" class="muted">At least ${String(view.minLength)} characters.</p>
  <label for="password_again">New password again</label>
  <input id="password_again" name="password_again" type="password" autocomplete="new-password" required minlength="${String(view.minLength)}" maxlength="1024">
  <button type="submit">Change password</button>
</form>`,
  );
}

export function passwordChangedPage(resultUrl: string | undefined, appName: string | undefined): string {
  return layout(
    'Password changed',
    html`<h1>Your password was changed</h1>
<p>Sign in${forApp(appName)} with your new password.</p>
${resultUrl ? html`<p><a href="${resultUrl}">Continue${appName ? html` to ${appName}` : ''}</a></p>` : html`<p class="muted">You can close this page.</p>`}`,
  );
}
