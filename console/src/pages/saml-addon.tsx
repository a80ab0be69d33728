/**
 * A client's SAML add-on (Tessera as the application's SAML identity provider), edited as JSON:
 * the API checks it against the add-on's schema and says which field is wrong; empty turns it off.
 */
import { useState } from 'react';

interface Props {
  value: unknown;
  editable: boolean;
  save: (addon: Record<string, unknown> | null) => Promise<void>;
}

const EXAMPLE = { audience: 'urn:example:sp', acs_url: 'https://sp.example.com/saml/acs', mappings: { email: 'email' } };

export function SamlAddonEditor({ value, editable, save }: Props) {
  const [text, setText] = useState(value ? JSON.stringify(value, null, 2) : '');
  const [problem, setProblem] = useState<string | undefined>();
  return (
    <section aria-labelledby="saml-addon-heading">
      <h2 id="saml-addon-heading">SAML add-on</h2>
      <p className="status">
        Tessera as this application's SAML identity provider. Leave empty to turn it off; for example <code>{JSON.stringify(EXAMPLE)}</code>
        .
      </p>
      <label htmlFor="saml-addon" className="visually-hidden">
        SAML add-on as JSON
      </label>
      <textarea
        id="saml-addon"
        rows={6}
        value={text}
        readOnly={!editable}
        spellCheck={false}
        aria-invalid={problem ? true : undefined}
        onChange={(event) => {
          setText(event.target.value);
          setProblem(undefined);
        }}
      />
      {problem ? (
        <p className="error" role="alert">
          {problem}
        </p>
      ) : null}
      {editable ? (
        <div className="actions">
          <button
            type="button"
            onClick={async () => {
              if (text.trim() === '') return save(null);
              let parsed: unknown;
              try {
                parsed = JSON.parse(text);
              } catch {
                setProblem('not valid JSON');
                return;
              }
              if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
                setProblem('must be a JSON object');
                return;
              }
              await save(parsed as Record<string, unknown>);
            }}
          >
            Save SAML add-on
          </button>
        </div>
      ) : null}
    </section>
  );
}
