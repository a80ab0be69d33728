/**
 * Whether a user holds a second factor to be asked for at login: a confirmed authenticator app
 * (migration 0016) or a passkey (0017). Every password login asks, so both tables are probed in
 * one statement, each by its user index, rather than listing each kind's rows.
 */
import { QueryTypes } from 'sequelize';
import type { Models } from '../sequelize/models.js';

const ENROLLED = `SELECT EXISTS (SELECT 1 FROM totp_authenticators WHERE user_id = $1 AND confirmed_at IS NOT NULL)
    OR EXISTS (SELECT 1 FROM webauthn_credentials WHERE user_id = $1) AS enrolled`;

export function createSecondFactorQueries({ sequelize }: Models) {
  return {
    async enrolled(userId: string): Promise<boolean> {
      const [row] = await sequelize.query<{ enrolled: boolean }>(ENROLLED, { bind: [userId], type: QueryTypes.SELECT });
      return row?.enrolled === true;
    },
  };
}
