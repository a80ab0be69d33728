/** A destructive action behind a typed confirmation: its button stays disabled until the expected text is typed. */
import { useState } from 'react';

interface Props {
  id: string;
  heading: string;
  /** What must be typed: an email or an id the person can read on the page. */
  expected: string;
  button: string;
  confirm: () => Promise<void>;
}

export function TypedConfirmation({ id, heading, expected, button, confirm }: Props) {
  const [typed, setTyped] = useState('');
  return (
    <section className="danger" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{heading}</h2>
      <label htmlFor={`${id}-confirmation`}>
        Type <strong>{expected}</strong> to confirm
      </label>
      <input id={`${id}-confirmation`} value={typed} autoComplete="off" onChange={(event) => setTyped(event.target.value)} />
      <button type="button" disabled={typed !== expected} onClick={() => void confirm()}>
        {button}
      </button>
    </section>
  );
}
