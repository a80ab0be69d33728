/**
 * The signed-in person's own sessions and applications, for the account page. Both are read from
 * the account index of oidc-provider's storage (Session and Grant rows carry the account id), and
 * ended through the same adapters oidc-provider uses, so the grant memo of every node forgets what
 * went (a destroyed grant is announced to the other nodes) exactly as revokeAccount's does.
 *
 * A session's storage id is the value of its cookie: whoever knows it is signed in. It never
 * leaves here; the page sees a SHA-256 of it, which names the session without opening it.
 */
import { createHash } from 'node:crypto';
import type { AdapterFactory, AdapterPayload } from '../../adapters/oidc/types.js';
import { DomainError } from '../errors.js';
import { loginsOf, type NotifyLogout, revokeGrant } from '../oidc/account-revocation.js';

export interface ApplicationRef {
  client_id: string;
  name: string;
}

export interface OwnSession {
  /** Opaque: a hash of the session's id, never the cookie's value. */
  id: string;
  created_at: string;
  expires_at: string | null;
  applications: ApplicationRef[];
}

export interface OwnApplication {
  client_id: string;
  name: string;
  /** Every scope granted: the OpenID ones, then those of each API (resource) the client was given. */
  scopes: string[];
}

export interface OwnSessionsDependencies {
  adapter: AdapterFactory;
  /** A registered client's metadata; undefined when it no longer exists. */
  findClient: (clientId: string) => Promise<{ client_name?: unknown } | undefined>;
  notifyLogout: NotifyLogout;
}

interface Authorization {
  sid?: string;
  grantId?: string;
}

/** The opaque id of a session, as the account page sees it. */
export function sessionHandle(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('base64url');
}

const isoOf = (epochSeconds: unknown) => (typeof epochSeconds === 'number' ? new Date(epochSeconds * 1000).toISOString() : null);

const authorizationsOf = (session: AdapterPayload) => (session['authorizations'] ?? {}) as Record<string, Authorization>;

function scopesOf(grant: AdapterPayload): string[] {
  const openid = (grant['openid'] as { scope?: string } | undefined)?.scope ?? '';
  const resources = Object.values((grant['resources'] ?? {}) as Record<string, string>);
  return [...new Set([openid, ...resources].flatMap((scope) => scope.split(' ')).filter(Boolean))];
}

