import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionRecord } from '../../../adapters/queries/records.js';
import { isDomainError } from '../../../server/errors.js';
import { createUser } from '../../support/fixtures.js';
import { takeEvents } from '../../support/take-events.js';
import { startTestTessera } from '../../support/tessera.js';

/** Logins through an upstream connection persisted under docs/contract.md's profile rules, without a protocol in the way. */
describe('persisting a login through an upstream connection', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let connection: ConnectionRecord;

  beforeAll(async () => {
    tessera = await startTestTessera();
    connection = await tessera.services.connections.create({
      id: 'con_upstream_test',
      name: 'Upstream',
      strategy: 'oidc',
      options: { issuer: 'https://upstream.example', client_id: 'tessera', is_social: true },
    });
  });
  afterAll(() => tessera?.stop());

  const login = (id: string, attributes: Record<string, unknown>, tokens?: { access_token: string; refresh_token?: string }) =>
    tessera.services.connectionLogin.login(connection, { id, attributes, ...(tokens ? { tokens } : {}) });
  const profileOf = (userId: string) => tessera.services.userService.get(userId);

  it('creates <provider>|<connection>|<id> with the normalized attributes at the root', async () => {
    const { userId, created } = await login('u-1', {
      email: 'Jane@Example.com',
      first_name: 'Jane',
      surname: 'Doe',
      picture: 'https://example.com/j.png',
    });
    expect(created).toBe(true);
    expect(userId).toBe('oidc|Upstream|u-1');
    const profile = await profileOf(userId);
    expect(profile).toMatchObject({
      email: 'jane@example.com',
      given_name: 'Jane',
      family_name: 'Doe',
      name: 'jane@example.com',
      nickname: 'jane',
    });
    expect(profile.identities).toEqual([{ connection: 'Upstream', provider: 'oidc', user_id: 'Upstream|u-1', isSocial: true }]);
  });

  it('refreshes the root from the primary identity at each login, clearing what the upstream no longer sends', async () => {
    await login('u-2', { email: 'sam@example.com', given_name: 'Sam', family_name: 'Old' });
    const events = await takeEvents(tessera.services.events, { userId: 'oidc|Upstream|u-2' }, 1, async () => {
      await login('u-2', { email: 'sam@example.com', family_name: 'New', name: 'Sam New' });
    });
    expect(events.map((event) => event.type)).toEqual(['user.updated']);
    const profile = await profileOf('oidc|Upstream|u-2');
    expect(profile).toMatchObject({ family_name: 'New', name: 'Sam New' });
    expect(profile.given_name).toBeUndefined();
  });

  it('persists nothing when the mapped profile is invalid', async () => {
    const error = await login('u-3', { email: 'not-an-email' }).catch((caught: unknown) => caught);
    expect(isDomainError(error, 'profile.invalid')).toBe(true);
    await expect(profileOf('oidc|Upstream|u-3')).rejects.toThrow(/does not exist/);
  });

  it('keeps upstream tokens sealed at rest, out of the profile', async () => {
    const { userId } = await login(
      'u-4',
      { email: 'tok@example.com' },
      { access_token: 'upstream-access-token-value', refresh_token: 'upstream-refresh-token-value' },
    );
    const rows = await tessera.database.sequelize.query<{ idp_tokens: string }>(`SELECT idp_tokens FROM identities WHERE user_id = $1`, {
      bind: [userId],
      type: QueryTypes.SELECT,
    });
    expect(rows[0]?.idp_tokens).toMatch(/^enc:v1:/);
    expect(rows[0]?.idp_tokens).not.toContain('upstream-access-token-value');
    expect(JSON.stringify(await profileOf(userId))).not.toContain('upstream-access-token-value');
  });

  it('refreshes a linked identity in its own profileData, signs in the primary, and never touches the root', async () => {
    const { profile: primary } = await createUser(tessera, { name: 'Primary Person', given_name: 'Primary' });
    await login('u-5', { email: 'linked@example.com', given_name: 'Linked', family_name: 'First' });
    await tessera.services.userService.link(primary.user_id, 'oidc|Upstream|u-5');

    const { userId, created } = await login('u-5', { email: 'linked@example.com', given_name: 'Linked', family_name: 'Second' });
    expect(created).toBe(false);
    expect(userId).toBe(primary.user_id);
    const profile = await profileOf(primary.user_id);
    expect(profile).toMatchObject({ name: 'Primary Person', given_name: 'Primary', email: primary.email });
    expect(profile.family_name).toBeUndefined();
    expect(profile.identities[1]).toMatchObject({
      provider: 'oidc',
      user_id: 'Upstream|u-5',
      profileData: { family_name: 'Second', given_name: 'Linked' },
    });
  });

  it('makes one user when two first logins of the same upstream user race', async () => {
    const results = await Promise.all([login('u-6', { email: 'race@example.com' }), login('u-6', { email: 'race@example.com' })]);
    expect(new Set(results.map((result) => result.userId))).toEqual(new Set(['oidc|Upstream|u-6']));
    expect(results.filter((result) => result.created)).toHaveLength(1);
  });
});
