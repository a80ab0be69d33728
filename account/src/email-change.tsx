/**
 * The person's email: the address, whether it is verified, and a change that takes effect only
 * once they follow the link sent to the new address (me.changeEmail sends it; nothing changes before).
 */
import { type FormEvent, useState } from 'react';
import { FailureAlert } from '../../console/src/failure-alert.js';
import type { PartProps, Profile } from './account.js';
import { useAttempt } from './attempt.js';

export function EmailChange({ api, refused, profile }: PartProps & { profile: Profile }) {
  const [email, setEmail] = useState('');
  const [pending, setPending] = useState<string | undefined>();
  const { failure, attempt } = useAttempt(refused);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const answer = await attempt(() => api.me.changeEmail.mutate({ email: email.trim() }));
    if (!answer) return;
    setPending(answer.pending_email);
    setEmail('');
  };

  return (
    <section id="email" aria-labelledby="email-heading">
      <h2 id="email-heading">Email</h2>
      {profile.email ? (
        <p>
          <span data-testid="current-email">{profile.email}</span>{' '}
          <span className={profile.email_verified ? 'success' : 'status'}>{profile.email_verified ? '(verified)' : '(not verified)'}</span>
        </p>
      ) : (
        <p className="status">No email address yet.</p>
      )}
      <form className="inline" onSubmit={submit}>
        <label htmlFor="new-email">New email address</label>
        <input id="new-email" type="email" autoComplete="email" required value={email} onChange={(event) => setEmail(event.target.value)} />
        <button type="submit">Change email</button>
      </form>
      <FailureAlert failure={failure} />
      {pending ? (
        <p role="status">
          We sent a link to {pending}. Your email changes to it only once you follow that link; until then it stays{' '}
          {profile.email ?? 'as it is'}.
        </p>
      ) : null}
    </section>
  );
}
