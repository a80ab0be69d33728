/**
 * `npm run cli -- import <file>`, run as a child process against a running Tessera's database:
 * the same import the jobs run, its summary on stdout and each refused line with its reasons.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hashSync } from '@node-rs/bcrypt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { adminClient } from '../support/management-client.js';
import { startTestTessera } from '../support/tessera.js';

const BCRYPT = hashSync('old password', 4);

describe('operator CLI: import', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  let folder: string;

  beforeAll(async () => {
    tessera = await startTestTessera();
    admin = await adminClient(tessera.issuer);
    folder = await mkdtemp(path.join(tmpdir(), 'tessera-import-'));
  });
  afterAll(() => tessera?.stop());

  const cli = (...args: string[]) => runCli(tessera, args);

  async function file(name: string, lines: unknown[]): Promise<string> {
    const at = path.join(folder, name);
    await writeFile(at, lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n'));
    return at;
  }

  it('imports the good lines, lists each refused one with its reasons, and exits 1', async () => {
    const at = await file('mixed.ndjson', [
      { email: 'cli-one@example.com', password_hash: BCRYPT },
      { email: 'cli-two@example.com', blocked: 'no' },
      '{"email":',
      { email: 'cli-three@example.com', user_id: 'cli-3' },
    ]);
    const { code, stdout } = await cli('import', at, '--connection', 'Username-Password');
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toEqual({
      inserted: 2,
      updated: 0,
      failed: 2,
      total: 4,
      failures: [
        {
          line: 2,
          user: { email: 'cli-two@example.com', blocked: 'no' },
          errors: [{ code: 'INVALID_TYPE', message: 'Expected type boolean but found type string', path: 'blocked' }],
        },
        { line: 3, user: {}, errors: [{ code: 'INVALID_JSON', message: 'The entry is not valid JSON', path: '' }] },
      ],
    });
    expect(await admin.users.get.query({ id: 'database|cli-3' })).toMatchObject({ email: 'cli-three@example.com' });
    expect(await admin.users.getByEmail.query({ email: 'cli-one@example.com' })).toHaveLength(1);
  });

  it('runs the same file again to the same end, updating with --upsert, and exits 0', async () => {
    const at = await file('good.json', []);
    await writeFile(
      at,
      JSON.stringify([
        { email: 'cli-again@example.com', user_id: 'cli-again', name: 'Again' },
        { email: 'cli-again2@example.com', name: 'Again 2' },
      ]),
    );
    const first = await cli('import', at, '--upsert');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ inserted: 2, updated: 0, failed: 0, total: 2, failures: [] });
    const again = await cli('import', at, '--upsert');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ inserted: 0, updated: 2, failed: 0, total: 2, failures: [] });
    expect(await admin.users.getByEmail.query({ email: 'cli-again2@example.com' })).toHaveLength(1);
  });

  it('says why when the file cannot be read, or the connection does not exist', async () => {
    const missing = await cli('import', path.join(folder, 'nothere.json'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*nothere\.json: ENOENT/);
    const at = await file('one.ndjson', [{ email: 'cli-x@example.com' }]);
    const wrong = await cli('import', at, '--connection', 'No-Such-Connection');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/no connection No-Such-Connection/);
  });
});
