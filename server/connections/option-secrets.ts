/**
 * Secrets in connection options: an oidc client_secret, an ldap bind_password, a custom
 * connection's configuration (database addresses and passwords for its scripts). They are
 * sealed in the connections table (bound to the connection and the option, so a sealed value
 * copied elsewhere does not open), opened for the strategies and scripts, which need them in
 * clear, and never shown by the management API, as Auth0 hides them.
 */
import { type Opener, openerFor, seal, sealJson } from '../../adapters/crypto/sealing.js';
import type { Json } from '../../adapters/queries/records.js';

interface SecretOption {
  name: string;
  /**
   * The options the secret belongs with: an update that omits the secret keeps the stored one
   * only while these stay the same, so a secret is never sent to an issuer or directory it was
   * not given for.
   */
  belongsWith: readonly string[];
  /** A string sealed as it is, or any JSON value sealed as its text. */
  kind: 'text' | 'json';
}

const SECRET_OPTIONS: Readonly<Partial<Record<string, readonly SecretOption[]>>> = {
  oidc: [{ name: 'client_secret', belongsWith: ['issuer', 'client_id'], kind: 'text' }],
  ldap: [{ name: 'bind_password', belongsWith: ['url', 'bind_dn'], kind: 'text' }],
  // Database addresses and passwords for the operator's scripts; Auth0 hides them too.
  custom: [{ name: 'configuration', belongsWith: ['script'], kind: 'json' }],
};

const secretsOf = (strategy: string): readonly SecretOption[] => SECRET_OPTIONS[strategy] ?? [];

const boundTo = (connectionId: string, option: string) => `Connection:${connectionId}:${option}`;

/** The names of a strategy's secret options: write-only through the API. */
export function secretOptionNames(strategy: string): string[] {
  return secretsOf(strategy).map((secret) => secret.name);
}

/** Options as the management API shows them. */
export function withoutSecrets(strategy: string, options: Json): Json {
  const hidden = new Set(secretsOf(strategy).map((secret) => secret.name));
  return Object.fromEntries(Object.entries(options).filter(([name]) => !hidden.has(name)));
}

/**
 * New options for an update. The API never shows a secret, so a read-modify-write cannot send
 * it back: an omitted secret keeps the stored one, `null` removes it.
 */
export function keepSecrets(strategy: string, stored: Json, incoming: Record<string, unknown>): Record<string, unknown> {
  const options = { ...incoming };
  for (const { name, belongsWith } of secretsOf(strategy)) {
    if (options[name] === null) delete options[name];
    else if (!(name in options) && name in stored && belongsWith.every((other) => options[other] === stored[other]))
      options[name] = stored[name];
  }
  return options;
}

/** How one secret option's value changes, by its kind, given what it is bound to. */
interface SecretTransform {
  text(bound: string, value: string): unknown;
  json(bound: string, value: unknown): unknown;
}

/** The options with each secret one passed through `transform`; the others as they are. */
function transformSecrets(transform: SecretTransform, connectionId: string, strategy: string, options: Json): Json {
  const result = { ...options };
  for (const { name, kind } of secretsOf(strategy)) {
    const value = result[name];
    const bound = boundTo(connectionId, name);
    if (kind === 'text' && typeof value === 'string') result[name] = transform.text(bound, value);
    else if (kind === 'json' && value !== undefined) result[name] = transform.json(bound, value);
  }
  return result;
}

/** Options as stored: every secret option sealed with `key`. */
export function sealOptions(key: Buffer, connectionId: string, strategy: string, options: Json): Json {
  const sealing: SecretTransform = { text: (bound, value) => seal(key, bound, value), json: (bound, value) => sealJson(key, bound, value) };
  return transformSecrets(sealing, connectionId, strategy, options);
}

/** Options as stored, opened by `opener`: the current key's, or an earlier one's during a migration. */
export function openOptions(opener: Opener, connectionId: string, strategy: string, options: Json): Json {
  return transformSecrets(opener, connectionId, strategy, options);
}

export function createOptionSecrets(key: Buffer) {
  const opener = openerFor(key);
  return {
    seal: (connectionId: string, strategy: string, options: Json): Json => sealOptions(key, connectionId, strategy, options),
    open: (connectionId: string, strategy: string, options: Json): Json => openOptions(opener, connectionId, strategy, options),
  };
}

export type OptionSecrets = ReturnType<typeof createOptionSecrets>;
