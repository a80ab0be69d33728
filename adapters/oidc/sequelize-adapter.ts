/**
 * oidc-provider storage in PostgreSQL: every model in one table keyed by (model, id), with
 * the lookup columns oidc-provider queries by (grant, user code, uid) pulled out of the payload.
 */
import { errors } from 'oidc-provider';
import type pg from 'pg';
import { Op } from 'sequelize';
import type { Models } from '../sequelize/models.js';
import type { AccountIndexedAdapter, AdapterPayload } from './types.js';

function notExpired() {
  return { [Op.or]: [{ expires_at: null }, { expires_at: { [Op.gt]: new Date() } }] };
}

/** Whether any string or key in `value` holds NUL; a list of pending values, not recursion. */
function holdsNul(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string') {
      if (next.includes('\u0000')) return true;
    } else if (next !== null && typeof next === 'object') {
      for (const [key, child] of Object.entries(next)) {
        if (key.includes('\u0000')) return true;
        pending.push(child);
      }
    }
  }
  return false;
}

export class SequelizeAdapter implements AccountIndexedAdapter {
  constructor(
    private readonly model: string,
    private readonly models: Models,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    // jsonb cannot hold NUL, and payloads carry request parameters (state, nonce, login_hint):
    // such a request is the caller's mistake, refused as one instead of failing the write.
    if (holdsNul(payload)) throw new errors.InvalidRequest('parameters must not contain the NUL character');
    await this.models.OidcPayload.upsert({
      model: this.model,
      id,
      payload: payload as Record<string, unknown>,
      grant_id: payload.grantId ?? null,
      user_code: payload.userCode ?? null,
      uid: payload.uid ?? null,
      account_id: payload.accountId ?? null,
      expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
      consumed_at: null,
    });
  }

  // Every token request and userinfo call that misses the memo reads here: straight on a pooled
  // connection, the read costs the event loop half of what it does through sequelize.query.
  // (Unnamed on purpose: a named statement saves PostgreSQL its parsing too, but fails behind a
  // transaction-mode pooler such as PgBouncer without prepared-statement support.)
  private async findWhere(column: 'id' | 'user_code' | 'uid', value: string): Promise<AdapterPayload | undefined> {
    // A value from the request (a token, a client_id) may hold NUL, which PostgreSQL refuses in
    // text; nothing stored holds one, so it is simply not found.
    if (value.includes('\u0000')) return undefined;
    const { connectionManager } = this.models.sequelize;
    const connection = await connectionManager.getConnection({ type: 'read' });
    let rows: Array<{ payload: AdapterPayload; consumed_at: Date | null }>;
    try {
      // Sequelize's postgres dialect pools node-postgres clients.
      ({ rows } = await (connection as pg.ClientBase).query({
        text: `SELECT payload, consumed_at FROM oidc_payloads
                WHERE model = $1 AND ${column} = $2 AND (expires_at IS NULL OR expires_at > now())
                LIMIT 1`,
        values: [this.model, value],
      }));
    } finally {
      connectionManager.releaseConnection(connection);
    }
    const [row] = rows;
    if (!row) return undefined;
    return row.consumed_at ? { ...row.payload, consumed: Math.floor(new Date(row.consumed_at).getTime() / 1000) } : row.payload;
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

  async consume(id: string): Promise<void> {
    await this.models.OidcPayload.update({ consumed_at: new Date() }, { where: { model: this.model, id } });
  }

  async destroy(id: string): Promise<void> {
    await this.models.OidcPayload.destroy({ where: { model: this.model, id } });
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

/** Deletes expired artifacts; lookups already ignore them, this only reclaims space. */
export async function sweepExpiredPayloads(models: Models): Promise<number> {
  return models.OidcPayload.destroy({ where: { expires_at: { [Op.lt]: new Date() } } });
}
