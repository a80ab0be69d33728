/**
 * The second step of a login: give a second factor (one form per kind, the others offered as
 * links beside it), or, when the policy asks for one the user lacks, add an authenticator app and
 * then keep the recovery codes shown once. Every value is escaped by `html`; the QR code is the
 * SVG Tessera drew itself.
 */
import { html, type SafeHtml, trusted } from './html.js';
import { layout } from './views.js';

/** The ways to give a second factor at login, in the order they are offered. */
export const SECOND_FACTOR_METHODS = ['totp', 'recovery-code'] as const;
export type SecondFactorMethod = (typeof SECOND_FACTOR_METHODS)[number];

const METHODS: Record<SecondFactorMethod, { label: string; choose: string; input: (autofocus: SafeHtml) => SafeHtml }> = {
  totp: {
    label: 'Code from your authenticator app',
    choose: 'Use your authenticator app',
    input: (autofocus) =>
      html`<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="16" required${autofocus}>`,
  },
  'recovery-code': {
    label: 'One of your recovery codes',
    choose: 'Use a recovery code',
    input: (autofocus) =>
      html`<input id="code" name="code" type="text" autocomplete="off" spellcheck="false" maxlength="64" required${autofocus}>`,
  },
};

export interface ChallengeView {
  action: string;
  abortUrl: string;
  clientName: string;
  method: SecondFactorMethod;
  /** The other ways this user can give a second factor, each with the page that asks for it. */
  others: ReadonlyArray<{ method: SecondFactorMethod; url: string }>;
  error?: string | undefined;
}

const errorOf = (error: string | undefined) => (error ? html`<p class="error" role="alert">${error}</p>` : '');

export function challengePage(view: ChallengeView): string {
  const method = METHODS[view.method];
  return layout(
    'Two-step verification',
    html`<h1>Two-step verification</h1>
<p class="muted">${view.clientName} asks for a second step.</p>
${errorOf(view.error)}
<form method="post" action="${view.action}" autocomplete="off">
  <input type="hidden" name="method" value="${view.method}">
  <label for="code">${method.label}</label>
  ${method.input(trusted(' autofocus'))}
  <button type="submit">Verify</button>
</form>
${
  view.others.length
    ? html`<ul class="connections">${view.others.map(
        (other) =>
          html`<li><a class="connection" data-method="${other.method}" href="${other.url}">${METHODS[other.method].choose}</a></li>`,
      )}</ul>`
    : ''
}
<p class="muted"><a href="${view.abortUrl}">Cancel</a></p>`,
  );
}

export interface EnrolView {
  action: string;
  abortUrl: string;
  clientName: string;
  authenticatorId: string;
  secret: string;
  /** Drawn by Tessera (qrcode), from the otpauth URI of this secret. */
  qrSvg: string;
  error?: string | undefined;
}

export function enrolPage(view: EnrolView): string {
  return layout(
    'Set up two-step verification',
    html`<h1>Set up two-step verification</h1>
<p class="muted">${view.clientName} asks for a second step at every login. Scan this code with an authenticator app, or type the key into it.</p>
<div class="qr" style="max-width:12rem;margin:0 auto">${trusted(view.qrSvg)}</div>
<p>Key: <code class="secret">${view.secret}</code></p>
${errorOf(view.error)}
<form method="post" action="${view.action}" autocomplete="off">
  <input type="hidden" name="method" value="totp-enrol">
  <input type="hidden" name="authenticator_id" value="${view.authenticatorId}">
  <label for="code">${METHODS.totp.label}</label>
  ${METHODS.totp.input(trusted(' autofocus'))}
  <button type="submit">Verify</button>
</form>
<p class="muted"><a href="${view.abortUrl}">Cancel</a></p>`,
  );
}

export function recoveryCodesPage(codes: readonly string[], continueUrl: string): string {
  return layout(
    'Your recovery codes',
    html`<h1>Save your recovery codes</h1>
<p>If you lose your phone, each of these codes lets you in once. Keep them somewhere safe: this is the only time they are shown.</p>
<ul class="recovery-codes">${codes.map((code) => html`<li><code>${code}</code></li>`)}</ul>
<p><a class="connection" href="${continueUrl}">Continue</a></p>`,
  );
}
