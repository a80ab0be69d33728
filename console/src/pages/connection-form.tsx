/**
 * A connection's options as a form generated from its strategy's schema (connections.optionForms):
 * an input per option of the right kind, secrets write-only (left empty, the stored one is kept),
 * and the applications it is enabled for.
 */
import { type FormEvent, useId, useMemo, useState } from 'react';
import { buildOptions, type Field, fieldsOf, initialValues, type JsonSchema } from '../schema-form.js';

export interface OptionFormDescription {
  strategy: string;
  schema: Record<string, unknown>;
  secrets: string[];
  checkable: boolean;
}

interface Props {
  form: OptionFormDescription;
  options: Record<string, unknown>;
  /** Existing connection: secrets may be left empty to keep the stored ones. */
  editing: boolean;
  applications: ReadonlyArray<{ client_id: string; name: string }>;
  enabled: readonly string[];
  submitLabel: string;
  disabled: boolean;
  onSubmit: (options: Record<string, unknown>, enabledClients: string[]) => void;
  onInvalid: (field: string, message: string) => void;
}

function FieldInput({
  field,
  id,
  value,
  editing,
  set,
}: {
  field: Field;
  id: string;
  value: string;
  editing: boolean;
  set: (value: string) => void;
}) {
  switch (field.kind) {
    case 'boolean':
      return <input id={id} type="checkbox" checked={value === 'true'} onChange={(event) => set(String(event.target.checked))} />;
    case 'choice':
      return (
        <select id={id} value={value} onChange={(event) => set(event.target.value)}>
          {field.required ? null : <option value="">(default)</option>}
          {(field.choices ?? []).map((choice) => (
            <option key={choice}>{choice}</option>
          ))}
        </select>
      );
    case 'number':
      return (
        <input
          id={id}
          type="number"
          value={value}
          required={field.required}
          {...(field.schema.minimum !== undefined ? { min: field.schema.minimum } : {})}
          {...(field.schema.maximum !== undefined ? { max: field.schema.maximum } : {})}
          onChange={(event) => set(event.target.value)}
        />
      );
    case 'json':
      return <textarea id={id} rows={3} value={value} spellCheck={false} onChange={(event) => set(event.target.value)} />;
    case 'secret':
      return (
        <input
          id={id}
          type="password"
          autoComplete="new-password"
          value={value}
          placeholder={editing ? 'unchanged: leave empty to keep the stored secret' : ''}
          onChange={(event) => set(event.target.value)}
        />
      );
    default:
      return (
        <input
          id={id}
          type={field.kind === 'url' ? 'url' : 'text'}
          value={value}
          required={field.required}
          spellCheck={false}
          onChange={(event) => set(event.target.value)}
        />
      );
  }
}

export function ConnectionForm({ form, options, editing, applications, enabled, submitLabel, disabled, onSubmit, onInvalid }: Props) {
  const id = useId();
  const fields = useMemo(() => fieldsOf(form.schema as JsonSchema, form.secrets), [form]);
  const [values, setValues] = useState(() => initialValues(fields, options));
  const [clients, setClients] = useState(new Set(enabled));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const built = buildOptions(fields, values);
    if (!built.ok) {
      onInvalid(`options.${built.field}`, built.message);
      return;
    }
    onSubmit(
      built.options,
      applications.map((application) => application.client_id).filter((clientId) => clients.has(clientId)),
    );
  };

  return (
    <form className="fields" onSubmit={submit}>
      {fields.map((field) => (
        <div key={field.name} className={field.kind === 'boolean' ? 'choice' : 'field'}>
          <label htmlFor={`${id}-${field.name}`}>
            {field.name}
            {field.required ? ' (required)' : ''}
            {field.kind === 'secret' ? ' (write-only)' : ''}
          </label>
          <FieldInput
            field={field}
            id={`${id}-${field.name}`}
            value={values[field.name] ?? ''}
            editing={editing}
            set={(value) => setValues({ ...values, [field.name]: value })}
          />
        </div>
      ))}
      {applications.length > 0 ? (
        <fieldset>
          <legend>Enabled for applications</legend>
          {applications.map((application) => (
            <label key={application.client_id} className="choice">
              <input
                type="checkbox"
                checked={clients.has(application.client_id)}
                onChange={(event) => {
                  const next = new Set(clients);
                  if (event.target.checked) next.add(application.client_id);
                  else next.delete(application.client_id);
                  setClients(next);
                }}
              />{' '}
              {application.name} <code>{application.client_id}</code>
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
