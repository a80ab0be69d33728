/**
 * The person's own profile: the root attributes me.update accepts, and the user_metadata keys an
 * operator allows (ACCOUNT_METADATA_FIELDS), each with an input for its type. An emptied field
 * is sent as null, which clears it; metadata keys outside the allowed list are left untouched.
 */
import { type FormEvent, useState } from 'react';
import { FailureAlert } from '../../console/src/failure-alert.js';
import type { MeSettings, PartProps, Profile } from './account.js';
import { useAttempt } from './attempt.js';

type MetadataField = MeSettings['metadata_fields'][number];

const ATTRIBUTES = [
  { key: 'name', label: 'Name', type: 'text', autoComplete: 'name' },
  { key: 'given_name', label: 'Given name', type: 'text', autoComplete: 'given-name' },
  { key: 'family_name', label: 'Family name', type: 'text', autoComplete: 'family-name' },
  { key: 'nickname', label: 'Nickname', type: 'text', autoComplete: 'nickname' },
  { key: 'picture', label: 'Picture URL', type: 'url', autoComplete: 'photo' },
  { key: 'locale', label: 'Locale', type: 'text', autoComplete: 'language' },
] as const;

type Attribute = (typeof ATTRIBUTES)[number]['key'];
type Values = Record<Attribute, string>;

const initialValues = (profile: Profile): Values =>
  Object.fromEntries(ATTRIBUTES.map(({ key }) => [key, String(profile[key] ?? '')])) as Values;

/** Form state per metadata field: text for string and number inputs, a flag for a checkbox. */
const initialMetadata = (profile: Profile, fields: readonly MetadataField[]): Record<string, string | boolean> => {
  const stored = (profile.user_metadata ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    fields.map(({ key, type }) => [key, type === 'boolean' ? stored[key] === true : stored[key] === undefined ? '' : String(stored[key])]),
  );
};

function metadataValue(type: MetadataField['type'], value: string | boolean): unknown {
  if (type === 'boolean') return value === true;
  if (value === '') return null;
  return type === 'number' ? Number(value) : value;
}

/** A checkbox never set reads as false, any other field never set as empty: neither is a change. */
const unchanged = (value: unknown, stored: unknown) => value === (stored ?? (typeof value === 'boolean' ? false : null));

export function ProfileForm({
  api,
  refused,
  profile,
  fields,
  saved,
}: PartProps & {
  profile: Profile;
  fields: readonly MetadataField[];
  saved: (profile: Profile) => void;
}) {
  const [values, setValues] = useState(() => initialValues(profile));
  const [metadata, setMetadata] = useState(() => initialMetadata(profile, fields));
  const { failure, attempt } = useAttempt(refused);
  const [done, setDone] = useState(false);

  /** Only what the person changed: a stored value the form merely shows is not sent back to be judged again. */
  const changes = () => {
    const before = initialValues(profile);
    const stored = (profile.user_metadata ?? {}) as Record<string, unknown>;
    const root = Object.fromEntries(
      ATTRIBUTES.filter(({ key }) => values[key].trim() !== before[key]).map(({ key }) => [key, values[key].trim() || null]),
    );
    const user_metadata = Object.fromEntries(
      fields
        .map(({ key, type }) => [key, metadataValue(type, metadata[key] ?? '')] as const)
        .filter(([key, value]) => !unchanged(value, stored[key])),
    );
    return { ...root, ...(Object.keys(user_metadata).length > 0 ? { user_metadata } : {}) };
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const updated = await attempt(() => api.me.update.mutate(changes()));
    if (updated) saved(updated);
    setDone(updated !== undefined);
  };

  const edited = () => setDone(false);

  return (
    <section id="profile" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile</h2>
      <form className="fields" onSubmit={submit}>
        {ATTRIBUTES.map(({ key, label, type, autoComplete }) => (
          <div className="field" key={key}>
            <label htmlFor={`profile-${key}`}>{label}</label>
            <input
              id={`profile-${key}`}
              type={type}
              autoComplete={autoComplete}
              value={values[key]}
              onChange={(event) => {
                setValues({ ...values, [key]: event.target.value });
                edited();
              }}
            />
          </div>
        ))}
        {fields.map(({ key, type }) =>
          type === 'boolean' ? (
            <label className="choice" key={key}>
              <input
                type="checkbox"
                checked={metadata[key] === true}
                onChange={(event) => {
                  setMetadata({ ...metadata, [key]: event.target.checked });
                  edited();
                }}
              />{' '}
              {key}
            </label>
          ) : (
            <div className="field" key={key}>
              <label htmlFor={`metadata-${key}`}>{key}</label>
              <input
                id={`metadata-${key}`}
                type={type === 'number' ? 'number' : 'text'}
                step={type === 'number' ? 'any' : undefined}
                value={String(metadata[key] ?? '')}
                onChange={(event) => {
                  setMetadata({ ...metadata, [key]: event.target.value });
                  edited();
                }}
              />
            </div>
          ),
        )}
        <FailureAlert failure={failure} />
        {done ? <p role="status">Profile saved.</p> : null}
        <div className="actions">
          <button type="submit">Save profile</button>
        </div>
      </form>
    </section>
  );
}