export function createOwnSessions({ adapter, findClient, notifyLogout }: OwnSessionsDependencies) {
  const sessions = () => adapter('Session');
  const grants = () => adapter('Grant');

  /** The client's name for a person's eyes; undefined for a client since deleted, whose tokens no longer work anyway. */
  async function nameOf(clientId: string): Promise<string | undefined> {
    const client = await findClient(clientId);
    if (!client) return undefined;
    return typeof client.client_name === 'string' && client.client_name !== '' ? client.client_name : clientId;
  }

  async function applicationRefs(clientIds: readonly string[]): Promise<ApplicationRef[]> {
    const named = await Promise.all(clientIds.map(async (client_id) => ({ client_id, name: await nameOf(client_id) })));
    return named.flatMap(({ client_id, name }) => (name === undefined ? [] : [{ client_id, name }]));
  }

  /** The account's live sessions with their storage ids; a row the index still lists but the store no longer holds is left out. */
  async function storedSessions(userId: string): Promise<Array<{ sessionId: string; session: AdapterPayload }>> {
    const store = sessions();
    const ids = await store.idsByAccount(userId);
    const found = await Promise.all(ids.map(async (sessionId) => ({ sessionId, session: (await store.find(sessionId)) ?? undefined })));
    return found.flatMap(({ sessionId, session }) => (session && session.accountId === userId ? [{ sessionId, session }] : []));
  }

  async function storedGrants(userId: string): Promise<Array<{ grantId: string; grant: AdapterPayload }>> {
    const store = grants();
    const ids = await store.idsByAccount(userId);
    const found = await Promise.all(ids.map(async (grantId) => ({ grantId, grant: (await store.find(grantId)) ?? undefined })));
    return found.flatMap(({ grantId, grant }) =>
      grant && grant.accountId === userId && typeof grant.clientId === 'string' ? [{ grantId, grant }] : [],
    );
  }

  return {
    /** Newest first. */
    async list(userId: string): Promise<OwnSession[]> {
      const found = await storedSessions(userId);
      const listed = await Promise.all(
        found.map(async ({ sessionId, session }) => ({
          iat: typeof session.iat === 'number' ? session.iat : 0,
          entry: {
            id: sessionHandle(sessionId),
            created_at: isoOf(session.iat) ?? new Date(0).toISOString(),
            expires_at: isoOf(session.exp),
            applications: await applicationRefs(Object.keys(authorizationsOf(session))),
          },
        })),
      );
      return listed.sort((a, b) => b.iat - a.iat).map(({ entry }) => entry);
    },

    /**
     * Signs the person out of that session as the end_session endpoint would with logout=yes, and
     * further: every grant the session holds goes with all its tokens, refresh tokens for
     * offline_access included (oidc-provider's logout keeps those), because ending a session from
     * the account page means "this device is no longer mine". Clients with a back-channel logout
     * URI are told.
     */
    async end(userId: string, handle: string): Promise<{ ended: true }> {
      const target = (await storedSessions(userId)).find(({ sessionId }) => sessionHandle(sessionId) === handle);
      if (!target) throw new DomainError('session.not_found', 'you have no such session', 'id');
      await sessions().destroy(target.sessionId);
      const grantIds = new Set(Object.values(authorizationsOf(target.session)).flatMap(({ grantId }) => (grantId ? [grantId] : [])));
      for (const grantId of grantIds) {
        // A session names its grants; revoking one is still checked against whose it is.
        if ((await grants().find(grantId))?.accountId === userId) await revokeGrant(adapter, grantId);
      }
      const logins = loginsOf(target.session);
      if (logins.length > 0) await notifyLogout(userId, logins);
      return { ended: true };
    },

    /** One entry per client, its grants' scopes together (a client has a grant per session it signed into). */
    async applications(userId: string): Promise<OwnApplication[]> {
      const scopes = new Map<string, Set<string>>();
      for (const { grant } of await storedGrants(userId)) {
        const clientId = grant.clientId as string;
        const held = scopes.get(clientId) ?? new Set<string>();
        for (const scope of scopesOf(grant)) held.add(scope);
        scopes.set(clientId, held);
      }
      const refs = await applicationRefs([...scopes.keys()].sort());
      return refs.map((ref) => ({ ...ref, scopes: [...(scopes.get(ref.client_id) ?? [])] }));
    },

    /**
     * Every grant the person gave the client goes, with every token issued under it: its refresh
     * tokens are refused from then on, and a third-party client must ask for consent again. The
     * client's logins in the person's sessions are told through back-channel logout.
     */
    async revokeApplication(userId: string, clientId: string): Promise<{ revoked: true }> {
      const grantIds = (await storedGrants(userId)).filter(({ grant }) => grant.clientId === clientId).map(({ grantId }) => grantId);
      if (grantIds.length === 0)
        throw new DomainError('application.not_found', 'this application holds no access to your account', 'client_id');
      for (const grantId of grantIds) await revokeGrant(adapter, grantId);
      const revoked = new Set(grantIds);
      const logins = (await storedSessions(userId)).flatMap(({ session }) => {
        const { sid, grantId } = authorizationsOf(session)[clientId] ?? {};
        return sid && grantId && revoked.has(grantId) ? [{ clientId, sid }] : [];
      });
      if (logins.length > 0) await notifyLogout(userId, logins);
      return { revoked: true };
    },
  };
}

export type OwnSessions = ReturnType<typeof createOwnSessions>;
