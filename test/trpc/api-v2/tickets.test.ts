/**
 * /api/v2/tickets in Auth0's shapes over plain HTTP: 201 with `{ticket}` (a link that opens),
 * Auth0's `ttl_sec: 0` as the default lifetime, and Auth0's codes for what Tessera refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATABASE_CONNECTION } from '../../../server/clients/bootstrap.js';
import { API_V2_OPERATIONS } from '../../../trpc/api-v2/operations/index.js';
import { callApiV2 } from '../../support/api-v2.js';
import { adminClient, clientCredentialsToken } from '../../support/management-client.js';
import { startTestTessera } from '../../support/tessera.js';

describe('the /api/v2 ticket operations', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let token: string;
  let userId: string;

  beforeAll(async () => {
    tessera = await startTestTessera();
    token = await clientCredentialsToken(tessera.issuer);
    const admin = await adminClient(tessera.issuer);
    const created = await admin.users.create.mutate({
      connection: DEFAULT_DATABASE_CONNECTION,
      email: 'tickets@example.com',
      password: 'a long password',
    });
    userId = String(created.user_id);
  });
  afterAll(() => tessera?.stop());

  const post = (path: string, body: unknown, bearer = token) =>
    callApiV2<Record<string, unknown>>(tessera.issuer, bearer, path, { method: 'POST', body });

  it.each(['/tickets/email-verification', '/tickets/password-change'])(
    'answers %s with 201 and {ticket}, a link that opens',
    async (path) => {
      const { status, body } = await post(path, { user_id: userId, ttl_sec: 0, includeEmailInRedirect: false });
      expect(status).toBe(201);
      expect(Object.keys(body)).toEqual(['ticket']);
      expect(API_V2_OPERATIONS.find((op) => op.path === path)?.response?.safeParse(body).success).toBe(true);
      const ticket = String(body['ticket']);
      expect(ticket.startsWith(`${tessera.issuer}/`)).toBe(true);
      expect((await fetch(ticket)).status).toBe(200);
    },
  );

  it('takes the password-change ticket’s Auth0 options', async () => {
    const { status } = await post('/tickets/password-change', {
      user_id: userId,
      result_url: 'https://app.example.com/done',
      ttl_sec: 3600,
      mark_email_as_verified: true,
    });
    expect(status).toBe(201);
  });

  it('refuses Auth0’s email + connection_id form and unknown keys with invalid_body', async () => {
    const byEmail = await post('/tickets/password-change', { email: 'tickets@example.com', connection_id: 'con_x' });
    expect(byEmail).toMatchObject({ status: 400, body: { statusCode: 400, errorCode: 'invalid_body' } });
    const organization = await post('/tickets/email-verification', { user_id: userId, organization_id: 'org_x' });
    expect(organization).toMatchObject({ status: 400, body: { errorCode: 'invalid_body' } });
  });

  it('answers an unknown user with inexistent_user and a token without update:users with insufficient_scope', async () => {
    const missing = await post('/tickets/email-verification', { user_id: 'database|nobody-here' });
    expect(missing).toMatchObject({ status: 404, body: { errorCode: 'inexistent_user' } });
    const narrow = await clientCredentialsToken(tessera.issuer, 'read:users');
    const refused = await post('/tickets/password-change', { user_id: userId }, narrow);
    expect(refused).toMatchObject({ status: 403, body: { errorCode: 'insufficient_scope' } });
  });
});
