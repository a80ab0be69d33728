/**
 * The second step of a login: give a second factor (one form per kind, a code typed or a
 * passkey's button and script, the others offered as links beside it), or, when the policy asks
 * for one the user lacks, add an authenticator app and then keep the recovery codes shown once. Every value is escaped by `html`; the QR code is the
 * SVG Tessera drew itself.
 */
import { html, type SafeHtml, trusted } from './html.js';
import { layout, passkeyForm } from './views.js';

/** The ways to give a second factor at login, in the order they are offered. */
export const SECOND_FACTOR_METHODS = ['totp', 'webauthn', 'recovery-code'] as const;
export type SecondFactorMethod = (typeof SECOND_FACTOR_METHODS)[number];

/** A code typed into the page's one form, posted with the method's name. */
const codeForm = (method: SecondFactorMethod, label: string, input: SafeHtml) => (view: ChallengeView) =>
  html`<form method="post" action="${view.action}" autocomplete="off">
  <input type="hidden" name="method" value="${method}">
  <label for="code">${label}</label>
  ${input}
  <button type="submit">Verify</button>
</form>`;

const TOTP_LABEL = 'Code from your authenticator app';
const totpInput = html`<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="16" required autofocus>`;

/**
 * Per way of giving a second factor: its link among the others, and the form that asks for it.
 * A passkey's form is hidden until its script has seen the browser supports WebAuthn.
 */
const METHODS: Record<SecondFactorMethod, { choose: string; form: (view: ChallengeView) => SafeHtml }> = {
  totp: { choose: 'Use your authenticator app', form: codeForm('totp', TOTP_LABEL, totpInput) },
  webauthn: {
    choose: 'Use a passkey',
    // The words below the form stay only where its script finds no WebAuthn (passkey-login.js removes them).
    form: (view) =>
      view.passkey
        ? html`${passkeyForm(
            view.passkey,
            'Use your passkey',
            `Your passkey did not answer. Try again${view.others.length > 0 ? ', or choose another way below' : ''}.`,
          )}
<p id="passkey-unsupported" class="muted">This browser cannot use your passkey${view.others.length > 0 ? ': choose another way below' : ''}.</p>`
        : html``,
  },
  'recovery-code': {
    choose: 'Use a recovery code',
    form: codeForm(
      'recovery-code',
      'One of your recovery codes',
      html`<input id="code" name="code" type="text" autocomplete="off" spellcheck="false" maxlength="64" required autofocus>`,
    ),
  },
};

export interface ChallengeView {
  /** Where a code's form posts. */
  action: string;
  /** A passkey's form: where its script asks for a challenge, where it posts the answer, the scripts it loads. */
  passkey?: { optionsUrl: string; action: string; scripts: readonly string[] } | undefined;
  abortUrl: string;
  clientName: string;
  method: SecondFactorMethod;
  /** The other ways this user can give a second factor, each with the page that asks for it. */
  others: ReadonlyArray<{ method: SecondFactorMethod; url: string }>;
  error?: string | undefined;
}

const errorOf = (error: string | undefined) => (error ? html`<p class="error" role="alert">${error}</p>` : '');

export function challengePage(view: ChallengeView): string {
  return layout(
    'Two-step verification',
    html`<h1>Two-step verification</h1>
<p class="muted">${view.clientName} asks for a second step.</p>
${errorOf(view.error)}
${METHODS[view.method].form(view)}
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
  <label for="code">${TOTP_LABEL}</label>
  ${totpInput}
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
