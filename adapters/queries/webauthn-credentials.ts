/**
 * SQL for the passkeys people register (webauthn_credentials). A use moves the signature counter
 * in one conditional UPDATE, so an assertion whose counter does not grow (a cloned authenticator,
 * or two requests racing with one assertion) changes nothing and is refused by the caller.
 */
import { QueryTypes } from 'sequelize';
import { reportingConflicts } from '../errors.js';
import type { Models } from '../sequelize/models.js';

export type CredentialDeviceType = 'singleDevice' | 'multiDevice';

export interface WebauthnCredentialRecord {
  id: string;
  user_id: string;
  /** base64url, as the browser names it. */
  credential_id: string;
  public_key: Uint8Array<ArrayBuffer>;
  counter: number;
  transports: string[];
  device_type: CredentialDeviceType;
  backed_up: boolean;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

export type NewWebauthnCredential = Omit<WebauthnCredentialRecord, 'created_at' | 'last_used_at'>;

interface Row extends Omit<WebauthnCredentialRecord, 'counter' | 'public_key'> {
  counter: string | number;
  public_key: Buffer;
}

const toRecord = (row: Row): WebauthnCredentialRecord => ({
  ...row,
  counter: Number(row.counter),
  public_key: new Uint8Array(row.public_key),
});

const COLUMNS = 'id, user_id, credential_id, public_key, counter, transports, device_type, backed_up, name, created_at, last_used_at';

export function createWebauthnCredentialQueries(models: Models) {
  const { sequelize } = models;
  const select = async (where: string, bind: unknown[]) =>
    (
      await sequelize.query<Row>(`SELECT ${COLUMNS} FROM webauthn_credentials WHERE ${where} ORDER BY created_at, id`, {
        bind,
        type: QueryTypes.SELECT,
      })
    ).map(toRecord);

  return {
    listForUser: (userId: string) => select('user_id = $1', [userId]),

    async findByCredentialId(credentialId: string): Promise<WebauthnCredentialRecord | undefined> {
      return (await select('credential_id = $1', [credentialId]))[0];
    },

    /** Throws a StoreConflict when the credential id is registered already (to anyone). */
    async insert(credential: NewWebauthnCredential): Promise<WebauthnCredentialRecord> {
      const rows = await reportingConflicts(
        sequelize.query<Row>(
          `INSERT INTO webauthn_credentials (id, user_id, credential_id, public_key, counter, transports, device_type, backed_up, name)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
          {
            bind: [
              credential.id,
              credential.user_id,
              credential.credential_id,
              Buffer.from(credential.public_key),
              credential.counter,
              credential.transports,
              credential.device_type,
              credential.backed_up,
              credential.name,
            ],
            type: QueryTypes.SELECT,
          },
        ),
      );
      const [row] = rows;
      if (!row) throw new Error('INSERT … RETURNING returned no row');
      return toRecord(row);
    },

    /**
     * Records a use: the new counter (only when it grows, or when the authenticator keeps none and
     * both are 0), the backup state the authenticator reported, and the time. False when refused.
     */
    async recordUse(id: string, counter: number, backedUp: boolean): Promise<boolean> {
      const rows = await sequelize.query(
        `UPDATE webauthn_credentials SET counter = $2, backed_up = $3, last_used_at = now()
          WHERE id = $1 AND (counter < $2 OR (counter = 0 AND $2 = 0)) RETURNING id`,
        { bind: [id, counter, backedUp], type: QueryTypes.SELECT },
      );
      return rows.length > 0;
    },

    async remove(userId: string, id: string): Promise<boolean> {
      const rows = await sequelize.query(`DELETE FROM webauthn_credentials WHERE user_id = $1 AND id = $2 RETURNING id`, {
        bind: [userId, id],
        type: QueryTypes.SELECT,
      });
      return rows.length > 0;
    },

    async removeAll(userId: string): Promise<void> {
      await sequelize.query('DELETE FROM webauthn_credentials WHERE user_id = $1', { bind: [userId] });
    },
  };
}

export type WebauthnCredentialQueries = ReturnType<typeof createWebauthnCredentialQueries>;
