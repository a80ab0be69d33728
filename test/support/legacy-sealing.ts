/**
 * Rewrites a database into the format Tessera wrote before SEALING_KEY (main at 47b2ba9), for
 * upgrade tests: its own key in `secrets.client_secret_key` (base64url), client secrets,
 * oidc/ldap connection secrets and upstream tokens sealed with that key ('enc:v1:', bound to
 * `Client:<id>`, `Connection:<id>:<option>`, `Identity:<connection>:<external id>`), and signing
 * keys, cookie keys, the SAML key and custom connections' configuration in clear JSON. Some
 * client secrets can be left in clear too, as installs from before client sealing had them.
 * Only raw SQL and the sealing primitive, whose format has not changed.
 */
import { QueryTypes } from 'sequelize';
import { seal, unseal, unsealJson } from '../../adapters/crypto/sealing.js';
import type { Json, Models } from '../../adapters/sequelize/models.js';

const TEXT_SECRETS: Record<string, string> = { oidc: 'client_secret', ldap: 'bind_password' };

export async function rewriteAsLegacy(
  models: Models,
  currentKey: Buffer,
  legacyKey: Buffer,
  clearClientIds: readonly string[] = [],
): Promise<void> {
  const { sequelize } = models;
  await sequelize.transaction(async (transaction) => {
    const select = <R extends object>(sql: string) => sequelize.query<R>(sql, { type: QueryTypes.SELECT, transaction });
    const run = async (sql: string, bind: unknown[]) => {
      await sequelize.query(sql, { bind, transaction });
    };

    for (const { id, secret } of await select<{ id: string; secret: string }>(
      `SELECT id, payload->>'client_secret' AS secret FROM oidc_payloads WHERE model = 'Client' AND payload->>'client_secret' IS NOT NULL`,
    )) {
      const clear = unseal(currentKey, `Client:${id}`, secret);
      const legacy = clearClientIds.includes(id) ? clear : seal(legacyKey, `Client:${id}`, clear);
      await run(
        `UPDATE oidc_payloads SET payload = jsonb_set(payload, '{client_secret}', to_jsonb($2::text)) WHERE model = 'Client' AND id = $1`,
        [id, legacy],
      );
    }

    for (const { id, strategy, options } of await select<{ id: string; strategy: string; options: Json }>(
      `SELECT id, strategy, options FROM connections`,
    )) {
      const legacy = { ...options };
      const text = TEXT_SECRETS[strategy];
      if (text && typeof legacy[text] === 'string') {
        legacy[text] = seal(legacyKey, `Connection:${id}:${text}`, unseal(currentKey, `Connection:${id}:${text}`, legacy[text]));
      }
      if (strategy === 'custom' && legacy['configuration'] !== undefined) {
        legacy['configuration'] = unsealJson(currentKey, `Connection:${id}:configuration`, legacy['configuration']);
      }
      await run(`UPDATE connections SET options = $2::jsonb WHERE id = $1`, [id, JSON.stringify(legacy)]);
    }

    for (const { id, bound, tokens } of await select<{ id: string; bound: string; tokens: string }>(
      `SELECT id, 'Identity:' || connection_id || ':' || external_id AS bound, idp_tokens AS tokens FROM identities WHERE idp_tokens IS NOT NULL`,
    )) {
      await run(`UPDATE identities SET idp_tokens = $2 WHERE id = $1`, [id, seal(legacyKey, bound, unseal(currentKey, bound, tokens))]);
    }

    for (const { kid, jwk } of await select<{ kid: string; jwk: string }>(`SELECT kid, private_jwk AS jwk FROM signing_keys`)) {
      await run(`UPDATE signing_keys SET private_jwk = $2::jsonb WHERE kid = $1`, [
        kid,
        JSON.stringify(unsealJson(currentKey, `SigningKey:${kid}`, jwk)),
      ]);
    }

    await run(`DELETE FROM secrets WHERE name = 'sealing_key_check'`, []);
    for (const { name, value } of await select<{ name: string; value: string }>(`SELECT name, value FROM secrets`)) {
      await run(`UPDATE secrets SET value = $2::jsonb WHERE name = $1`, [
        name,
        JSON.stringify(unsealJson(currentKey, `Secret:${name}`, value)),
      ]);
    }
    await run(`INSERT INTO secrets (name, value) VALUES ('client_secret_key', to_jsonb($1::text))`, [legacyKey.toString('base64url')]);
  });
}
