/**
 * The settings of a client, described once: per field of the API, the provider metadata it is
 * stored under, what metadata stored without it reads as, how a stored value is shown, and
 * how an update changes it. The four shapes a client takes (settings read from metadata,
 * metadata written from settings, the API view, settings after an update) are derived from
 * this table, so a new field is one row.
 */
import type { ClientMetadata } from 'oidc-provider';
import { MFA_POLICY_METADATA, policyOf } from '../mfa/mfa-policy.js';
import { CLIENT_DEFAULTS } from '../oidc/client-defaults.js';
import { REQUIRE_PKCE } from '../oidc/pkce-policy.js';
import { SAML_ADDON, samlAddonSchema } from '../saml-idp/addon.js';
import type { ClientChanges, ClientSettings, ClientView } from './client-schemas.js';

type FieldName = keyof ClientSettings;

interface ClientField<F extends FieldName> {
  /** The name oidc-provider stores it under. */
  metadata: string;
  /** What metadata stored without it (undefined or null) reads as. */
  absent(metadata: ClientMetadata): ClientSettings[F];
  /** A stored value as the API shows it; the value itself when omitted. */
  shown?(stored: unknown): ClientSettings[F];
  /** The setting after an update that gives `given`; when omitted, a given value replaces and an absent one keeps. */
  change?(given: ClientChanges[F], before: ClientSettings[F]): ClientSettings[F];
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item) => typeof item === 'string') : []);
const none = (): string[] => [];

/** In the order the API lists them. */
const FIELDS: { readonly [F in FieldName]-?: ClientField<F> } = {
  name: { metadata: 'client_name', absent: (metadata) => metadata.client_id },
  // Absent when not given, as saml_addon below; null in an update removes it.
  description: {
    metadata: 'description',
    absent: () => undefined,
    shown: (stored) => (typeof stored === 'string' ? stored : undefined),
    change: (given, before) => (given === null ? undefined : (given ?? before)),
  },
  redirect_uris: { metadata: 'redirect_uris', absent: none, shown: strings },
  post_logout_redirect_uris: { metadata: 'post_logout_redirect_uris', absent: none, shown: strings },
  grant_types: { metadata: 'grant_types', absent: () => [...CLIENT_DEFAULTS.grant_types], shown: strings },
  token_endpoint_auth_method: { metadata: 'token_endpoint_auth_method', absent: () => CLIENT_DEFAULTS.token_endpoint_auth_method },
  id_token_signed_response_alg: { metadata: 'id_token_signed_response_alg', absent: () => CLIENT_DEFAULTS.id_token_signed_response_alg },
  is_first_party: { metadata: 'is_first_party', absent: () => false, shown: (stored) => stored === true },
  // Clients stored before the setting existed require PKCE too.
  require_pkce: { metadata: REQUIRE_PKCE, absent: () => true, shown: (stored) => stored !== false },
  management_scopes: { metadata: 'management_scopes', absent: none, shown: strings },
  // Absent when off, so clients without the add-on look exactly as docs/contract.md lists them; null in an update turns it off.
  saml_addon: {
    metadata: SAML_ADDON,
    absent: () => undefined,
    shown: (stored) => samlAddonSchema.safeParse(stored).data,
    change: (given, before) => (given === null ? undefined : (given ?? before)),
  },
  // Absent for the global MFA_POLICY, as the add-on above; null in an update goes back to it.
  mfa_policy: {
    metadata: MFA_POLICY_METADATA,
    absent: () => undefined,
    shown: policyOf,
    change: (given, before) => (given === null ? undefined : (given ?? before)),
  },
};

const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];

/** One entry per field, under the name `key` gives it; a field whose value is undefined is left out. */
function entries(key: (field: FieldName) => string, value: (field: FieldName) => unknown): Record<string, unknown> {
  return Object.fromEntries(
    FIELD_NAMES.flatMap((field) => {
      const fieldValue = value(field);
      return fieldValue === undefined ? [] : [[key(field), fieldValue]];
    }),
  );
}

/** What stored metadata says, in the API's names: every field read, none copied blindly. */
export function settingsOf(metadata: ClientMetadata): ClientSettings {
  return entries(
    (field) => field,
    (field) => {
      const { metadata: name, absent, shown } = FIELDS[field] as ClientField<FieldName>;
      const stored: unknown = metadata[name];
      if (stored === undefined || stored === null) return absent(metadata);
      return shown ? shown(stored) : stored;
    },
  ) as unknown as ClientSettings;
}

export function toMetadata(clientId: string, settings: ClientSettings, secret: string | undefined): ClientMetadata {
  return {
    client_id: clientId,
    ...(secret ? { client_secret: secret } : {}),
    ...entries(
      (field) => FIELDS[field].metadata,
      (field) => settings[field],
    ),
    response_types: settings.grant_types.includes('authorization_code') ? [...CLIENT_DEFAULTS.response_types] : [],
  } as ClientMetadata;
}

/** The one shape a client leaves the API in; the secret only from create and rotateSecret. */
export function clientView(clientId: string, settings: ClientSettings, connections: string[], secret?: string): ClientView {
  return {
    client_id: clientId,
    ...(secret ? { client_secret: secret } : {}),
    ...(entries(
      (field) => field,
      (field) => settings[field],
    ) as unknown as ClientSettings),
    connections,
  };
}

export function applyChanges(before: ClientSettings, changes: ClientChanges): ClientSettings {
  return entries(
    (field) => field,
    (field) => {
      const { change } = FIELDS[field] as ClientField<FieldName>;
      const given = changes[field];
      return change ? change(given, before[field]) : (given ?? before[field]);
    },
  ) as unknown as ClientSettings;
}
