import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { ManagementClient } from 'auth0';
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExportFileQueries } from '../../adapters/queries/export-files.js';
import { createJobQueries } from '../../adapters/queries/jobs.js';
import { createUsersExportQueries } from '../../adapters/queries/users-export.js';
import { createExportLinks } from '../../server/jobs/export-link.js';
import { createUsersExport } from '../../server/jobs/users-export.js';
import { createLogger } from '../../server/logger.js';
import { logSink } from '../support/log-sink.js';
import { adminClient, clientCredentialsToken } from '../support/management-client.js';
import { startTestTessera, TEST_SEALING_KEY } from '../support/tessera.js';

type Node = Awaited<ReturnType<typeof startTestTessera>>;
interface Job {
  id: string;
  type: string;
  status: string;
  percentage_done: number;
  location?: string;
  [key: string]: unknown;
}

const unzip = promisify(gunzip);

describe('users export jobs', () => {
  let first: Node;
  let second: Node;
  let token: string;
  /** Each test node is its own issuer, so its tokens are its own. */
  let secondToken: string;
  let partnersId: string;
  const ids: Record<'ann' | 'bob' | 'cy', string> = { ann: '', bob: '', cy: '' };
  let storedHashes: string[];
  const secondLogs: unknown[] = [];

  beforeAll(async () => {
    first = await startTestTessera();
    // A second node on the same database: it did not run the export, and serves its link all the same.
    second = await startTestTessera({ databaseUrl: first.databaseUrl, logger: createLogger('debug', logSink(secondLogs)) });
    token = await clientCredentialsToken(first.issuer);
    secondToken = await clientCredentialsToken(second.issuer);
    const admin = await adminClient(first.issuer);
    partnersId = (await admin.connections.create.mutate({ name: 'Partners', strategy: 'database' })).id;
    const create = async (input: Parameters<typeof admin.users.create.mutate>[0]) =>
      String((await admin.users.create.mutate(input)).user_id);
    ids.ann = await create({
      connection: 'Username-Password',
      email: 'ann@example.com',
      password: 'a long password for ann',
      name: 'Ann Archer',
      user_metadata: { plan: 'pro', address: { city: 'Oslo' } },
      app_metadata: { tier: 2 },
    });
    ids.bob = await create({
      connection: 'Username-Password',
      email: 'bob@example.com',
      password: 'a long password for bob',
      name: '=HYPERLINK("https://evil.example")',
      given_name: 'Bob, "the builder"',
    });
    ids.cy = await create({
      connection: 'Partners',
      email: 'cy@example.com',
      password: 'a long password for cy',
      user_metadata: { plan: 'free' },
    });
    storedHashes = (
      await first.database.sequelize.query<{ password_hash: string }>(
        'SELECT password_hash FROM identities WHERE password_hash IS NOT NULL',
        {
          type: QueryTypes.SELECT,
        },
      )
    ).map((row) => row.password_hash);
  });
  afterAll(async () => {
    await second?.stop();
    await first?.stop();
  });

  const api = (node: Node, path: string, init: RequestInit & { bearer?: string } = {}) => {
    const { bearer = node === second ? secondToken : token, ...rest } = init;
    return fetch(`${node.issuer}/api/v2${path}`, {
      ...rest,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', ...(rest.headers as Record<string, string>) },
    });
  };

  const startExport = async (body: unknown, bearer = token) => {
    const response = await api(first, '/jobs/users-exports', { method: 'POST', body: JSON.stringify(body), bearer });
    return { status: response.status, body: (await response.json()) as Job & { errorCode?: string; message?: string } };
  };

  /** Polls GET /jobs/{id} until the job ends; returns it and every status seen on the way. */
  const finished = async (id: string, node: Node = first) => {
    const seen: Array<{ status: string; percentage_done: number }> = [];
    for (;;) {
      const response = await api(node, `/jobs/${id}`);
      expect(response.status).toBe(200);
      const job = (await response.json()) as Job;
      seen.push({ status: job.status, percentage_done: job.percentage_done });
      if (job.status === 'completed' || job.status === 'failed') return { job, seen };
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  const exported = async (body: unknown) => {
    const started = await startExport(body);
    expect(started.status).toBe(201);
    const { job } = await finished(started.body.id);
    expect(job.status).toBe('completed');
    const location = String(job.location);
    const response = await fetch(location);
    expect(response.status).toBe(200);
    return { job, location, text: (await unzip(Buffer.from(await response.arrayBuffer()))).toString('utf8') };
  };

  const ndjson = (text: string) =>
    text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  it('answers 201 with the job pending, then reports progress until it completes with a location', async () => {
    const started = await startExport({ format: 'json', fields: [{ name: 'user_id' }] });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({
      type: 'users_export',
      status: 'pending',
      format: 'json',
      percentage_done: 0,
      fields: [{ name: 'user_id' }],
    });
    expect(started.body.id).toMatch(/^job_/);
    expect(started.body.location).toBeUndefined();
    const { job, seen } = await finished(started.body.id);
    expect(job).toMatchObject({ status: 'completed', percentage_done: 100, summary: { total: 3 } });
    expect(job.location).toMatch(new RegExp(`^${first.issuer}/exports/[A-Za-z0-9_-]{43}/${job.id}\\.json\\.gz$`));
    const order = ['pending', 'processing', 'completed'];
    const ranks = seen.map(({ status }) => order.indexOf(status));
    expect(ranks.every((rank) => rank >= 0)).toBe(true);
    expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
    const percentages = seen.map(({ percentage_done }) => percentage_done);
    expect(percentages).toEqual([...percentages].sort((x, y) => x - y));
  });

  it('writes NDJSON with the profile’s own attributes when no fields are named', async () => {
    const { text, job } = await exported({ format: 'json' });
    expect(job['fields']).toContainEqual({ name: 'user_metadata' });
    const lines = ndjson(text);
    expect(lines.map((line) => line['user_id'])).toEqual([ids.ann, ids.bob, ids.cy].sort());
    const ann = lines.find((line) => line['user_id'] === ids.ann);
    expect(ann).toMatchObject({
      email: 'ann@example.com',
      email_verified: false,
      name: 'Ann Archer',
      logins_count: 0,
      blocked: false,
      user_metadata: { plan: 'pro', address: { city: 'Oslo' } },
      app_metadata: { tier: 2 },
      identities: [{ connection: 'Username-Password', provider: 'database', isSocial: false }],
    });
    expect(typeof ann?.['created_at']).toBe('string');
    expect(ann).not.toHaveProperty('management_scopes');
  });

  it('writes CSV with the fields asked, in their order, renamed by export_as, with paths into metadata and identities', async () => {
    const { text } = await exported({
      format: 'csv',
      fields: [
        { name: 'user_id' },
        { name: 'email', export_as: 'Email' },
        { name: 'user_metadata.plan' },
        { name: 'user_metadata.address' },
        { name: 'identities[0].connection', export_as: 'provider' },
        { name: 'app_metadata.tier' },
      ],
    });
    const [header, ...rows] = text.trimEnd().split('\n');
    expect(header).toBe('user_id,Email,user_metadata.plan,user_metadata.address,provider,app_metadata.tier');
    expect(rows).toContain(`${ids.ann},ann@example.com,pro,"{""city"":""Oslo""}",Username-Password,2`);
    expect(rows).toContain(`${ids.bob},bob@example.com,,,Username-Password,`);
    expect(rows).toContain(`${ids.cy},cy@example.com,free,,Partners,`);
    expect(rows).toHaveLength(3);
  });

  it('quotes CSV cells and keeps a spreadsheet from running one as a formula', async () => {
    const { text } = await exported({ format: 'csv', fields: [{ name: 'user_id' }, { name: 'name' }, { name: 'given_name' }] });
    expect(text).toContain(`${ids.bob},"'=HYPERLINK(""https://evil.example"")","Bob, ""the builder"""\n`);
  });

  it('exports only the users of connection_id, and names the connection in the job', async () => {
    const { text, job } = await exported({ format: 'json', connection_id: partnersId, fields: [{ name: 'email' }] });
    expect(job).toMatchObject({ connection_id: partnersId, connection: 'Partners' });
    expect(ndjson(text)).toEqual([{ email: 'cy@example.com' }]);
  });

  it('stops after limit users, in user_id order', async () => {
    const { text, job } = await exported({ format: 'json', limit: 2, fields: [{ name: 'user_id' }] });
    expect(job).toMatchObject({ limit: 2, summary: { total: 2 } });
    expect(ndjson(text).map((line) => line['user_id'])).toEqual([ids.ann, ids.bob, ids.cy].sort().slice(0, 2));
  });

  /** An export service on the first node's database, with pages and stored chunks as small as a test needs. */
  const smallExports = (users = createUsersExportQueries(first.database.models)) => {
    const { models } = first.database;
    return createUsersExport({
      jobs: first.services.management.jobs,
      jobQueries: createJobQueries(models),
      users,
      files: createExportFileQueries(models),
      findConnection: async () => undefined,
      links: createExportLinks(first.issuer, Buffer.from(TEST_SEALING_KEY, 'base64')),
      logger: createLogger('silent'),
      pageSize: 1,
      chunkBytes: 16,
    });
  };

  it('pages through the users by user_id, keeping their order and the limit across pages and stored chunks', async () => {
    const onePerPage = smallExports();
    const sorted = [ids.ann, ids.bob, ids.cy].sort();
    for (const [limit, expected] of [
      [undefined, sorted],
      [2, sorted.slice(0, 2)],
    ] as const) {
      const started = await onePerPage.start({ format: 'csv', fields: [{ name: 'user_id' }], ...(limit ? { limit } : {}) }, 'test');
      await onePerPage.idle();
      const { job } = await finished(started.id);
      const chunks = await first.database.sequelize.query<{ count: number }>(
        'SELECT count(*)::int AS count FROM job_files WHERE job_id = $1',
        {
          bind: [job.id],
          type: QueryTypes.SELECT,
        },
      );
      expect(chunks[0]?.count).toBeGreaterThan(1);
      const text = (await unzip(Buffer.from(await (await fetch(String(job.location))).arrayBuffer()))).toString('utf8');
      expect(text).toBe(`user_id\n${expected.join('\n')}\n`);
    }
  });

  it('never writes a password hash, whatever fields are asked', async () => {
    expect(storedHashes).toHaveLength(3);
    const fields = [
      'password_hash',
      'custom_password_hash',
      'passwordHash',
      'identities',
      'identities[0]',
      'identities[0].password_hash',
      'identities[0].profileData',
      'identities[1].profileData',
      'user_metadata',
      'app_metadata',
    ].map((name) => ({ name }));
    for (const format of ['json', 'csv'] as const) {
      const csvFields = fields.filter(({ name }) => !['identities', 'user_metadata', 'app_metadata'].includes(name));
      const { text } = await exported({ format, fields: format === 'json' ? fields : csvFields });
      for (const hash of storedHashes) expect(text).not.toContain(hash);
      expect(text).not.toMatch(/\$argon2|password_hash"\s*:/);
    }
  });

  it('refuses what cannot be exported with Auth0’s 400 and 404 bodies', async () => {
    const whole = await startExport({ format: 'csv', fields: [{ name: 'user_metadata' }] });
    expect(whole.status).toBe(400);
    expect(whole.body).toMatchObject({ statusCode: 400, errorCode: 'invalid_body' });
    expect(whole.body.message).toContain('user_metadata');
    const twice = await startExport({ format: 'json', fields: [{ name: 'email' }, { name: 'name', export_as: 'email' }] });
    expect(twice.status).toBe(400);
    const unknownProperty = await startExport({ format: 'json', compress: true });
    expect(unknownProperty).toMatchObject({ status: 400, body: { errorCode: 'invalid_body' } });
    const badFormat = await startExport({ format: 'xml' });
    expect(badFormat.status).toBe(400);
    const unknownConnection = await startExport({ connection_id: 'con_0000000000000000' });
    expect(unknownConnection).toMatchObject({ status: 404, body: { errorCode: 'inexistent_connection' } });
  });

  it('needs read:users', async () => {
    const narrow = await clientCredentialsToken(first.issuer, 'read:clients');
    const refused = await startExport({ format: 'json' }, narrow);
    expect(refused).toMatchObject({ status: 403, body: { errorCode: 'insufficient_scope' } });
  });

  it('starts the same job through tRPC', async () => {
    const admin = await adminClient(first.issuer, 'read:users');
    const job = await admin.jobs.exportUsers.mutate({ format: 'json', fields: [{ name: 'email', export_as: 'mail' }] });
    expect(job).toMatchObject({ type: 'users_export', status: 'pending', format: 'json' });
    expect((await finished(job.id)).job.status).toBe('completed');
  });

  it('downloads the link without a token as a gzip file, and refuses a wrong secret or file name with 404', async () => {
    const { location } = await exported({ format: 'csv', fields: [{ name: 'email' }] });
    const response = await fetch(location);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/gzip');
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="job_[^"]+\.csv\.gz"$/);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(Number(response.headers.get('content-length'))).toBe(bytes.length);
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));

    const url = new URL(location);
    const [, prefix, secret = '', file = ''] = url.pathname.split('/');
    const altered = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    for (const path of [
      `/${prefix}/${altered}/${file}`,
      `/${prefix}/${secret}/${file.replace('.csv.', '.json.')}`,
      `/${prefix}/short/${file}`,
    ]) {
      const refused = await fetch(`${url.origin}${path}`);
      expect(refused.status).toBe(404);
    }
  });

  it('is shown and served the same by another node on the same database', async () => {
    const { job, text } = await exported({ format: 'json', fields: [{ name: 'user_id' }] });
    const elsewhere = await finished(job.id, second);
    const here = new URL(String(job.location));
    const there = new URL(String(elsewhere.job.location));
    expect(there.origin).toBe(second.issuer);
    expect(there.pathname).toBe(here.pathname);
    const response = await fetch(there);
    expect(response.status).toBe(200);
    expect((await unzip(Buffer.from(await response.arrayBuffer()))).toString('utf8')).toBe(text);
  });

  it('refuses an expired link, drops the job’s location, and the sweep deletes the file', async () => {
    const { job, location } = await exported({ format: 'json', fields: [{ name: 'email' }] });
    const chunks = async () =>
      (
        await first.database.sequelize.query<{ count: number }>('SELECT count(*)::int AS count FROM job_files WHERE job_id = $1', {
          bind: [job.id],
          type: QueryTypes.SELECT,
        })
      )[0]?.count;
    expect(await chunks()).toBeGreaterThan(0);
    await first.database.sequelize.query(`UPDATE jobs SET location_expires_at = now() - interval '1 second' WHERE id = $1`, {
      bind: [job.id],
    });
    expect((await fetch(location)).status).toBe(404);
    const again = (await (await api(second, `/jobs/${job.id}`)).json()) as Job;
    expect(again).toMatchObject({ status: 'completed' });
    expect(again.location).toBeUndefined();
    await first.services.usersExport.sweep();
    expect(await chunks()).toBe(0);
  });

  it('fails an export whose node stopped making progress an hour ago, at the next sweep', async () => {
    const { jobs } = first.services.management;
    const stalled = await jobs.create({ type: 'users_export', options: { format: 'json' }, createdBy: 'test' });
    const moving = await jobs.create({ type: 'users_export', options: { format: 'json' }, createdBy: 'test' });
    await first.database.sequelize.query(
      `UPDATE jobs SET status = 'processing', updated_at = now() - interval '61 minutes' WHERE id = $1`,
      {
        bind: [stalled.id],
      },
    );
    await first.services.usersExport.sweep();
    expect(await jobs.get(stalled.id)).toMatchObject({ status: 'failed', failure: expect.stringContaining('stopped') });
    expect(await jobs.get(moving.id)).toMatchObject({ status: 'pending' });
  });

  it('breaks off a download whose stored chunk went missing, and logs it without the link’s secret', async () => {
    const exports = smallExports();
    const started = await exports.start({ format: 'json', fields: [{ name: 'user_id' }] }, 'test');
    await exports.idle();
    const { job } = await finished(started.id, second);
    const location = new URL(String(job.location));
    const secret = location.pathname.split('/')[2] ?? '';
    await first.database.sequelize.query('DELETE FROM job_files WHERE job_id = $1 AND position = 1', { bind: [job.id] });
    const response = await fetch(location);
    expect(response.status).toBe(200);
    await expect(response.arrayBuffer()).rejects.toThrow();
    await expect.poll(() => JSON.stringify(secondLogs)).toContain(`/exports/-/${job.id}.json.gz`);
    expect(JSON.stringify(secondLogs)).not.toContain(secret);
  });

  it('runs for Auth0’s own ManagementClient: create the job, poll it, download its location', async () => {
    // The SDK calls https://<domain>/api/v2; this fetch carries its requests to the test node instead.
    const domain = 'tessera.example';
    const client = new ManagementClient({
      domain,
      token,
      fetch: (input, init) => fetch(String(input instanceof Request ? input.url : input).replace(`https://${domain}`, first.issuer), init),
    });
    const created = await client.jobs.usersExports.create({
      format: 'json',
      fields: [{ name: 'email' }, { name: 'user_metadata.plan', export_as: 'plan' }],
    });
    expect(created).toMatchObject({ type: 'users_export', status: 'pending', format: 'json' });
    let job = await client.jobs.get(created.id);
    while (job.status !== 'completed' && job.status !== 'failed') {
      await new Promise((resolve) => setTimeout(resolve, 20));
      job = await client.jobs.get(created.id);
    }
    expect(job).toMatchObject({ status: 'completed', percentage_done: 100 });
    const file = await fetch(String(job.location));
    const lines = ndjson((await unzip(Buffer.from(await file.arrayBuffer()))).toString('utf8'));
    expect(lines).toContainEqual({ email: 'ann@example.com', plan: 'pro' });
    expect(lines).toContainEqual({ email: 'bob@example.com' });
  });

  it('runs two exports at a time on a node; a third waits, pending, until one ends', async () => {
    const users = createUsersExportQueries(first.database.models);
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const exports = smallExports({ count: users.count, page: async (page) => gate.then(() => users.page(page)) });
    const { jobs } = first.services.management;
    const started = await Promise.all([1, 2, 3].map(() => exports.start({ format: 'json', fields: [{ name: 'user_id' }] }, 'test')));
    const statuses = async () => Promise.all(started.map(async ({ id }) => (await jobs.get(id)).status));
    await expect.poll(async () => (await statuses()).filter((status) => status === 'processing').length).toBe(2);
    expect((await statuses()).filter((status) => status === 'pending')).toHaveLength(1);
    open();
    await exports.idle();
    expect(await statuses()).toEqual(['completed', 'completed', 'completed']);
  });
});
