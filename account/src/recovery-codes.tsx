/**
 * Recovery codes just made, shown this once (the server keeps only their hashes): each lets the
 * person in once without their second factor. Shown by the parts that make them: two-step.tsx
 * (a first authenticator app, or new codes on request) and passkeys.tsx (a first passkey).
 */
import { useState } from 'react';

export function RecoveryCodesShown({ codes, saved }: { codes: readonly string[]; saved: () => void }) {
  const [copied, setCopied] = useState(false);

  const copy = async () => {
    await navigator.clipboard.writeText(codes.join('\n'));
    setCopied(true);
  };

  return (
    <div className="recovery-codes" role="status">
      <p>Your recovery codes: each lets you in once if you lose your phone. Keep them somewhere safe; they are not shown again.</p>
      <ul>
        {codes.map((recoveryCode) => (
          <li key={recoveryCode}>
            <code>{recoveryCode}</code>
          </li>
        ))}
      </ul>
      <button type="button" onClick={() => void copy()}>
        {copied ? 'Copied' : 'Copy the codes'}
      </button>
      <button type="button" onClick={saved}>
        I have saved them
      </button>
    </div>
  );
}
