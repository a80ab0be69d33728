import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upstreamCallbackUrl } from '../../server/connections/upstream-callback-url.js';
import { Browser, isPage } from '../support/browser.js';
import { createClient } from '../support/fixtures.js';
import { clientCredentialsToken, managementClient } from '../support/management-client.js';
import { discover, login, REDIRECT_URI } from '../support/relying-party.js';
import { PEOPLE_DN, personDn, type Slapd, startSlapd } from '../support/slapd.js';
import { startTestTessera } from '../support/tessera.js';
import { signInUpstream, startUpstreamOidc, type UpstreamOidc } from '../support/upstream-oidc.js';

/**
 * One person with a directory account and a social account, linked: docs/contract.md's profile rules
 * across two real upstreams, with the profile cache in Redis.
 */
describe('linking a directory identity with an upstream OpenID identity', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let slapd: Slapd;
  let upstream: UpstreamOidc;
  let admin: ReturnType<typeof managementClient>;
  let config: oidc.Configuration;
  const directoryUser = 'ldap|Corp-Directory|alex';
  const socialUser = 'oidc|Social|alex-social';

  beforeAll(async () => {
    slapd = await startSlapd();
    tessera = await startTestTessera({ redis: true });
    upstream = await startUpstreamOidc(upstreamCallbackUrl(tessera.issuer));
    upstream.accounts.set('alex-social', {
      email: 'alex.r@social.example',
      email_verified: true,
      first_name: 'Al',
      surname: 'R.',
      nickname: 'alr',
    });
    admin = managementClient(tessera.issuer, await clientCredentialsToken(tessera.issuer));
    const client = await createClient(tessera);
    await admin.connections.create.mutate({
      name: 'Corp-Directory',
      strategy: 'ldap',
      options: { url: slapd.url, search_base: PEOPLE_DN },
      enabled_clients: [client.client_id],
    });
    await admin.connections.create.mutate({
      name: 'Social',
      strategy: 'oidc',
      options: {
        issuer: upstream.issuer,
        client_id: upstream.client.clientId,
        client_secret: upstream.client.clientSecret,
        is_social: true,
      },
      enabled_clients: [client.client_id],
    });
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(async () => {
    await tessera?.stop();
    await upstream?.stop();
    await slapd?.stop();
  });

  const directoryLogin = async () =>
    (
      await login(config, {
        scope: 'openid profile email',
        username: 'alex',
        password: 'alex-password',
        extraParams: { connection: 'Corp-Directory' },
      })
    ).tokens;

  async function socialLogin() {
    const browser = new Browser();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile email',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      connection: 'Social',
    });
    const atUpstream = await browser.navigate(url.href);
    const end = await signInUpstream(browser, upstream, atUpstream, 'alex-social', REDIRECT_URI);
    if (isPage(end)) throw new Error(`the login did not complete: ${end.status} ${end.html.slice(0, 300)}`);
    return oidc.authorizationCodeGrant(config, new URL(end.redirect), { pkceCodeVerifier: codeVerifier, idTokenExpected: true });
  }

  const userinfo = async (tokens: oidc.TokenEndpointResponse) => {
    const response = await fetch(`${tessera.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    return (await response.json()) as Record<string, unknown>;
  };

  it('keeps the directory user as the person, the social account in its profileData, and signs the social login in as the person', async () => {
    expect((await directoryLogin()).claims()?.sub).toBe(directoryUser);
    expect((await socialLogin()).claims()?.sub).toBe(socialUser);

    const identities = await admin.users.link.mutate({ id: directoryUser, link_with: socialUser });
    expect(identities.map((identity) => `${identity.provider}|${identity.user_id}`)).toEqual([directoryUser, socialUser]);

    const tokens = await socialLogin();
    expect(tokens.claims()?.sub).toBe(directoryUser);
    expect(await userinfo(tokens)).toMatchObject({
      sub: directoryUser,
      email: 'alex@example.org',
      family_name: 'Rivera',
      given_name: 'Alex',
    });
    const person = await admin.users.get.query({ id: directoryUser });
    expect(person).toMatchObject({ email: 'alex@example.org', given_name: 'Alex', family_name: 'Rivera', name: 'Alex Rivera' });
    expect(person.identities?.[1]).toMatchObject({
      connection: 'Social',
      isSocial: true,
      profileData: { email: 'alex.r@social.example', given_name: 'Al', family_name: 'R.', nickname: 'alr' },
    });
  });

  it('refreshes the cached root from the directory, and only the profileData from the social account', async () => {
    await admin.users.get.query({ id: directoryUser });
    await slapd.modify(personDn('alex'), { sn: 'Rivera-Stone', givenName: 'Alexandra' });
    const fromDirectory = await directoryLogin();
    expect(await userinfo(fromDirectory)).toMatchObject({ family_name: 'Rivera-Stone', given_name: 'Alexandra' });
    expect(await admin.users.get.query({ id: directoryUser })).toMatchObject({ family_name: 'Rivera-Stone', given_name: 'Alexandra' });

    upstream.accounts.set('alex-social', { email: 'alex.r@social.example', first_name: 'Ally', surname: 'R.' });
    const fromSocial = await socialLogin();
    expect(await userinfo(fromSocial)).toMatchObject({ family_name: 'Rivera-Stone', given_name: 'Alexandra' });
    const person = await admin.users.get.query({ id: directoryUser });
    expect(person).toMatchObject({ family_name: 'Rivera-Stone', given_name: 'Alexandra', logins_count: 4 });
    expect(person.identities?.[1]?.profileData).toMatchObject({ given_name: 'Ally', family_name: 'R.' });
    expect(person.identities?.[1]?.profileData).not.toHaveProperty('nickname');
  });

  it('gives the social account back as a user of its own on unlink, with its latest attributes', async () => {
    await admin.users.unlink.mutate({ id: directoryUser, provider: 'oidc', user_id: 'Social|alex-social' });
    expect(await admin.users.get.query({ id: socialUser })).toMatchObject({ email: 'alex.r@social.example', given_name: 'Ally' });
    expect((await socialLogin()).claims()?.sub).toBe(socialUser);
    expect((await admin.users.get.query({ id: directoryUser })).identities).toHaveLength(1);
  });
});
