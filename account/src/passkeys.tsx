/**
 * The person's passkeys: adding one (named, so they can tell them apart), listing them with when
 * each was added and last used, and removing one. The browser's prompt is @simplewebauthn/browser's
 * startRegistration over the options me.passkeys.registrationOptions gives; the list and removal
 * are me.authenticators' (passkeys are its `webauthn` authenticators). A first passkey, the
 * person's first factor, comes with recovery codes, shown here once as the two-step part does.
 * Adding is offered only where it can work: me.settings says whether the issuer allows passkeys
 * (not an IP address), and the browser whether it supports WebAuthn.
 */
import { browserSupportsWebAuthn, type PublicKeyCredentialCreationOptionsJSON, startRegistration } from '@simplewebauthn/browser';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { FailureAlert } from '../../console/src/failure-alert.js';
import { shownTime } from '../../console/src/shown-time.js';
import type { Me, PartProps } from './account.js';
import { useAttempt } from './attempt.js';
import { RecoveryCodesShown } from './recovery-codes.js';

type Authenticator = Me['authenticators']['list'][number];

const when = (value: string | null) => shownTime(value, 'Never');

/** The browser's refusal in words: the person closed the prompt, or the authenticator holds this passkey already. */
function promptFailure(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  if (name === 'InvalidStateError') return 'This device already holds a passkey for your account.';
  if (name === 'NotAllowedError' || name === 'AbortError') return 'No passkey was added: the prompt was closed or timed out.';
  return 'This browser could not create a passkey.';
}

/** `possible`: me.settings' `passkeys`, false when the issuer is an IP address, which WebAuthn refuses. */
export function Passkeys({ api, refused, possible }: PartProps & { possible: boolean }) {
  const [passkeys, setPasskeys] = useState<Authenticator[] | undefined>();
  const [name, setName] = useState('');
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | undefined>();
  const [recoveryCodes, setRecoveryCodes] = useState<readonly string[] | undefined>();
  const { failure, attempt } = useAttempt(refused);
  const supported = browserSupportsWebAuthn();

  const load = useCallback(async () => {
    const all = await attempt(() => api.me.authenticators.list.query());
    if (all) setPasskeys(all.filter((authenticator) => authenticator.type === 'webauthn'));
  }, [api, attempt]);

  useEffect(() => {
    void load();
  }, [load]);

  const add = async (event: FormEvent) => {
    event.preventDefault();
    setNotice(undefined);
    const options = await attempt(() => api.me.passkeys.registrationOptions.mutate());
    if (!options) return;
    let response: Awaited<ReturnType<typeof startRegistration>>;
    try {
      // The JSON the server made with @simplewebauthn/server; tRPC's inferred type loses its binary extension fields.
      response = await startRegistration({ optionsJSON: options as PublicKeyCredentialCreationOptionsJSON });
    } catch (error) {
      setNotice({ kind: 'error', text: promptFailure(error) });
      return;
    }
    const trimmed = name.trim();
    const added = await attempt(() => api.me.passkeys.register.mutate({ response, ...(trimmed ? { name: trimmed } : {}) }));
    if (!added) return;
    setName('');
    setNotice({ kind: 'success', text: `Passkey “${added.authenticator.name}” added.` });
    if (added.recovery_codes) setRecoveryCodes(added.recovery_codes);
    await load();
  };

  const remove = async (passkey: Authenticator) => {
    setNotice(undefined);
    // me.authenticators.delete answers nothing: an object says it was not refused.
    const removed = await attempt(async () => {
      await api.me.authenticators.delete.mutate({ authenticator_id: passkey.id });
      return {};
    });
    if (removed) await load();
  };

  return (
    <section id="passkeys" aria-labelledby="passkeys-heading">
      <h2 id="passkeys-heading">Passkeys</h2>
      <p className="status">Sign in with your fingerprint, face or screen lock instead of typing a password.</p>
      {passkeys && passkeys.length > 0 ? (
        <div className="table-scroll">
          <table className="passkeys">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Added</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {passkeys.map((passkey) => (
                <tr key={passkey.id}>
                  <td>{passkey.name}</td>
                  <td>{when(passkey.created_at)}</td>
                  <td>{when(passkey.last_used_at)}</td>
                  <td>
                    <button type="button" onClick={() => void remove(passkey)}>
                      Remove {passkey.name}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : passkeys ? (
        <p className="status">No passkeys yet.</p>
      ) : null}
      {!possible ? (
        <p className="status">Passkeys cannot be added here: this server is reached by an IP address, and passkeys need a host name.</p>
      ) : supported ? (
        <form className="inline" onSubmit={add}>
          <label htmlFor="passkey-name">Passkey name</label>
          <input
            id="passkey-name"
            maxLength={64}
            placeholder="Work laptop"
            value={name}
            onChange={(event) => setName(event.target.value)}
          />
          <button type="submit">Add a passkey</button>
        </form>
      ) : (
        <p className="status">This browser cannot create passkeys.</p>
      )}
      <FailureAlert failure={failure} />
      {notice ? (
        <p className={notice.kind} role={notice.kind === 'error' ? 'alert' : 'status'}>
          {notice.text}
        </p>
      ) : null}
      {recoveryCodes ? (
        <RecoveryCodesShown key={recoveryCodes.join()} codes={recoveryCodes} saved={() => setRecoveryCodes(undefined)} />
      ) : null}
    </section>
  );
}
