/**
 * Property-based fuzzing of the OIDC and SAML endpoints' parameters over real HTTP: arbitrary
 * and near-valid query strings, form bodies, credentials and path ids (NUL, invalid UTF-8 and
 * broken percent-encoding included) must never answer 5xx.
 */
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization } from '../../bench/target.js';
import { Browser, isPage } from '../support/browser.js';
import { createClient } from '../support/fixtures.js';
import { adminClient } from '../support/management-client.js';
import { REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';
import { FUZZ_SEED } from './json-arbitraries.js';

const SP_ENTITY_ID = 'https://sp.example.com/metadata';
const SP_ACS_URL = 'https://sp.example.com/acs';
/** An HTTP-Redirect binding AuthnRequest from the SAML client below: deflated, then base64. */
const AUTHN_REQUEST = deflateRawSync(
  `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_fuzz" Version="2.0" IssueInstant="${new Date().toISOString()}" AssertionConsumerServiceURL="${SP_ACS_URL}"><saml:Issuer>${SP_ENTITY_ID}</saml:Issuer></samlp:AuthnRequest>`,
).toString('base64');

/** Percent-encodes every byte of the UTF-8 form, so any string (NUL, lone surrogates) travels. */
function encodeBytes(value: string): string {
  return [...Buffer.from(value, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0').toUpperCase()}`).join('');
}

/** Already encoded, some of it wrongly: invalid UTF-8, overlong NUL, half an escape. */
const RAW = [
  '%',
  '%zz',
  '%00',
  '%25%00F%2B',
  '%C0%80',
  '%FF%FE',
  '%E2%82',
  '%ED%A0%80',
  '%2B',
  '+',
  '%0D%0A',
  '%2F..%2F',
  `${'a'.repeat(3000)}`,
];

const encodedValue = (valid: readonly string[]) =>
  fc.oneof(
    fc.constantFrom(...valid.map(encodeBytes)),
    fc.string({ unit: 'binary', maxLength: 40 }).map(encodeBytes),
    fc.constantFrom(...RAW),
    fc.tuple(fc.constantFrom(...valid), fc.constantFrom(...RAW)).map(([value, raw]) => `${encodeBytes(value)}${raw}`),
  );

interface EndpointSpec {
  readonly name: string;
  readonly methods: ReadonlyArray<'GET' | 'POST'>;
  /** Path segments after the endpoint's own (an id, a uid), valid first. */
  readonly path: (ids: Ids) => fc.Arbitrary<string>;
  /** Each parameter with values a valid request would send. */
  readonly params: (ids: Ids) => Record<string, readonly string[]>;
  readonly credentials?: (ids: Ids) => fc.Arbitrary<Record<string, string>>;
}

interface Ids {
  clientId: string;
  samlClientId: string;
  clientSecret: string;
  uid: string;
  cookie: string;
}

const segment = (valid: readonly string[]) => encodedValue(valid).map((value) => value || 'x');

const basic = (ids: Ids): fc.Arbitrary<Record<string, string>> =>
  fc.oneof(
    fc.constant({ authorization: basicAuthorization(ids) }),
    fc.string({ unit: 'binary', maxLength: 30 }).map((garbage) => ({ authorization: `Basic ${Buffer.from(garbage).toString('base64')}` })),
    fc.constantFrom<Record<string, string>>({ authorization: 'Basic %00' }, { authorization: 'Basic' }, { authorization: 'Bearer' }, {}),
  );

const ENDPOINTS: readonly EndpointSpec[] = [
  {
    name: '/auth',
    methods: ['GET', 'POST'],
    path: () => fc.constant('/auth'),
    params: (ids) => ({
      client_id: [ids.clientId],
      redirect_uri: [REDIRECT_URI],
      response_type: ['code', 'id_token', 'code id_token', 'none'],
      scope: ['openid', 'openid profile email offline_access'],
      state: ['s'],
      nonce: ['n'],
      code_challenge: ['E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'],
      code_challenge_method: ['S256', 'plain'],
      prompt: ['login', 'consent', 'none'],
      max_age: ['0', '-1'],
      resource: ['http://127.0.0.1/api/v2/'],
      response_mode: ['query', 'form_post', 'fragment'],
      login_hint: ['a@example.com'],
      acr_values: ['urn:x'],
      claims: ['{"userinfo":{"email":null}}'],
      ui_locales: ['en'],
      id_token_hint: ['eyJhbGciOiJub25lIn0.e30.'],
      request: ['eyJhbGciOiJub25lIn0.e30.'],
      connection: ['Username-Password'],
    }),
  },
  {
    name: '/token',
    methods: ['POST'],
    path: () => fc.constant('/token'),
    params: (ids) => ({
      grant_type: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'],
      code: ['abc'],
      redirect_uri: [REDIRECT_URI],
      code_verifier: ['dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'],
      refresh_token: ['abc'],
      scope: ['openid'],
      resource: ['http://127.0.0.1/api/v2/'],
      client_id: [ids.clientId],
      client_secret: [ids.clientSecret],
      client_assertion_type: ['urn:ietf:params:oauth:client-assertion-type:jwt-bearer'],
      client_assertion: ['eyJhbGciOiJub25lIn0.e30.'],
    }),
    credentials: basic,
  },
  {
    name: '/userinfo',
    methods: ['GET', 'POST'],
    path: () => fc.constant('/userinfo'),
    params: () => ({ access_token: ['abc', 'eyJhbGciOiJub25lIn0.e30.'] }),
    credentials: () =>
      fc.oneof(
        fc.constant<Record<string, string>>({}),
        fc
          .string({ unit: 'binary', maxLength: 40 })
          .map((token) => ({ authorization: `Bearer ${encodeURIComponent(token.replace(/[\ud800-\udfff]/g, ''))}` })),
        fc.constantFrom({ authorization: 'Bearer %00' }, { authorization: 'Bearer ' }, { authorization: 'DPoP abc' }),
      ),
  },
  ...(['/token/introspection', '/token/revocation'] as const).map(
    (name): EndpointSpec => ({
      name,
      methods: ['POST'],
      path: () => fc.constant(name),
      params: (ids) => ({
        token: ['abc'],
        token_type_hint: ['access_token', 'refresh_token'],
        client_id: [ids.clientId],
        client_secret: [ids.clientSecret],
      }),
      credentials: basic,
    }),
  ),
  {
    name: '/session/end',
    methods: ['GET', 'POST'],
    path: () => fc.constant('/session/end'),
    params: (ids) => ({
      id_token_hint: ['eyJhbGciOiJub25lIn0.e30.'],
      post_logout_redirect_uri: ['http://127.0.0.1:9/logged-out'],
      state: ['s'],
      client_id: [ids.clientId],
      logout_hint: ['a'],
      ui_locales: ['en'],
      xsrf: ['abc'],
      logout: ['yes'],
    }),
  },
  {
    name: '/samlp/:client_id',
    methods: ['GET', 'POST'],
    path: (ids) => segment([ids.samlClientId, ids.clientId]).map((id) => `/samlp/${id}`),
    params: () => ({
      SAMLRequest: [AUTHN_REQUEST],
      RelayState: ['r'],
      SigAlg: ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'],
      Signature: ['abc'],
    }),
  },
  {
    name: '/samlp/metadata/:client_id',
    methods: ['GET'],
    path: (ids) => segment([ids.samlClientId, ids.clientId]).map((id) => `/samlp/metadata/${id}`),
    params: () => ({}),
  },
  {
    name: '/interaction/:uid...',
    methods: ['GET', 'POST'],
    path: (ids) =>
      fc
        .tuple(segment([ids.uid]), fc.constantFrom('', '/login', '/confirm', '/abort', '/connection/Username-Password', '/resume/x'))
        .map(([uid, rest]) => `/interaction/${uid}${rest}`),
    params: () => ({
      username: ['a@example.com'],
      password: ['wrong password'],
      connection: ['Username-Password'],
      prompt: ['login'],
      state: ['s'],
      code: ['c'],
    }),
    credentials: (ids) => fc.constantFrom<Record<string, string>>({ cookie: ids.cookie }, {}),
  },
];

interface FuzzRequest {
  method: 'GET' | 'POST';
  path: string;
  query: string;
  headers: Record<string, string>;
}

function requestFor(spec: EndpointSpec, ids: Ids): fc.Arbitrary<FuzzRequest> {
  const params = spec.params(ids);
  const names = [...Object.keys(params), 'unknown'];
  const pair = fc.oneof(
    fc.constantFrom(...names).chain((name) => encodedValue(params[name] ?? ['x']).map((value) => `${name}=${value}`)),
    fc.tuple(encodedValue(['x']), encodedValue(['y'])).map(([name, value]) => `${name}=${value}`),
    fc.constantFrom(...RAW),
  );
  // A request that works, with one to three parameters changed, or only some of it kept.
  const valid = Object.entries(params).flatMap(
    ([name, values]): Array<[string, string]> => (values[0] === undefined ? [] : [[name, encodeBytes(values[0])]]),
  );
  const change = fc
    .constantFrom(...names)
    .chain((name) => encodedValue(params[name] ?? ['x']).map((value): [string, string] => [name, value]));
  const changed = fc.array(change, { minLength: 1, maxLength: 3 }).map((changes) => {
    const pairs = new Map(valid);
    for (const [name, value] of changes) pairs.set(name, value);
    return [...pairs].map(([name, value]) => `${name}=${value}`).join('&');
  });
  const query = fc.oneof(
    fc.array(pair, { maxLength: 8 }).map((pairs) => pairs.join('&')),
    changed,
    fc
      .tuple(fc.subarray(valid), fc.array(pair, { minLength: 1, maxLength: 3 }))
      .map(([kept, extra]) => [...kept.map(([name, value]) => `${name}=${value}`), ...extra].join('&')),
  );
  return fc.record({
    method: fc.constantFrom(...spec.methods),
    path: spec.path(ids),
    query,
    headers: spec.credentials ? spec.credentials(ids) : fc.constant({}),
  });
}

describe.each([
  ['PostgreSQL alone', false],
  ['Redis in front', true],
])('the OIDC and SAML endpoints under fuzzed parameters (%s)', (_stores, redis) => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let ids: Ids;

  beforeAll(async () => {
    tessera = await startTestTessera({ redis });
    const client = await createClient(tessera, { post_logout_redirect_uris: ['http://127.0.0.1:9/logged-out'] });
    // A real interaction, and the cookies that go with it.
    const browser = new Browser();
    const auth = new URL(`${tessera.issuer}/auth`);
    for (const [name, value] of Object.entries({
      client_id: client.client_id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    })) {
      auth.searchParams.set(name, value);
    }
    const page = await browser.navigate(auth.toString(), REDIRECT_URI);
    if (!isPage(page)) throw new Error('expected the login page');
    const uid = /\/interaction\/([^/?]+)/.exec(page.url)?.[1];
    if (!uid) throw new Error(`no interaction in ${page.url}`);
    const admin = await adminClient(tessera.issuer);
    const saml = await admin.clients.create.mutate({ name: 'fuzzed SP', saml_addon: { audience: SP_ENTITY_ID, acs_url: SP_ACS_URL } });
    ids = {
      clientId: client.client_id,
      samlClientId: saml.client_id,
      clientSecret: client.client_secret,
      uid,
      cookie: browser.cookieHeader(),
    };
  });
  afterAll(() => tessera?.stop());

  it('answers every request below 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ENDPOINTS).chain((spec) => requestFor(spec, ids)),
        async ({ method, path, query, headers }) => {
          const url = `${tessera.issuer}${path}${method === 'GET' && query ? `?${query}` : ''}`;
          const response = await fetch(url, {
            method,
            redirect: 'manual',
            headers: { ...headers, ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
            ...(method === 'POST' ? { body: query } : {}),
          });
          const body = await response.text();
          expect(
            response.status,
            `${method} ${path} ${query.slice(0, 300)} answered ${response.status}: ${body.slice(0, 300)}`,
          ).toBeLessThan(500);
        },
      ),
      { numRuns: 500, endOnFailure: false, ...FUZZ_SEED },
    );
  }, 60_000);
});
