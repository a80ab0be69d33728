/**
 * The pages of sign-up and "Forgot your password?" on the login page: their forms, and the
 * answers after them, which read the same whether or not the address has an account.
 */
import { html } from './html.js';
import { layout } from './views.js';

export interface SignupView {
  action: string;
  loginUrl: string;
  clientName: string;
  connection: string;
  minPasswordLength: number;
  email?: string | undefined;
  name?: string | undefined;
  error?: string | undefined;
}

export function signupPage(view: SignupView): string {
  return layout(
    'Sign up',
    html`<h1>Sign up to ${view.clientName}</h1>
${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ''}
<form method="post" action="${view.action}" autocomplete="on">
  <input type="hidden" name="connection" value="${view.connection}">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="email" required autofocus value="${view.email ?? ''}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="new-password" required minlength="${view.minPasswordLength}" aria-describedby="password-policy">
  <p id="password-policy" class="muted">At least ${view.minPasswordLength} characters.</p>
  <label for="name">Name <span class="muted">(optional)</span></label>
  <input id="name" name="name" type="text" autocomplete="name" value="${view.name ?? ''}">
  <button type="submit">Sign up</button>
</form>
<p class="muted">Already have an account? <a href="${view.loginUrl}">Log in</a></p>`,
  );
}

/**
 * The one answer to every sign-up that passed its checks: a new address was sent a link to
 * verify it, a taken one a notice to its owner. Nothing on it depends on which.
 */
export function checkEmailPage(view: { email: string; clientName: string; loginUrl: string }): string {
  return layout(
    'Check your email',
    html`<h1>Check your email</h1>
<p role="status">We sent a message to <strong>${view.email}</strong>. Follow the link in it to continue to ${view.clientName}.</p>
<p class="muted"><a href="${view.loginUrl}">Back to log in</a></p>`,
  );
}

export interface ForgotView {
  action: string;
  loginUrl: string;
  connection: string;
  email?: string | undefined;
  error?: string | undefined;
}

export function forgotPage(view: ForgotView): string {
  return layout(
    'Reset your password',
    html`<h1>Reset your password</h1>
${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ''}
<p>Enter the email of your account and we will send you a link to set a new password.</p>
<form method="post" action="${view.action}" autocomplete="on">
  <input type="hidden" name="connection" value="${view.connection}">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="email" required autofocus value="${view.email ?? ''}">
  <button type="submit">Send the link</button>
</form>
<p class="muted"><a href="${view.loginUrl}">Back to log in</a></p>`,
  );
}

/** The one answer to every reset request that passed its checks, whether or not the address has an account. */
export function resetSentPage(view: { email: string; loginUrl: string }): string {
  return layout(
    'Check your email',
    html`<h1>Check your email</h1>
<p role="status">If an account exists for <strong>${view.email}</strong>, we sent it a link to set a new password.</p>
<p class="muted"><a href="${view.loginUrl}">Back to log in</a></p>`,
  );
}

/**
 * A sign-up link followed where its login cannot go on: in another browser, or after the
 * login page expired. The address may well be verified by now; the application's own login
 * is the way on.
 */
export function continueElsewherePage(): string {
  return layout(
    'Continue in your application',
    html`<h1>Continue in your application</h1>
<p>This sign-in cannot go on here: it was started in another browser, or it waited too long. Go back to the application and log in.</p>`,
  );
}
