/** Setting a user's password: typed twice; the connection's policy is checked by the API, which says what it wants. */
import { type FormEvent, useState } from 'react';

export function SetPassword({ save }: { save: (password: string) => Promise<boolean> }) {
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [done, setDone] = useState(false);
  const mismatch = repeat !== '' && repeat !== password;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (mismatch) return;
    const saved = await save(password);
    setDone(saved);
    if (saved) {
      setPassword('');
      setRepeat('');
    }
  };

  return (
    <section aria-labelledby="password-heading">
      <h2 id="password-heading">Set a password</h2>
      <form className="fields" onSubmit={submit}>
        <label htmlFor="new-password">New password</label>
        <input
          id="new-password"
          type="password"
          autoComplete="new-password"
          required
          value={password}
          onChange={(event) => {
            setPassword(event.target.value);
            setDone(false);
          }}
        />
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
        {done ? <p role="status">Password set.</p> : null}
        <div className="actions">
          <button type="submit" disabled={mismatch}>
            Set password
          </button>
        </div>
      </form>
    </section>
  );
}
