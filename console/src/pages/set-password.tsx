/**
 * Setting a password: typed twice; the connection's policy is checked by the API, which says
 * what it wants. An operator sets a user's (console); a person changes their own (account page),
 * which also asks for the current one and shows the policy's length before submitting.
 */
import { type FormEvent, useState } from 'react';

interface Props {
  save: (password: string, current: string) => Promise<boolean>;
  /** Ask for the current password too: a person changing their own. */
  askCurrent?: boolean;
  /** The policy's minimum length, shown beside the field when known. */
  minLength?: number;
  heading?: string;
  button?: string;
}

export function SetPassword({ save, askCurrent = false, minLength, heading = 'Set a password', button = 'Set password' }: Props) {
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [done, setDone] = useState(false);
  const mismatch = repeat !== '' && repeat !== password;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (mismatch) return;
    const saved = await save(password, current);
    setDone(saved);
    if (saved) {
      setCurrent('');
      setPassword('');
      setRepeat('');
    }
  };

  return (
    <section aria-labelledby="password-heading">
      <h2 id="password-heading">{heading}</h2>
      <form className="fields" onSubmit={submit}>
        {askCurrent ? (
          <>
            <label htmlFor="current-password">Current password</label>
            <input
              id="current-password"
              type="password"
              autoComplete="current-password"
              required
              value={current}
              onChange={(event) => {
                setCurrent(event.target.value);
                setDone(false);
              }}
            />
          </>
        ) : null}
        <label htmlFor="new-password">New password</label>
        <input
          id="new-password"
          type="password"
          autoComplete="new-password"
          required
          minLength={minLength}
          aria-describedby={minLength ? 'password-policy' : undefined}
          value={password}
          onChange={(event) => {
            setPassword(event.target.value);
            setDone(false);
          }}
        />
        {minLength ? (
          <p id="password-policy" className="status">
            At least {minLength} characters.
          </p>
        ) : null}
        <label htmlFor="repeat-password">Repeat it</label>
        <input
          id="repeat-password"
          type="password"
          autoComplete="new-password"
          required
          value={repeat}
          aria-invalid={mismatch ? true : undefined}
          onChange={(event) => setRepeat(event.target.value)}
        />
        {mismatch ? <p className="error">The two passwords differ.</p> : null}
        {done ? <p role="status">{askCurrent ? 'Password changed.' : 'Password set.'}</p> : null}
        <div className="actions">
          <button type="submit" disabled={mismatch}>
            {button}
          </button>
        </div>
      </form>
    </section>
  );
}
