import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../adapters/postgres/free-port.js';
import { observations, writeRulesDir } from '../rules/rule-files.js';
import { Browser, isPage } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { adminClient } from '../support/management-client.js';
import { REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

type TestTessera = Awaited<ReturnType<typeof startTestTessera>>;

// Every code flow needs PKCE; these logins never redeem their code, so any challenge will do.
const PKCE_CHALLENGE = createHash('sha256').update('proxy-trust-verifier').digest('base64url');

/**
 * A browser in front of an https issuer served over http here, as behind a TLS-terminating
 * proxy: URLs on the issuer's host go to the local port.
 */
class ProxiedBrowser extends Browser {
  constructor(
    private readonly issuer: string,
    private readonly local: string,
    headers: Record<string, string>,
  ) {
    super(headers);
  }

  override request(url: string, init: RequestInit = {}) {
    const target = new URL(url);
    if (target.host !== new URL(this.issuer).host) return super.request(url, init);
    return super.request(`${this.local}${target.pathname}${target.search}`, init);
  }
}

/** An https issuer on a free port: `https://id.example.test:<port>`, served at http://127.0.0.1:<port>. */
async function startHttpsTessera(env: Record<string, string>) {
  const port = await freePort();
  const issuer = `https://id.example.test:${port}`;
  return { tessera: await startTestTessera({ port, env: { ISSUER: issuer, ...env } }), issuer };
}

/** Logs a new user in with `forwardedFor` on every request; their last_ip and the IP the rules saw. */
async function loginFrom(tessera: TestTessera, issuer: string, rulesDir: string, forwardedFor: string) {
  const client = await createClient(tessera);
  const user = await createUser(tessera);
  const browser = new ProxiedBrowser(issuer, tessera.url, { 'x-forwarded-for': forwardedFor });
  const authorize = new URL(`${issuer}/auth`);
  authorize.search = new URLSearchParams({
    client_id: client.client_id,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: REDIRECT_URI,
    state: 'proxy-trust',
    code_challenge: PKCE_CHALLENGE,
    code_challenge_method: 'S256',
  }).toString();
  const page = await browser.navigate(authorize.toString(), REDIRECT_URI);
  if (!isPage(page)) throw new Error('expected the login page');
  const done = await browser.submit(page, { username: user.email, password: user.password }, REDIRECT_URI);
  if (isPage(done)) throw new Error(`login did not complete: ${done.status}`);
  const admin = await adminClient(tessera.url);
  const { last_ip } = await admin.users.get.query({ id: user.profile.user_id });
  const [seen] = (await observations(rulesDir, user.profile.user_id)).filter((entry) => entry.rule === '10-observe.mjs');
  return { lastIp: last_ip, ruleIp: (seen?.event?.['request'] as { ip?: string } | undefined)?.ip };
}

describe.each([
  {
    trustProxy: undefined,
    forwardedFor: '6.6.6.6',
    expected: /^(::ffff:)?127\.0\.0\.1$/,
    what: 'ignores X-Forwarded-For with TRUST_PROXY unset',
  },
  {
    trustProxy: '1',
    forwardedFor: '6.6.6.6, 203.0.113.9',
    expected: /^203\.0\.113\.9$/,
    what: 'takes the rightmost X-Forwarded-For entry with TRUST_PROXY=1',
  },
  {
    trustProxy: '2',
    forwardedFor: '6.6.6.6, 198.51.100.4, 203.0.113.9',
    expected: /^198\.51\.100\.4$/,
    what: 'takes the second entry from the right with TRUST_PROXY=2',
  },
])('client IP behind an https issuer: $what', ({ trustProxy, forwardedFor, expected }) => {
  let tessera: TestTessera;
  let issuer: string;
  let rulesDir: string;

  beforeAll(async () => {
    rulesDir = await writeRulesDir();
    ({ tessera, issuer } = await startHttpsTessera({ RULES_DIR: rulesDir, ...(trustProxy ? { TRUST_PROXY: trustProxy } : {}) }));
  });
  afterAll(() => tessera?.stop());

  it('records it as last_ip and gives the same address to the rules as event.request.ip', async () => {
    const { lastIp, ruleIp } = await loginFrom(tessera, issuer, rulesDir, forwardedFor);
    expect(lastIp).toMatch(expected);
    expect(ruleIp).toBe(lastIp);
  });
});

describe('the issuer pins the origin', () => {
  let tessera: TestTessera;
  let issuer: string;

  beforeAll(async () => {
    ({ tessera, issuer } = await startHttpsTessera({ TRUST_PROXY: '1' }));
  });
  afterAll(() => tessera?.stop());

  it('lists discovery URLs under ISSUER whatever Host, X-Forwarded-Host and X-Forwarded-Proto say, behind a trusted proxy', async () => {
    const response = await fetch(`${tessera.url}/.well-known/openid-configuration`, {
      headers: { host: 'evil.example', 'x-forwarded-host': 'attacker.example', 'x-forwarded-proto': 'http' },
    });
    const discovery = (await response.json()) as Record<string, unknown>;
    expect(discovery['issuer']).toBe(issuer);
    const urls = Object.entries(discovery).filter(
      ([key, value]) => key.endsWith('_endpoint') || key === 'jwks_uri' || (typeof value === 'string' && value.includes('://')),
    );
    expect(urls.length).toBeGreaterThan(5);
    for (const [, url] of urls) expect(String(url).startsWith(`${issuer}/`) || url === issuer).toBe(true);
  });
});
