/**
 * SQL for every sealed value as stored, for re-sealing them all in one transaction: when an
 * install from before SEALING_KEY is upgraded, and when SEALING_KEY is rotated. Values are
 * read and written as they are in the tables; the caller opens and seals.
 */
import { QueryTypes, type Transaction } from 'sequelize';
import { holdAdvisoryLock } from '../sequelize/advisory-locks.js';
import type { Json, Models } from '../sequelize/models.js';

export interface SealedValueQueries {
  secrets(): Promise<Array<{ name: string; value: unknown }>>;
  putSecret(name: string, value: unknown): Promise<void>;
  deleteSecret(name: string): Promise<void>;
  clientSecrets(): Promise<Array<{ id: string; client_secret: unknown }>>;
  setClientSecret(id: string, value: string): Promise<void>;
  connections(): Promise<Array<{ id: string; strategy: string; options: Json }>>;
  setConnectionOptions(id: string, options: Json): Promise<void>;
  idpTokens(): Promise<Array<{ id: string; connection_id: string; external_id: string; idp_tokens: string }>>;
  setIdpTokens(id: string, value: string): Promise<void>;
  signingKeys(): Promise<Array<{ kid: string; private_jwk: unknown }>>;
  setSigningKey(kid: string, value: string): Promise<void>;
  totpSecrets(): Promise<Array<{ id: string; user_id: string; secret: string }>>;
  setTotpSecret(id: string, value: string): Promise<void>;
}

/** withSealedValues bound to one database: what re-sealing at start is handed. */
export type SealedValuesTransaction = <T>(fn: (queries: SealedValueQueries) => Promise<T>) => Promise<T>;

/** Runs fn in one transaction holding the key lock, so nodes starting together re-seal once. */
export function withSealedValues<T>(models: Models, fn: (queries: SealedValueQueries) => Promise<T>): Promise<T> {
  const { sequelize } = models;
  return sequelize.transaction(async (transaction: Transaction) => {
    await holdAdvisoryLock(sequelize, 'keyMaterial', transaction);
    const select = <R extends object>(sql: string, bind: unknown[] = []) =>
      sequelize.query<R>(sql, { bind, type: QueryTypes.SELECT, transaction });
    const run = async (sql: string, bind: unknown[]) => {
      await sequelize.query(sql, { bind, transaction });
    };
    return fn({
      secrets: () => select(`SELECT name, value FROM secrets ORDER BY name`),
      putSecret: (name, value) =>
        run(
          `INSERT INTO secrets (name, value, created_at) VALUES ($1, $2::jsonb, now()) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`,
          [name, JSON.stringify(value)],
        ),
      deleteSecret: (name) => run(`DELETE FROM secrets WHERE name = $1`, [name]),
      clientSecrets: () =>
        select(
          `SELECT id, payload->'client_secret' AS client_secret FROM oidc_payloads WHERE model = 'Client' AND payload->'client_secret' IS NOT NULL`,
        ),
      setClientSecret: (id, value) =>
        run(
          `UPDATE oidc_payloads SET payload = jsonb_set(payload, '{client_secret}', to_jsonb($2::text)) WHERE model = 'Client' AND id = $1`,
          [id, value],
        ),
      connections: () => select(`SELECT id, strategy, options FROM connections`),
      setConnectionOptions: (id, options) => run(`UPDATE connections SET options = $2::jsonb WHERE id = $1`, [id, JSON.stringify(options)]),
      idpTokens: () => select(`SELECT id::text AS id, connection_id, external_id, idp_tokens FROM identities WHERE idp_tokens IS NOT NULL`),
      setIdpTokens: (id, value) => run(`UPDATE identities SET idp_tokens = $2 WHERE id = $1::bigint`, [id, value]),
      signingKeys: () => select(`SELECT kid, private_jwk FROM signing_keys`),
      setSigningKey: (kid, value) => run(`UPDATE signing_keys SET private_jwk = to_jsonb($2::text) WHERE kid = $1`, [kid, value]),
      totpSecrets: () => select(`SELECT id, user_id, secret FROM totp_authenticators`),
      setTotpSecret: (id, value) => run(`UPDATE totp_authenticators SET secret = $2 WHERE id = $1`, [id, value]),
    });
  });
}
