/**
 * "Sign in with a passkey" on the login page, and passkeys offered in the username field's
 * autofill (conditional UI). Loaded after @simplewebauthn/browser's bundle, which defines
 * SimpleWebAuthnBrowser; the page's policy allows scripts from this origin only, so this is a
 * file, not an inline script. The browser's answer is posted as an ordinary form, so the login
 * that follows navigates as a password login does. The second-factor page loads it too, for its
 * "Use your passkey" button: it has no username field, so no autofill there.
 */
(() => {
  const form = document.getElementById('passkey-form');
  const webauthn = globalThis.SimpleWebAuthnBrowser;
  if (!form || !webauthn?.browserSupportsWebAuthn()) return;
  const status = document.getElementById('passkey-status');
  form.hidden = false;
  // A second-factor page's words for a browser without WebAuthn, which this one is not.
  document.getElementById('passkey-unsupported')?.remove();

  /** A fresh challenge, bound to this login on the server. */
  async function options() {
    const response = await fetch(form.dataset.options, { method: 'POST', headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`no passkey challenge: HTTP ${response.status}`);
    return response.json();
  }

  function submit(answer) {
    form.elements.namedItem('response').value = JSON.stringify(answer);
    form.submit();
  }

  form.querySelector('button').addEventListener('click', async () => {
    status.textContent = '';
    try {
      submit(await webauthn.startAuthentication({ optionsJSON: await options() }));
    } catch (error) {
      // Starting this prompt aborts the autofill one; only this prompt's own failures are shown.
      // The page says what is left to try: the password on the login page, the other ways on a second-factor page.
      if (error?.name !== 'AbortError') status.textContent = form.dataset.failed;
    }
  });

  // This page answering a refused passkey (its URL is the form's action): a browser that answers
  // the autofill prompt by itself would be refused again and again, so the button alone is left.
  if (location.pathname === new URL(form.action).pathname) return;
  if (!document.querySelector("input[autocomplete$='webauthn']")) return;
  webauthn
    .browserSupportsWebAuthnAutofill()
    .then(async (supported) => {
      if (supported) submit(await webauthn.startAuthentication({ optionsJSON: await options(), useBrowserAutofill: true }));
    })
    // Aborted by the button, or never picked: the password form is still there.
    .catch(() => undefined);
})();
