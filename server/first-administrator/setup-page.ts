/**
 * The pages of the first administrator's setup, in the login page's frame and style: the form,
 * the refusal of a link that cannot be used, and the confirmation. Every value is escaped.
 */
import { html, trusted } from '../interactions/html.js';
import { layout } from '../interactions/views.js';

export const SETUP_PATH = '/admin/setup';

export interface SetupFormView {
  token: string;
  connection: string;
  email?: string | undefined;
  error?: string | undefined;
}

export function setupFormPage(view: SetupFormView): string {
  return layout(
    'Create the first administrator',
    html`<h1>Create the first administrator</h1>
<p class="muted">This account may do everything in the console and the management API. It is a user of the ${view.connection} connection.</p>
${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ''}
<form method="post" action="${SETUP_PATH}" autocomplete="on">
  <input type="hidden" name="token" value="${view.token}">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="username" required${view.error ? '' : trusted(' autofocus')} value="${view.email ?? ''}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="new-password" required>
  <label for="password_again">Password again</label>
  <input id="password_again" name="password_again" type="password" autocomplete="new-password" required>
  <button type="submit">Create administrator</button>
</form>`,
  );
}

export function setupRefusedPage(message: string): string {
  return layout('Setup link refused', html`<h1>This setup link cannot be used</h1><p class="error" role="alert">${message}</p>`);
}

export function setupDonePage(email: string, consoleUrl: string): string {
  return layout(
    'Administrator created',
    html`<h1>Administrator created</h1>
<p>${email} may now sign in to the console.</p>
<p><a href="${consoleUrl}">Open the console</a></p>`,
  );
}
