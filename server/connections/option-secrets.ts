/**
 * Secrets in connection options: an oidc client_secret, an ldap bind_password. They are
 * sealed in the connections table (bound to the connection and the option, so a sealed value
 * copied elsewhere does not open), opened for the strategies, which need them in clear, and
 * never shown by the management API, as Auth0 hides them.
 */
import { seal, unseal } from '../../adapters/crypto/sealing.js';
import type { Json } from '../../adapters/sequelize/models.js';

interface SecretOption {
  name: string;
  /**
   * The options the secret belongs with: an update that omits the secret keeps the stored one
   * only while these stay the same, so a secret is never sent to an issuer or directory it was
   * not given for.
   */
  belongsWith: readonly string[];
  /** Sealed at rest; custom's configuration is not, for its scripts read it from joined rows. */
  sealed: boolean;
}

const SECRET_OPTIONS: Readonly<Partial<Record<string, readonly SecretOption[]>>> = {
  oidc: [{ name: 'client_secret', belongsWith: ['issuer', 'client_id'], sealed: true }],
  ldap: [{ name: 'bind_password', belongsWith: ['url', 'bind_dn'], sealed: true }],
  // Database addresses and passwords for the operator's scripts; Auth0 hides them too.
  custom: [{ name: 'configuration', belongsWith: ['script'], sealed: false }],
};

const secretsOf = (strategy: string): readonly SecretOption[] => SECRET_OPTIONS[strategy] ?? [];

const boundTo = (connectionId: string, option: string) => `Connection:${connectionId}:${option}`;

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
    else if (!(name in options) && name in stored && belongsWith.every((other) => options[other] === stored[other])) options[name] = stored[name];
  }
  return options;
}

export function createOptionSecrets(key: Buffer) {
  function transform(connectionId: string, strategy: string, options: Json, change: (bound: string, value: string) => string): Json {
    const result = { ...options };
    for (const { name, sealed } of secretsOf(strategy)) {
      const value = result[name];
      if (sealed && typeof value === 'string') result[name] = change(boundTo(connectionId, name), value);
    }
    return result;
  }

  return {
    seal: (connectionId: string, strategy: string, options: Json): Json =>
      transform(connectionId, strategy, options, (bound, value) => seal(key, bound, value)),
    open: (connectionId: string, strategy: string, options: Json): Json =>
      transform(connectionId, strategy, options, (bound, value) => unseal(key, bound, value)),
  };
}

export type OptionSecrets = ReturnType<typeof createOptionSecrets>;
