import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as oidc from 'openid-client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askWhile } from '../support/ask-while.js';
import { Browser, isPage, type Page } from '../support/browser.js';
import { createClient } from '../support/fixtures.js';
import { logSink } from '../support/log-sink.js';
import { adminClient, errorOf } from '../support/management-client.js';
import { discover, login, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

/** Custom database scripts with nothing to import, so they run from a CODE_DIR outside the repository. */
const script = (login: string, prelude = '') => `${prelude}
export async function login(email, password) { ${login} }
export async function create() { throw new Error('read-only'); }
export async function verify() {}
export { verify as delete, verify as changePassword };
export async function getUser() { return null; }
`;

const CODE: Record<string, string> = {
  'members.mjs': script(`return password === 'analytical engine' ? { id: 1, mail: email, handle: 'ada' } : null;`),
  'loops.mjs': script('for (;;) {}'),
  'throws.mjs': script(`throw new Error('cannot open /srv/legacy/members.db for ' + email);`),
  'exits.mjs': script('return null;', 'process.exit(7);'),
  'broken-import.mjs': script('return null;', "import './lib/missing-helper.mjs';"),
  'loop-mapper.mjs': 'export default function mapProfile() { for (;;) {} }\n',
};

const SERVER_CLI = fileURLToPath(new URL('../../server/cli.ts', import.meta.url));

interface LogLine {
  msg: string;
  connection?: string;
  error_id?: string;
  reason?: string;
  err?: { message: string };
}

describe('operator code: CODE_DIR, worker threads and error ids', () => {
  const logLines: LogLine[] = [];
  let codeDir: string;
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  let client: Awaited<ReturnType<typeof createClient>>;
  let config: oidc.Configuration;

  beforeAll(async () => {
    codeDir = await mkdtemp(path.join(tmpdir(), 'tessera-code-'));
    await mkdir(path.join(codeDir, 'lib'));
    for (const [name, source] of Object.entries(CODE)) await writeFile(path.join(codeDir, name), source);
    await symlink(SERVER_CLI, path.join(codeDir, 'cli.ts'));
    tessera = await startTestTessera({ env: { CODE_DIR: codeDir }, logger: pino({ level: 'info' }, logSink(logLines)) });
    admin = await adminClient(tessera.issuer);
    client = await createClient(tessera);
    const connection = (name: string, options: { script: string; mapper?: string }) =>
      admin.connections.create.mutate({ name, strategy: 'custom', options, enabled_clients: [client.client_id] });
    await connection('Members', { script: 'members.mjs' });
    await connection('Loops', { script: 'loops.mjs' });
    await connection('Throws', { script: 'throws.mjs' });
    await connection('Exits', { script: 'exits.mjs' });
    await connection('Broken-Import', { script: path.join(codeDir, 'broken-import.mjs') });
    await connection('Slow-Mapper', { script: 'members.mjs', mapper: 'loop-mapper.mjs' });
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(async () => {
    await tessera?.stop();
    if (codeDir) await rm(codeDir, { recursive: true, force: true });
  });

  const discovery = () => `${tessera.issuer}/.well-known/openid-configuration`;

  async function failedLogin(current: oidc.Configuration, connection: string, username: string, password: string): Promise<Page> {
    const browser = new Browser();
    const { page } = await openLoginPage(current, 'openid', { connection }, browser);
    if (!isPage(page)) throw new Error(`expected a login page, got a redirect to ${page.redirect}`);
    const after = await browser.submit(page, { username, password }, REDIRECT_URI);
    if (!isPage(after)) throw new Error('the login was expected to fail');
    return after;
  }

  const memberLogin = (current = config) =>
    login(current, {
      scope: 'openid',
      username: 'ada@legacy.example',
      password: 'analytical engine',
      extraParams: { connection: 'Members' },
    });
  const errorIdOn = (page: Page) => /Error id: ([0-9a-f]{8})\./.exec(page.document.querySelector('[role=alert]')?.text ?? '')?.[1];
  const loggedWith = (errorId: string | undefined) => logLines.find((line) => errorId !== undefined && line.error_id === errorId);

  describe('CODE_DIR confinement', () => {
    it.each([
      ['an absolute path outside CODE_DIR', SERVER_CLI, 'inside CODE_DIR'],
      ['a symbolic link leading out of CODE_DIR', 'cli.ts', 'symbolic link'],
      ['a path through ".."', `../${path.basename(codeDir ?? '')}/members.mjs`, '..'],
      ['a file that is not there', 'nowhere.mjs', 'no such file'],
    ])('refuses options.script and options.mapper naming %s with BAD_REQUEST naming the option', async (_what, target, says) => {
      const script = await errorOf(admin.connections.create.mutate({ name: 'Escape', strategy: 'custom', options: { script: target } }));
      expect(script).toMatchObject({ code: 'BAD_REQUEST', field: 'options.script' });
      expect(script.message).toContain(says);
      const mapper = await errorOf(
        admin.connections.create.mutate({ name: 'Escape', strategy: 'custom', options: { script: 'members.mjs', mapper: target } }),
      );
      expect(mapper).toMatchObject({ code: 'BAD_REQUEST', field: 'options.mapper' });
    });

    it('refuses an update pointing a connection’s script out of CODE_DIR, and keeps its options', async () => {
      const [members] = (await admin.connections.list.query({ strategy: 'custom' })).connections.filter(
        (connection) => connection.name === 'Members',
      );
      const error = await errorOf(admin.connections.update.mutate({ id: members!.id, options: { script: SERVER_CLI } }));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', field: 'options.script' });
      expect((await admin.connections.get.query({ id: members!.id })).options).toMatchObject({ script: 'members.mjs' });
      expect((await memberLogin()).tokens.claims()?.sub).toBe('custom|Members|1');
    });

    it('without CODE_DIR, refuses scripts and mappers on create, and fails logins of existing ones with an error id', async () => {
      const bare = await startTestTessera({
        databaseUrl: tessera.databaseUrl,
        env: { CODE_DIR: '' },
        logger: pino({ level: 'info' }, logSink(logLines)),
      });
      try {
        const bareAdmin = await adminClient(bare.issuer);
        const script = await errorOf(
          bareAdmin.connections.create.mutate({ name: 'No-Code', strategy: 'custom', options: { script: 'members.mjs' } }),
        );
        expect(script).toMatchObject({ code: 'BAD_REQUEST', field: 'options.script' });
        expect(script.message).toContain('CODE_DIR is unset');

        const page = await failedLogin(
          await discover(bare.issuer, client.client_id, client.client_secret),
          'Members',
          'ada@legacy.example',
          'analytical engine',
        );
        expect(page.status).toBe(502);
        const errorId = errorIdOn(page);
        expect(loggedWith(errorId)).toMatchObject({ connection: 'Members', reason: expect.stringContaining('CODE_DIR is unset') });
      } finally {
        await bare.stop();
      }
    });
  });

  describe('login pages', () => {
    it('show an error id, and neither the script’s message nor a path, when the script throws; the log has both', async () => {
      const page = await failedLogin(config, 'Throws', 'ada@legacy.example', 'analytical engine');
      expect(page.status).toBe(502);
      expect(page.html).not.toContain('/srv/legacy');
      expect(page.html).not.toContain('cannot open');
      expect(page.html).not.toContain(codeDir);
      const errorId = errorIdOn(page);
      expect(errorId).toMatch(/^[0-9a-f]{8}$/);
      expect(loggedWith(errorId)).toMatchObject({
        msg: 'custom database script failed',
        connection: 'Throws',
        err: { message: 'cannot open /srv/legacy/members.db for ada@legacy.example' },
      });
    });

    it('show an error id and no server path when the script cannot be imported; the log has the import error', async () => {
      const page = await failedLogin(config, 'Broken-Import', 'ada@legacy.example', 'analytical engine');
      expect(page.status).toBe(502);
      expect(page.html).not.toContain(codeDir);
      expect(page.html).not.toContain('missing-helper');
      const logged = loggedWith(errorIdOn(page));
      expect(logged).toMatchObject({ msg: 'custom database script failed', connection: 'Broken-Import' });
      expect(logged?.err?.message).toContain(path.join(codeDir, 'lib', 'missing-helper.mjs'));
    });
  });

  describe('code that never returns or ends its thread', () => {
    it('fails the login of a script calling process.exit when imported, and goes on serving', async () => {
      const page = await failedLogin(config, 'Exits', 'ada@legacy.example', 'analytical engine');
      expect(page.status).toBe(502);
      expect(loggedWith(errorIdOn(page))).toMatchObject({ connection: 'Exits', reason: 'login: the script ended its worker thread' });
      expect((await fetch(discovery())).status).toBe(200);
      expect((await memberLogin()).tokens.claims()?.sub).toBe('custom|Members|1');
    });

    it.each([
      ['a script stuck in a synchronous loop', 'Loops', 502, 'login timed out after 5000 ms'],
      ['a mapper stuck in a synchronous loop', 'Slow-Mapper', 400, 'it did not finish within 5000 ms'],
    ])('fails only the login of %s, while discovery and another login are served', async (_what, connection, status, reason) => {
      const settled: string[] = [];
      const stuck = failedLogin(config, connection, 'ada@legacy.example', 'analytical engine').finally(() => settled.push('stuck'));
      const other = memberLogin().finally(() => settled.push('other'));
      const { result: page, probe } = await askWhile(discovery(), stuck);

      expect(page.status).toBe(status);
      expect(loggedWith(errorIdOn(page))).toMatchObject({ connection, reason });
      expect(probe.failures).toBe(0);
      expect(Object.keys(probe.statuses)).toEqual(['200']);
      expect((await other).tokens.claims()?.sub).toBe('custom|Members|1');
      expect(settled).toEqual(['other', 'stuck']);
      console.info(
        `while ${connection} looped: ${probe.statuses[200]} discovery answers (slowest ${Math.round(probe.slowestMs)} ms), another login completed`,
      );
    });
  });
});
