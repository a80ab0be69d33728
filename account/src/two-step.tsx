/**
 * Two-step verification on the account page: every second factor the person holds (passkeys
 * included) with a way to remove it; adding an authenticator app (the QR code the server drew,
 * the key in text for apps that cannot scan, confirmed by one code); and the recovery codes,
 * shown once when they are made, with a copy button, and made anew on request.
 */
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { FailureAlert } from '../../console/src/failure-alert.js';
import { shownTime } from '../../console/src/shown-time.js';
import type { Me, PartProps } from './account.js';
import { useAttempt } from './attempt.js';
import { RecoveryCodesShown } from './recovery-codes.js';

type Authenticator = Me['authenticators']['list'][number];
type Enrolment = Me['authenticators']['enrollTotp'];

const KINDS: Record<Authenticator['type'], string> = {
  totp: 'Authenticator app',
  webauthn: 'Passkey',
  'recovery-code': 'Recovery codes',
};

const when = (value: string | null) => shownTime(value, 'never');

export function TwoStep({ api, refused }: PartProps) {
  const [factors, setFactors] = useState<readonly Authenticator[] | undefined>();
  const [enrolment, setEnrolment] = useState<Enrolment | undefined>();
  const [code, setCode] = useState('');
  const [recoveryCodes, setRecoveryCodes] = useState<readonly string[] | undefined>();
  const { failure, attempt } = useAttempt(refused);

  const load = useCallback(async () => {
    const listed = await attempt(() => api.me.authenticators.list.query());
    if (listed) setFactors(listed);
  }, [api, attempt]);

  useEffect(() => {
    void load();
  }, [load]);

  const start = async () => {
    const started = await attempt(() => api.me.authenticators.enrollTotp.mutate({}));
    if (started) setEnrolment(started);
    setCode('');
  };

  const confirm = async (event: FormEvent) => {
    event.preventDefault();
    if (!enrolment) return;
    const confirmed = await attempt(() =>
      api.me.authenticators.confirmTotp.mutate({ authenticator_id: enrolment.authenticator_id, code: code.trim() }),
    );
    if (!confirmed) return;
    setEnrolment(undefined);
    setCode('');
    if (confirmed.recovery_codes) setRecoveryCodes(confirmed.recovery_codes);
    await load();
  };

  const regenerate = async () => {
    const made = await attempt(() => api.me.authenticators.regenerateRecoveryCodes.mutate());
    if (made) setRecoveryCodes(made.recovery_codes);
    await load();
  };

  const remove = async (id: string) => {
    const removed = await attempt(async () => {
      await api.me.authenticators.delete.mutate({ authenticator_id: id });
      return {};
    });
    if (removed) await load();
  };

  const enrolled = factors?.some((factor) => factor.type !== 'recovery-code') ?? false;

  return (
    <section id="two-step" aria-labelledby="two-step-heading">
      <h2 id="two-step-heading">Two-step verification</h2>
      {factors?.length === 0 ? <p className="status">No second step yet: a password alone signs you in.</p> : null}
      {factors?.length ? (
        <ul className="factors">
          {factors.map((factor) => (
            <li key={factor.id} data-type={factor.type}>
              <strong>{KINDS[factor.type]}</strong>: <span className="factor-name">{factor.name}</span>{' '}
              <span className="status">
                (added {when(factor.created_at)}, last used {when(factor.last_used_at)})
              </span>{' '}
              <button type="button" aria-label={`Remove ${factor.name}`} onClick={() => void remove(factor.id)}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {enrolment ? (
        <form className="enrolment" onSubmit={confirm}>
          <p>Scan this code with your authenticator app, or type the key into it, then enter the code it shows.</p>
          <img
            className="qr"
            width={180}
            height={180}
            alt="QR code of your authenticator app's key"
            src={`data:image/svg+xml;utf8,${encodeURIComponent(enrolment.qr_svg)}`}
          />
          <p>
            Key: <code data-testid="totp-secret">{enrolment.secret}</code>
          </p>
          <label htmlFor="totp-code">Code from the app</label>
          <input
            id="totp-code"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            value={code}
            onChange={(event) => setCode(event.target.value)}
          />
          <button type="submit">Confirm</button>
          <button type="button" onClick={() => setEnrolment(undefined)}>
            Cancel
          </button>
        </form>
      ) : (
        <div className="actions">
          <button type="button" onClick={() => void start()}>
            Add an authenticator app
          </button>
          {enrolled ? (
            <button type="button" onClick={() => void regenerate()}>
              Make new recovery codes
            </button>
          ) : null}
        </div>
      )}
      <FailureAlert failure={failure} />
      {recoveryCodes ? (
        // Keyed by the codes: new ones start with their own "Copy" button, not an earlier "Copied".
        <RecoveryCodesShown key={recoveryCodes.join()} codes={recoveryCodes} saved={() => setRecoveryCodes(undefined)} />
      ) : null}
    </section>
  );
}
