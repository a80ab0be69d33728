import { randomUUID } from 'node:crypto';
import type { Adapter } from '../../adapters/oidc/types.js';

/** A grant written through `grants` (an adapter of the Grant model): PostgreSQL records a token only under a grant that exists. */
export async function storedGrant(grants: Adapter, id = `grant-${randomUUID()}`): Promise<string> {
  await grants.upsert(id, { jti: id, kind: 'Grant', accountId: 'account-1', clientId: 'client-app' }, 3600);
  return id;
}
