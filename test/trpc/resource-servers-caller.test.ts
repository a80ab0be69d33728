import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGEMENT_SCOPES } from '../../server/oidc/management-api.js';
import { type Caller, type CallerTessera, callErrorOf, openCallerTessera } from '../support/management-caller.js';

describe('resourceServers.* through createCaller, without HTTP', () => {
  let tessera: CallerTessera;
  let admin: Caller;
  let machineId: string;
  let counter = 0;

  beforeAll(async () => {
    tessera = await openCallerTessera();
    admin = tessera.as(MANAGEMENT_SCOPES);
    machineId = (await admin.clients.create({ name: 'Machine', grant_types: ['client_credentials'] })).client_id;
  });
  afterAll(() => tessera?.stop());

  const identifier = () => {
    counter += 1;
    return `https://caller-${counter}.example.com/api`;
  };
  const managementApi = async () => (await admin.resourceServers.list()).resource_servers.find((api) => api.is_system)!;

  describe('authorization', () => {
    it('answers a call without a bearer token with UNAUTHORIZED', async () => {
      expect((await callErrorOf(tessera.anonymous().resourceServers.list())).code).toBe('UNAUTHORIZED');
    });

    it.each([
      ['list', 'read:resource_servers', (c: Caller) => c.resourceServers.list()],
      ['get', 'read:resource_servers', (c: Caller) => c.resourceServers.get({ id: 'rs_x' })],
      ['create', 'create:resource_servers', (c: Caller) => c.resourceServers.create({ identifier: 'https://x.example.com/', name: 'X' })],
      ['update', 'update:resource_servers', (c: Caller) => c.resourceServers.update({ id: 'rs_x', name: 'Y' })],
      ['delete', 'delete:resource_servers', (c: Caller) => c.resourceServers.delete({ id: 'rs_x' })],
    ] as const)(
      'refuses resourceServers.%s to a caller holding every scope but %s with FORBIDDEN naming it',
      async (_name, scope, call) => {
        const error = await callErrorOf(call(tessera.allBut(scope)));
        expect(error.code).toBe('FORBIDDEN');
        expect(error.message).toContain(scope);
      },
    );
  });

  it("creates an API with Auth0's defaults: RS256, a day's tokens, no scopes and no grants", async () => {
    const created = await admin.resourceServers.create({ identifier: identifier(), name: 'Defaults' });
    expect(created).toEqual({
      id: expect.stringMatching(/^rs_[0-9a-f]{16}$/),
      identifier: created.identifier,
      name: 'Defaults',
      scopes: [],
      signing_alg: 'RS256',
      token_lifetime: 86_400,
      client_grants: [],
      is_system: false,
    });
    expect(await admin.resourceServers.get({ id: created.identifier })).toEqual(created);
  });

  it('refuses a second API with the same identifier, the management API’s included, with CONFLICT', async () => {
    const taken = identifier();
    await admin.resourceServers.create({ identifier: taken, name: 'First' });
    expect(await callErrorOf(admin.resourceServers.create({ identifier: taken, name: 'Second' }))).toMatchObject({
      code: 'CONFLICT',
      field: 'identifier',
    });
    const builtIn = await managementApi();
    expect((await callErrorOf(admin.resourceServers.create({ identifier: builtIn.identifier, name: 'Shadow' }))).code).toBe('CONFLICT');
  });

  it.each([
    ['an identifier that is not a URI', { identifier: 'not a uri', name: 'Bad' }],
    ['an identifier with a fragment', { identifier: 'https://x.example.com/#part', name: 'Bad' }],
    ['an unknown signing_alg', { identifier: 'https://x.example.com/', name: 'Bad', signing_alg: 'HS256' }],
    ['a token_lifetime under a minute', { identifier: 'https://x.example.com/', name: 'Bad', token_lifetime: 5 }],
    ['a scope with a space', { identifier: 'https://x.example.com/', name: 'Bad', scopes: [{ value: 'read things' }] }],
    ['a repeated scope', { identifier: 'https://x.example.com/', name: 'Bad', scopes: [{ value: 'a' }, { value: 'a' }] }],
  ])('refuses %s with BAD_REQUEST', async (_what, input) => {
    // Wrong on purpose, as a client sending JSON could make them.
    expect((await callErrorOf(admin.resourceServers.create(input as never))).code).toBe('BAD_REQUEST');
  });

  it('refuses a grant of a scope the API does not define, or for a client that does not exist, naming client_grants', async () => {
    const undefinedScope = admin.resourceServers.create({
      identifier: identifier(),
      name: 'Grants',
      scopes: [{ value: 'read:a' }],
      client_grants: [{ client_id: machineId, scope: ['write:a'] }],
    });
    expect(await callErrorOf(undefinedScope)).toMatchObject({ code: 'BAD_REQUEST', field: 'client_grants' });
    const unknownClient = admin.resourceServers.create({
      identifier: identifier(),
      name: 'Grants',
      scopes: [{ value: 'read:a' }],
      client_grants: [{ client_id: 'nobody', scope: ['read:a'] }],
    });
    expect(await callErrorOf(unknownClient)).toMatchObject({ code: 'BAD_REQUEST', field: 'client_grants' });
  });

  it('updates only the fields given, and refuses to drop a scope a grant still names', async () => {
    const created = await admin.resourceServers.create({
      identifier: identifier(),
      name: 'Before',
      scopes: [{ value: 'read:a' }, { value: 'write:a' }],
      client_grants: [{ client_id: machineId, scope: ['write:a'] }],
    });
    const updated = await admin.resourceServers.update({ id: created.id, name: 'After', signing_alg: 'EdDSA', token_lifetime: 600 });
    expect(updated).toEqual({ ...created, name: 'After', signing_alg: 'EdDSA', token_lifetime: 600 });
    const dropped = admin.resourceServers.update({ id: created.id, scopes: [{ value: 'read:a' }] });
    expect(await callErrorOf(dropped)).toMatchObject({ code: 'BAD_REQUEST', field: 'client_grants' });
  });

  it('changes the management API’s signing_alg and token_lifetime, but neither its name, scopes nor grants, and never deletes it', async () => {
    const builtIn = await managementApi();
    expect(builtIn).toMatchObject({ id: 'rs_management_api', signing_alg: 'RS256', is_system: true });
    expect(builtIn).not.toHaveProperty('client_grants');
    const changed = await admin.resourceServers.update({ id: builtIn.id, signing_alg: 'ES256', token_lifetime: 3600 });
    expect(changed).toEqual({ ...builtIn, signing_alg: 'ES256', token_lifetime: 3600 });
    for (const field of ['name', 'scopes', 'client_grants'] as const) {
      const change = { name: 'Renamed', scopes: [], client_grants: [] }[field];
      const refusal = await callErrorOf(admin.resourceServers.update({ id: builtIn.id, [field]: change }));
      expect(refusal).toMatchObject({ code: 'BAD_REQUEST', field });
    }
    expect(await callErrorOf(admin.resourceServers.delete({ id: builtIn.id }))).toMatchObject({ code: 'BAD_REQUEST' });
    expect(await callErrorOf(admin.resourceServers.delete({ id: builtIn.identifier }))).toMatchObject({ code: 'BAD_REQUEST' });
    expect(await managementApi()).toEqual(changed);
  });

  it("drops a deleted client's grants from every API, and leaves the other clients' grants", async () => {
    const doomed = (await admin.clients.create({ name: 'Doomed machine', grant_types: ['client_credentials'] })).client_id;
    const grants = [
      { client_id: doomed, scope: ['read:a'] },
      { client_id: machineId, scope: ['read:a'] },
    ];
    const scopes = [{ value: 'read:a' }];
    const first = await admin.resourceServers.create({ identifier: identifier(), name: 'First', scopes, client_grants: grants });
    const second = await admin.resourceServers.create({ identifier: identifier(), name: 'Second', scopes, client_grants: grants });
    await admin.clients.delete({ client_id: doomed });
    for (const api of [first, second]) {
      expect((await admin.resourceServers.get({ id: api.id })).client_grants).toEqual([{ client_id: machineId, scope: ['read:a'] }]);
    }
  });

  it('deletes a custom API, after which get answers NOT_FOUND', async () => {
    const created = await admin.resourceServers.create({ identifier: identifier(), name: 'Doomed' });
    expect(await admin.resourceServers.delete({ id: created.id })).toEqual({ deleted: true });
    expect((await callErrorOf(admin.resourceServers.get({ id: created.id }))).code).toBe('NOT_FOUND');
    expect((await callErrorOf(admin.resourceServers.delete({ id: created.id }))).code).toBe('NOT_FOUND');
  });

  it('lists the management API first, then the APIs in the order they were created, a page at a time', async () => {
    const all = (await admin.resourceServers.list({ per_page: 100 })).resource_servers;
    expect(all[0]?.is_system).toBe(true);
    const page = await admin.resourceServers.list({ page: 1, per_page: 1 });
    expect(page).toMatchObject({ start: 1, limit: 1, length: 1, total: all.length });
    expect(page.resource_servers[0]).toEqual(all[1]);
  });
});
