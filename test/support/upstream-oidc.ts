/**
 * An upstream OpenID provider for tests: a real oidc-provider on a loopback port, with its dev
 * login and consent pages (any login is accepted and becomes the account id). Its accounts
 * can change between logins, and it names claims as some real providers do (`surname`,
 * `first_name`), so a connection's default mapping has work to do.
 *
 * Also a server that accepts connections and never answers, for timeouts.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';
import { generateSigningKey } from '../../server/oidc/key-store.js';
import { type Browser, isPage, type Visit } from './browser.js';

export interface UpstreamOidc {
  readonly issuer: string;
  readonly authorizationEndpoint: string;
  readonly client: { clientId: string; clientSecret: string };
  /** login → the claims userinfo gives for it (besides `sub`); change them between logins. */
  readonly accounts: Map<string, Record<string, unknown>>;
  stop(): Promise<void>;
}

const CLAIMS = {
  openid: ['sub'],
  profile: ['name', 'first_name', 'surname', 'nickname', 'picture', 'locale'],
  email: ['email', 'email_verified'],
};

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: HttpServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Starts the provider with one confidential client whose redirect URI is Tessera's callback. */
export async function startUpstreamOidc(redirectUri: string): Promise<UpstreamOidc> {
  const server = createServer();
  const issuer = `http://127.0.0.1:${await listen(server)}`;
  const client = { clientId: `tessera-${randomBytes(4).toString('hex')}`, clientSecret: randomBytes(32).toString('base64url') };
  const accounts = new Map<string, Record<string, unknown>>();
  const signingKey = await generateSigningKey('RS256');

  const configuration: Configuration = {
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [signingKey.jwk] } as Configuration['jwks'],
    // Tessera's own cookies live on the same host; a browser keeps cookies per host, not per port.
    cookies: {
      keys: [randomBytes(32).toString('base64url')],
      names: { session: 'upstream_session', interaction: 'upstream_interaction', resume: 'upstream_resume' },
    },
    claims: CLAIMS,
    ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600, RefreshToken: 86_400 },
    // Refresh tokens without prompt=consent, as providers like Google's access_type=offline give them.
    issueRefreshToken: async (_ctx, upstreamClient) => upstreamClient.grantTypeAllowed('refresh_token'),
    async findAccount(_ctx, sub) {
      return { accountId: sub, claims: () => ({ sub, ...accounts.get(sub) }) };
    },
    features: { devInteractions: { enabled: true }, userinfo: { enabled: true } },
  };
  const provider = new Provider(issuer, configuration);
  server.on('request', provider.callback());

  return {
    issuer,
    authorizationEndpoint: `${issuer}/auth`,
    client,
    accounts,
    stop: () => close(server),
  };
}

/**
 * Signs in at the upstream's pages as `login` and consents: from a visit that reached them to
 * wherever the upstream sends the browser next, stopping at a Location starting with stopAt.
 */
export async function signInUpstream(
  browser: Browser,
  upstream: UpstreamOidc,
  start: Visit,
  login: string,
  stopAt?: string,
): Promise<Visit> {
  let visit = start;
  for (let pages = 0; pages < 4 && isPage(visit) && visit.url.startsWith(upstream.issuer); pages += 1) {
    visit = await browser.submit(visit, { login, password: 'any password' }, stopAt);
  }
  return visit;
}

/** A TCP server that accepts connections and never says a word: an upstream that hangs. */
export async function startSilentServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  return {
    url: `http://127.0.0.1:${await listen(server)}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
