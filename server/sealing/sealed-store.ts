/**
 * Brings every sealed value in the database under the sealing key at start, in one transaction:
 * - a database already sealed with it: nothing to do;
 * - one sealed with SEALING_KEY_PREVIOUS: everything is re-sealed with the new key (rotation);
 * - one from before SEALING_KEY (its key in the `secrets` table, signing keys, cookie keys, the
 *   SAML key and custom connections' configuration in clear): everything is sealed with the key
 *   and the stored key is deleted (upgrade);
 * - anything else: start-up stops with one line, rather than serving garbage.
 * A check value sealed with the key tells which case holds.
 */

import { isSealed, type Opener, openerFor, seal, sealJson, UnsealError, unseal } from '../../adapters/crypto/sealing.js';
import { clientSecretBinding } from '../../adapters/oidc/client-secret-sealing.js';
import { secretBinding, signingKeyBinding } from '../../adapters/queries/keys.js';
import type { SealedValueQueries, SealedValuesTransaction } from '../../adapters/queries/sealed-values.js';
import { ConfigError } from '../config.js';
import { idpTokensBinding } from '../connections/idp-tokens.js';
import { openOptions, sealOptions } from '../connections/option-secrets.js';
import type { Logger } from '../logger.js';
import { totpSecretBinding } from '../mfa/totp.js';

const CHECK_NAME = 'sealing_key_check';
const CHECK_TEXT = 'tessera sealing key';
/** Where Tessera kept its key before SEALING_KEY: beside what it sealed. */
const LEGACY_KEY_NAME = 'client_secret_key';

/** Values from before SEALING_KEY: sealed with the stored key, or in clear. */
function legacyOpener(legacyKey: Buffer | undefined): Opener {
  const text = (boundTo: string, value: unknown): string => {
    if (!isSealed(value)) return String(value);
    if (!legacyKey) throw new UnsealError(`${boundTo} is sealed, but the database holds no key to open it`);
    return unseal(legacyKey, boundTo, value);
  };
  return { text, json: (boundTo, value) => (isSealed(value) ? JSON.parse(text(boundTo, value)) : value) };
}

/** Opens every sealed value with `from` and writes it back sealed with `key`; returns how many. */
async function resealAll(db: SealedValueQueries, from: Opener, key: Buffer): Promise<number> {
  let count = 0;
  for (const { id, client_secret: secret } of await db.clientSecrets()) {
    if (typeof secret !== 'string') continue;
    await db.setClientSecret(id, seal(key, clientSecretBinding(id), from.text(clientSecretBinding(id), secret)));
    count += 1;
  }
  for (const { id, strategy, options } of await db.connections()) {
    await db.setConnectionOptions(id, sealOptions(key, id, strategy, openOptions(from, id, strategy, options)));
    count += 1;
  }
  for (const { id, connection_id: connectionId, external_id: externalId, idp_tokens: tokens } of await db.idpTokens()) {
    const bound = idpTokensBinding(connectionId, externalId);
    await db.setIdpTokens(id, seal(key, bound, from.text(bound, tokens)));
    count += 1;
  }
  for (const { kid, private_jwk: jwk } of await db.signingKeys()) {
    await db.setSigningKey(kid, sealJson(key, signingKeyBinding(kid), from.json(signingKeyBinding(kid), jwk)));
    count += 1;
  }
  for (const { id, user_id: userId, secret } of await db.totpSecrets()) {
    const bound = totpSecretBinding(id, userId);
    await db.setTotpSecret(id, seal(key, bound, from.text(bound, secret)));
    count += 1;
  }
  for (const { name, value } of await db.secrets()) {
    if (name === CHECK_NAME || name === LEGACY_KEY_NAME) continue;
    await db.putSecret(name, sealJson(key, secretBinding(name), from.json(secretBinding(name), value)));
    count += 1;
  }
  await db.putSecret(CHECK_NAME, seal(key, secretBinding(CHECK_NAME), CHECK_TEXT));
  return count;
}

/** resealAll, stopping start-up with one line when a value does not open (the transaction rolls back). */
async function resealOrExplain(db: SealedValueQueries, from: Opener, key: Buffer, source: string): Promise<number> {
  try {
    return await resealAll(db, from, key);
  } catch (error) {
    if (error instanceof UnsealError)
      throw new ConfigError(
        `invalid configuration: a secret in this database cannot be opened to seal it with ${source}: ${error.message}`,
      );
    throw error;
  }
}

function opens(key: Buffer, check: unknown): boolean {
  try {
    return unseal(key, secretBinding(CHECK_NAME), check) === CHECK_TEXT;
  } catch (error) {
    if (error instanceof UnsealError) return false;
    throw error;
  }
}

export interface SealedStoreOptions {
  key: Buffer;
  /** Names the key in messages: `SEALING_KEY` or the DATA_DIR file. */
  source: string;
  previousKey: Buffer | undefined;
  logger: Logger;
}

export async function prepareSealedStore(
  sealedValues: SealedValuesTransaction,
  { key, source, previousKey, logger }: SealedStoreOptions,
): Promise<void> {
  await sealedValues(async (db) => {
    const secrets = new Map((await db.secrets()).map(({ name, value }) => [name, value]));
    const check = secrets.get(CHECK_NAME);
    if (check !== undefined) {
      if (opens(key, check)) {
        if (previousKey) logger.warn('SEALING_KEY_PREVIOUS is set, but nothing is sealed with it any more: remove it');
        return;
      }
      if (previousKey && opens(previousKey, check)) {
        const count = await resealOrExplain(db, openerFor(previousKey), key, source);
        logger.info(
          { values: count },
          'secrets re-sealed with the new SEALING_KEY; remove SEALING_KEY_PREVIOUS once every node runs with it',
        );
        return;
      }
      throw new ConfigError(
        `invalid configuration: ${source} does not open the secrets in this database; set the key they were sealed with` +
          (previousKey
            ? ' (neither SEALING_KEY nor SEALING_KEY_PREVIOUS is it)'
            : ' (to change keys, give the old one as SEALING_KEY_PREVIOUS)'),
      );
    }
    const stored = secrets.get(LEGACY_KEY_NAME);
    const legacyKey = typeof stored === 'string' ? Buffer.from(stored, 'base64url') : undefined;
    const count = await resealOrExplain(db, legacyOpener(legacyKey), key, source);
    await db.deleteSecret(LEGACY_KEY_NAME);
    if (count > 0) logger.info({ values: count }, `secrets sealed with ${source}; the key kept in the database is deleted`);
  });
}
