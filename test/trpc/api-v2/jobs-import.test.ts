/**
 * POST /jobs/users-imports end to end: a multipart upload as Auth0's clients send it, the job it
 * answers with (201), and the job's progress and refused lines through GET /jobs/{id}(/errors).
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { hashSync } from '@node-rs/bcrypt';
import { ManagementClient } from 'auth0';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../support/fixtures.js';
import { clientCredentialsToken, managementClient } from '../../support/management-client.js';
import { discover, login } from '../../support/relying-party.js';
import { startTestTessera } from '../../support/tessera.js';

describe('POST /api/v2/jobs/users-imports', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let token: string;
  let connectionId: string;

  beforeAll(async () => {
    tessera = await startTestTessera();
    token = await clientCredentialsToken(tessera.issuer);
    const connection = await tessera.services.connections.findByName('Username-Password');
    if (!connection) throw new Error('no default connection');
    connectionId = connection.id;
  });
  afterAll(() => tessera?.stop());

  const upload = (form: FormData, bearer: string | null = token) =>
    fetch(`${tessera.issuer}/api/v2/jobs/users-imports`, {
      method: 'POST',
      body: form,
      headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
    });

  const get = async (path: string) =>
    (await fetch(`${tessera.issuer}/api/v2${path}`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<
      Record<string, unknown>
    >;

  /** Polls the job as a client of any node would, until it is done. */
  async function finished(id: string): Promise<Record<string, unknown>> {
    for (;;) {
      const job = await get(`/jobs/${id}`);
      if (job['status'] === 'completed' || job['status'] === 'failed') return job;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  function importForm(users: string, fields: Record<string, string> = {}): FormData {
    const form = new FormData();
    form.append('users', new Blob([users], { type: 'application/json' }), 'users.json');
    form.append('connection_id', connectionId);
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    return form;
  }

  it('answers 201 with the pending job, imports the good users and lists the refused ones', async () => {
    const users = JSON.stringify([
      { email: 'rest-import@example.com', email_verified: true, password_hash: hashSync('old password', 4) },
      { email: 'not-an-email' },
    ]);
    const response = await upload(importForm(users, { upsert: 'false', external_id: 'migration-1', send_completion_email: 'false' }));
    expect(response.status).toBe(201);
    const job = (await response.json()) as Record<string, unknown>;
    expect(job).toMatchObject({
      type: 'users_import',
      status: 'pending',
      connection_id: connectionId,
      connection: 'Username-Password',
      external_id: 'migration-1',
      upsert: false,
      send_completion_email: false,
    });

    expect(await finished(String(job['id']))).toMatchObject({
      status: 'completed',
      percentage_done: 100,
      summary: { inserted: 1, updated: 0, failed: 1, total: 2 },
    });
    expect(await get(`/jobs/${job['id']}/errors`)).toEqual([
      { user: { email: 'not-an-email' }, errors: [expect.objectContaining({ code: 'INVALID_FORMAT', path: 'email' })] },
    ]);
    const admin = managementClient(tessera.issuer, token);
    expect(await admin.users.getByEmail.query({ email: 'rest-import@example.com' })).toEqual([
      expect.objectContaining({ email_verified: true }),
    ]);
  });

  it('imports an Auth0 export whose users then sign in with their old passwords, rehashed to argon2id at that login', async () => {
    const users = [
      { email: 'old-bcrypt@example.com', email_verified: true, password_hash: hashSync('their auth0 password', 10) },
      {
        email: 'old-sha256@example.com',
        email_verified: true,
        custom_password_hash: {
          algorithm: 'sha256',
          hash: { value: createHash('sha256').update('pepper-saltanother old password').digest('hex'), encoding: 'hex' },
          salt: { value: 'pepper-salt', position: 'prefix' },
        },
      },
    ];
    const response = await upload(importForm(users.map((user) => JSON.stringify(user)).join('\n')));
    expect(await finished(String(((await response.json()) as { id: string }).id))).toMatchObject({ summary: { inserted: 2, failed: 0 } });

    const client = await createClient(tessera);
    const config = await discover(tessera.issuer, client.client_id, client.client_secret);
    const stored = async (email: string) => {
      const [user] = await tessera.services.users.findByEmail(email);
      return user?.identities[0]?.password_hash;
    };
    expect(await stored('old-bcrypt@example.com')).toMatch(/^\$2b\$10\$/);
    for (const [email, password] of [
      ['old-bcrypt@example.com', 'their auth0 password'],
      ['old-sha256@example.com', 'another old password'],
    ] as const) {
      const { tokens } = await login(config, { scope: 'openid email', username: email, password });
      expect(tokens.claims()).toMatchObject({ email });
      expect(await stored(email)).toMatch(/^\$argon2id\$/);
    }
  });

  it('takes the upload of Auth0’s ManagementClient, unchanged, whose fetch reaches the local port', async () => {
    const client = new ManagementClient({
      domain: 'tessera.test',
      token,
      fetch: (input, init) =>
        fetch(String(input instanceof Request ? input.url : input).replace('https://tessera.test', tessera.issuer), init),
    });
    const created = await client.jobs.usersImports.create({
      users: new Blob([`${JSON.stringify({ email: 'from-sdk@example.com' })}\n`]),
      connection_id: connectionId,
      upsert: true,
    });
    expect(created).toMatchObject({ type: 'users_import', status: 'pending', connection_id: connectionId, upsert: true });
    expect(await finished(created.id)).toMatchObject({ summary: { inserted: 1, failed: 0 } });
  });

  it('answers 401 before the body is read when there is no valid token', async () => {
    // Headers announcing 50 MB that never come: an answer now means nothing waited for the body.
    const answer = await new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
      const outgoing = request(`${tessera.issuer}/api/v2/jobs/users-imports`, {
        method: 'POST',
        headers: {
          'content-type': 'multipart/form-data; boundary=x',
          'content-length': String(50 * 1024 * 1024),
          authorization: 'Bearer not-a-token',
        },
      });
      outgoing.on('response', (incoming) => {
        let body = '';
        incoming.on('data', (chunk: Buffer) => (body += chunk.toString()));
        incoming.on('end', () => {
          resolve({ status: incoming.statusCode, body });
          outgoing.destroy();
        });
      });
      outgoing.on('error', reject);
      outgoing.flushHeaders();
    });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
  });

  it('answers 403 insufficient_scope without create:users, before reading the body', async () => {
    const narrow = await clientCredentialsToken(tessera.issuer, 'read:users');
    const response = await upload(importForm('[]'), narrow);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ statusCode: 403, errorCode: 'insufficient_scope' });
  });

  it('answers invalid_body for a body that is not multipart, a missing file, an unknown field or a bad boolean', async () => {
    const json = await fetch(`${tessera.issuer}/api/v2/jobs/users-imports`, {
      method: 'POST',
      body: JSON.stringify({ connection_id: connectionId, users: '[]' }),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ errorCode: 'invalid_body', message: expect.stringContaining('multipart/form-data') });

    const noFile = new FormData();
    noFile.append('connection_id', connectionId);
    const missing = await upload(noFile);
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ errorCode: 'invalid_body', message: expect.stringContaining('users') });

    const unknown = await upload(importForm('[]', { colour: 'blue' }));
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ errorCode: 'invalid_body' });

    const badBoolean = await upload(importForm('[]', { upsert: 'yes' }));
    expect(badBoolean.status).toBe(400);
    expect(await badBoolean.json()).toMatchObject({ errorCode: 'invalid_body', message: expect.stringContaining('upsert') });
  });

  it('answers inexistent_connection for a connection that does not exist', async () => {
    const form = new FormData();
    form.append('users', new Blob(['[]']), 'users.json');
    form.append('connection_id', 'con_nothere');
    const response = await upload(form);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ errorCode: 'inexistent_connection' });
  });
});
