/**
 * oidc-provider storage in PostgreSQL: every model in one table keyed by (model, id), with
 * the lookup columns oidc-provider queries by (grant, user code, uid) pulled out of the payload.
 * It is the record of every artifact, with Redis or without: consuming one is decided here, once.
 */

import { Op } from 'sequelize';
import { GrantGone } from '../errors.js';
import type { Models } from '../sequelize/models.js';
import { deferrable } from './deferred-writes.js';
import { GRANT_BOUND_MODELS } from './grant-bound-models.js';
import { refuseNul } from './nul-refusal.js';
import { type PayloadRow, type PayloadStatements, payloadStatements, queryPayloads } from './payload-statements.js';
import { type AccountIndexedAdapter, type AdapterPayload, AlreadyConsumed, type ConsumesOnce, type ReportsCreation } from './types.js';

/** A stored artifact as a cache needs it back: its payload (with `consumed`) and its remaining lifetime. */
export interface StoredArtifact {
  id: string;
  payload: AdapterPayload;
  /** Seconds left; 0 for an artifact that does not expire. */
  expiresIn: number;
}

function notExpired() {
  return { [Op.or]: [{ expires_at: null }, { expires_at: { [Op.gt]: new Date() } }] };
}

export class SequelizeAdapter implements AccountIndexedAdapter, ConsumesOnce, ReportsCreation {
  private readonly statements: PayloadStatements;

  constructor(
    private readonly model: string,
    private readonly models: Models,
  ) {
    // Every artifact is written here and every read that misses the memo (or Redis) comes here.
    this.statements = payloadStatements(models);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    await this.save(id, payload, expiresIn);
  }

  /** A deferred write (deferred-writes.ts) has not landed when this returns, so it says 'replaced', which promises nothing. */
  async save(id: string, payload: AdapterPayload, expiresIn: number): Promise<'created' | 'replaced'> {
    refuseNul(id, payload);
    const outcome = await deferrable(this.model, async (redemption) => {
      const write = { model: this.model, id, payload, expiresIn };
      let written = await this.statements.upsert({ ...write, redemption });
      if (written === 'unredeemed') {
        // Another request redeemed it first: the request fails, unless a reuse interval lets this one land too.
        await redemption?.lost();
        written = await this.statements.upsert(write);
      }
      if (written === 'refused' || written === 'unredeemed') throw new GrantGone();
      return written;
    });
    return outcome ?? 'replaced';
  }

  async findStored(column: 'id' | 'user_code' | 'uid', value: string): Promise<StoredArtifact | undefined> {
    // A value from the request (a token, a client_id) may hold NUL, which PostgreSQL refuses in
    // text; nothing stored holds one, so it is simply not found.
    if (value.includes('\u0000')) return undefined;
    const row =
      column === 'id'
        ? await this.statements.find(this.model, value)
        : (
            await queryPayloads<PayloadRow>(
              this.models,
              'read',
              `SELECT id, payload, consumed_at, expires_at FROM oidc_payloads
                WHERE model = $1 AND ${column} = $2 AND (expires_at IS NULL OR expires_at > now())
                LIMIT 1`,
              [this.model, value],
            )
          ).rows[0];
    if (!row) return undefined;
    const payload = row.consumed_at ? { ...row.payload, consumed: Math.floor(new Date(row.consumed_at).getTime() / 1000) } : row.payload;
    const expiresIn = row.expires_at ? Math.max(1, Math.ceil((new Date(row.expires_at).getTime() - Date.now()) / 1000)) : 0;
    return { id: row.id, payload, expiresIn };
  }

  private async findWhere(column: 'id' | 'user_code' | 'uid', value: string): Promise<AdapterPayload | undefined> {
    return (await this.findStored(column, value))?.payload;
  }

  find(id: string) {
    return this.findWhere('id', id);
  }

  findByUserCode(userCode: string) {
    return this.findWhere('user_code', userCode);
  }

  findByUid(uid: string) {
    return this.findWhere('uid', uid);
  }

  /**
   * Marks the artifact consumed if nobody has: of concurrent redemptions of one code or refresh
   * token (on any node), exactly one passes; the others get AlreadyConsumed. 'absent' when
   * there is no such live artifact (an expired one is not consumed either).
   */
  async consumeOnce(id: string): Promise<'consumed' | 'absent'> {
    if (id.includes('\u0000')) return 'absent';
    if (await this.statements.consume(this.model, id)) return 'consumed';
    const stored = await this.findStored('id', id);
    if (stored?.payload.consumed) throw new AlreadyConsumed(stored.payload.grantId, stored.payload.consumed);
    return 'absent';
  }

  /** Marks the artifact consumed, keeping the first time; the single-use check is consumeOnce's. */
  async consume(id: string): Promise<void> {
    await queryPayloads(
      this.models,
      'write',
      'UPDATE oidc_payloads SET consumed_at = now() WHERE model = $1 AND id = $2 AND consumed_at IS NULL',
      [this.model, id],
    );
  }

  async destroy(id: string): Promise<void> {
    if (id.includes('\u0000')) return;
    if (this.model === 'Grant') return this.destroyGrant(id);
    // Every login destroys the session it replaces: the plain statement, not Model.destroy's hooks and query building.
    await queryPayloads(this.models, 'write', 'DELETE FROM oidc_payloads WHERE model = $1 AND id = $2', [this.model, id]);
  }

  /**
   * The grant's row first, then every token issued under it, each statement seeing what committed
   * before it: a token being written under the grant holds its row (payload-statements.ts), so it
   * is either committed before the grant's deletion, and deleted here, or written not at all.
   */
  private async destroyGrant(id: string): Promise<void> {
    await this.models.sequelize.transaction(async (transaction) => {
      await this.models.sequelize.query("DELETE FROM oidc_payloads WHERE model = 'Grant' AND id = :id", {
        replacements: { id },
        transaction,
      });
      await this.models.sequelize.query('DELETE FROM oidc_payloads WHERE grant_id = :id AND model IN (:bound)', {
        replacements: { id, bound: GRANT_BOUND_MODELS },
        transaction,
      });
    });
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.models.OidcPayload.destroy({ where: { model: this.model, grant_id: grantId } });
  }

  async idsByAccount(accountId: string): Promise<string[]> {
    const rows = await this.models.OidcPayload.findAll({
      attributes: ['id'],
      where: { model: this.model, account_id: accountId, ...notExpired() },
    });
    return rows.map((row) => row.id);
  }
}

const SWEEP_BATCH = 5_000;

/**
 * Deletes expired artifacts; lookups already ignore them, this only reclaims space. Every access
 * token, session and interaction has a row, so a sweep may find hundreds of thousands: it deletes
 * them in batches, each a short statement that no statement timeout cuts off.
 */
export async function sweepExpiredPayloads(models: Models, batch = SWEEP_BATCH): Promise<number> {
  let swept = 0;
  for (;;) {
    const [, result] = await models.sequelize.query(
      `DELETE FROM oidc_payloads WHERE ctid IN (
         SELECT ctid FROM oidc_payloads WHERE expires_at < now() LIMIT :batch)`,
      { replacements: { batch } },
    );
    const deleted = (result as { rowCount?: number | null }).rowCount ?? 0;
    swept += deleted;
    if (deleted < batch) return swept;
  }
}
