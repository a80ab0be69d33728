/** A client secret shown once, right after create or rotate, with a button to copy it. */
import { useState } from 'react';

export function SecretReveal({ secret, onDone }: { secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="secret" role="status">
      <p>
        <strong>Client secret</strong>: copy it now; it will not be shown again.
      </p>
      <code data-testid="client-secret">{secret}</code>{' '}
      <button
        type="button"
        onClick={async () => {
          await navigator.clipboard.writeText(secret);
          setCopied(true);
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>{' '}
      <button type="button" onClick={onDone}>
        Done
      </button>
    </div>
  );
}
