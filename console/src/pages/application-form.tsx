/**
 * The fields of an application, for creating one and for editing it: name, redirect and logout
 * URIs, connections, ID token algorithm, first or third party, when logins ask for a second
 * factor, and for a machine client the
 * management scopes it may be granted (only those the operator holds can be given).
 */
import { type FormEvent, useId, useState } from 'react';
import type { MfaPolicy } from '../../../server/mfa/mfa-policy.js';
import type { ManagementScope } from '../../../server/oidc/management-api.js';
import { linesOf } from '../client-presets.js';

export interface ApplicationFields {
  name: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  connections: string[];
  id_token_signed_response_alg: 'RS256' | 'ES256' | 'HS256';
  is_first_party: boolean;
  /** null: the server's MFA_POLICY. */
  mfa_policy: MfaPolicy | null;
  management_scopes: ManagementScope[];
}

interface Props {
  initial: ApplicationFields;
  machine: boolean;
  connections: readonly string[];
  /** Every management scope, and those the operator holds (the only ones it may grant). */
  scopes: { all: readonly ManagementScope[]; held: ReadonlySet<string> };
  submitLabel: string;
  disabled?: boolean;
  onSubmit: (fields: ApplicationFields) => void;
}

const ALGORITHMS = ['RS256', 'ES256', 'HS256'] as const;

const MFA_CHOICES: ReadonlyArray<{ value: MfaPolicy | ''; label: string }> = [
  { value: '', label: 'As the server is configured (MFA_POLICY)' },
  { value: 'never', label: 'Never (unless a rule or acr_values asks)' },
  { value: 'enrolled', label: 'When the user has enrolled a factor' },
  { value: 'always', label: 'Always (users without a factor enrol)' },
];

export function ApplicationForm({ initial, machine, connections, scopes, submitLabel, disabled = false, onSubmit }: Props) {
  const id = useId();
  const [name, setName] = useState(initial.name);
  const [redirects, setRedirects] = useState(initial.redirect_uris.join('\n'));
  const [logouts, setLogouts] = useState(initial.post_logout_redirect_uris.join('\n'));
  const [enabled, setEnabled] = useState(new Set<string>(initial.connections));
  const [algorithm, setAlgorithm] = useState(initial.id_token_signed_response_alg);
  const [firstParty, setFirstParty] = useState(initial.is_first_party);
  const [mfaPolicy, setMfaPolicy] = useState<MfaPolicy | ''>(initial.mfa_policy ?? '');
  const [granted, setGranted] = useState(new Set<ManagementScope>(initial.management_scopes));

  const toggle = <T,>(set: Set<T>, value: T, on: boolean) => {
    const next = new Set(set);
    if (on) next.add(value);
    else next.delete(value);
    return next;
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit({
      name: name.trim(),
      redirect_uris: linesOf(redirects),
      post_logout_redirect_uris: linesOf(logouts),
      connections: connections.filter((connection) => enabled.has(connection)),
      id_token_signed_response_alg: algorithm,
      is_first_party: firstParty,
      mfa_policy: mfaPolicy === '' ? null : mfaPolicy,
      management_scopes: scopes.all.filter((scope) => granted.has(scope)),
    });
  };

  return (
    <form className="fields" onSubmit={submit}>
      <label htmlFor={`${id}-name`}>Name</label>
      <input id={`${id}-name`} value={name} required maxLength={255} onChange={(event) => setName(event.target.value)} />
      {machine ? null : (
        <>
          <label htmlFor={`${id}-redirects`}>Redirect URIs (one per line)</label>
          <textarea id={`${id}-redirects`} rows={3} value={redirects} onChange={(event) => setRedirects(event.target.value)} />
          <label htmlFor={`${id}-logouts`}>Logout URIs (one per line)</label>
          <textarea id={`${id}-logouts`} rows={2} value={logouts} onChange={(event) => setLogouts(event.target.value)} />
          <fieldset>
            <legend>Connections</legend>
            {connections.map((connection) => (
              <label key={connection} className="choice">
                <input
                  type="checkbox"
                  checked={enabled.has(connection)}
                  onChange={(event) => setEnabled(toggle(enabled, connection, event.target.checked))}
                />{' '}
                {connection}
              </label>
            ))}
          </fieldset>
          <label htmlFor={`${id}-alg`}>ID token algorithm</label>
          <select
            id={`${id}-alg`}
            value={algorithm}
            onChange={(event) => setAlgorithm(event.target.value as ApplicationFields['id_token_signed_response_alg'])}
          >
            {ALGORITHMS.map((alg) => (
              <option key={alg}>{alg}</option>
            ))}
          </select>
          <label className="choice">
            <input type="checkbox" checked={firstParty} onChange={(event) => setFirstParty(event.target.checked)} /> First-party (no consent
            page)
          </label>
          <label htmlFor={`${id}-mfa`}>Second factor at login</label>
          <select id={`${id}-mfa`} value={mfaPolicy} onChange={(event) => setMfaPolicy(event.target.value as MfaPolicy | '')}>
            {MFA_CHOICES.map((choice) => (
              <option key={choice.value} value={choice.value}>
                {choice.label}
              </option>
            ))}
          </select>
        </>
      )}
      {machine ? (
        <fieldset>
          <legend>Management API scopes</legend>
          {scopes.all.map((scope) => (
            <label key={scope} className="choice">
              <input
                type="checkbox"
                checked={granted.has(scope)}
                disabled={!scopes.held.has(scope)}
                onChange={(event) => setGranted(toggle(granted, scope, event.target.checked))}
              />{' '}
              {scope}
            </label>
          ))}
        </fieldset>
      ) : null}
      <div className="actions">
        <button type="submit" disabled={disabled}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}
