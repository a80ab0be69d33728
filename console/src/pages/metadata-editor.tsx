/**
 * A JSON editor for `user_metadata` or `app_metadata`: the text is checked as the operator types,
 * "Review" lists what saving will change (users.update's top-level merge, null deleting a key),
 * and only then can it be saved. Nothing is sent while the text is invalid.
 */
import { useEffect, useId, useState } from 'react';
import { type Metadata, type MetadataChange, metadataChanges, metadataPatch, parseMetadata } from '../metadata-patch.js';

interface Props {
  label: string;
  value: Metadata;
  editable: boolean;
  save: (patch: Record<string, unknown>) => Promise<boolean>;
}

function describeChange(change: MetadataChange): string {
  if (change.kind === 'removed') return `remove ${change.key}`;
  return `${change.kind === 'added' ? 'add' : 'set'} ${change.key} to ${JSON.stringify(change.value)}`;
}

export function MetadataEditor({ label, value, editable, save }: Props) {
  const id = useId();
  const [text, setText] = useState(() => JSON.stringify(value, null, 2));
  const [review, setReview] = useState<MetadataChange[] | undefined>();
  const [saving, setSaving] = useState(false);

  // Another operator's change arrives while nothing is being edited here: show it.
  const shown = JSON.stringify(value, null, 2);
  const [base, setBase] = useState(shown);
  useEffect(() => {
    if (shown === base) return;
    if (text === base) setText(shown);
    setBase(shown);
    setReview(undefined);
  }, [shown, base, text]);

  const parsed = parseMetadata(text);
  const problem = parsed.ok ? undefined : parsed.message;

  return (
    <section className="metadata" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{label}</h2>
      <label htmlFor={`${id}-text`} className="visually-hidden">
        {label} as JSON
      </label>
      <textarea
        id={`${id}-text`}
        rows={Math.min(20, Math.max(4, text.split('\n').length + 1))}
        value={text}
        readOnly={!editable}
        spellCheck={false}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? `${id}-problem` : undefined}
        onChange={(event) => {
          setText(event.target.value);
          setReview(undefined);
        }}
      />
      {problem ? (
        <p id={`${id}-problem`} className="error" role="alert">
          {problem}
        </p>
      ) : null}
      {editable ? (
        <div className="actions">
          <button type="button" disabled={!parsed.ok} onClick={() => parsed.ok && setReview(metadataChanges(value, parsed.value))}>
            Review changes
          </button>
        </div>
      ) : null}
      {review ? (
        <div className="review" aria-live="polite">
          {review.length === 0 ? (
            <p>Nothing to save: the text holds the same values.</p>
          ) : (
            <>
              <p>Saving will:</p>
              <ul>
                {review.map((change) => (
                  <li key={change.key}>{describeChange(change)}</li>
                ))}
              </ul>
              <button
                type="button"
                disabled={saving}
                onClick={async () => {
                  setSaving(true);
                  const saved = await save(metadataPatch(review));
                  setSaving(false);
                  if (saved) setReview(undefined);
                }}
              >
                Save {label}
              </button>
            </>
          )}
        </div>
      ) : null}
    </section>
  );
}
