/**
 * A real OpenLDAP slapd for tests: a temporary folder with a slapd.conf (the core, cosine,
 * inetorgperson and nis schemas, an mdb database, the monitor), the fixture directory loaded
 * with slapadd, and slapd on a free loopback port as the current user. Stopping it removes
 * the folder.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Attribute, Change, Client } from 'ldapts';
import { freePort } from '../../adapters/postgres/free-port.js';
import { waitFor } from './spawn-tessera.js';

const SLAPD = '/usr/sbin/slapd';
const SLAPADD = '/usr/sbin/slapadd';
const SCHEMAS = ['core', 'cosine', 'inetorgperson', 'nis'];
export const FIXTURE_LDIF = fileURLToPath(new URL('../fixtures/ldap/directory.ldif', import.meta.url));

export const BASE_DN = 'dc=example,dc=org';
export const PEOPLE_DN = `ou=people,${BASE_DN}`;
export const ADMIN_DN = `cn=admin,${BASE_DN}`;
export const ADMIN_PASSWORD = 'admin-secret';
/** The service account of the fixture directory. */
export const READER = { dn: `cn=reader,${BASE_DN}`, password: 'reader-secret' };

export const personDn = (uid: string) => `uid=${uid},${PEOPLE_DN}`;

/** An attribute's new values, or null to remove it. */
export type AttributeChanges = Record<string, string | string[] | null>;

export interface Slapd {
  readonly url: string;
  readonly pid: number;
  /** Replaces (or, for null, removes) attributes of an entry, as the directory's administrator. */
  modify(dn: string, changes: AttributeChanges): Promise<void>;
  /** The open connections bound as dn, by the names cn=Monitor gives them (`Connection 1004`). */
  connectionsBoundAs(dn: string): Promise<string[]>;
  /** How many bind operations the directory has completed (its own reads of cn=Monitor included). */
  bindsCompleted(): Promise<number>;
  /** A directory that stops answering: the kernel still accepts connections, slapd reads nothing. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

function slapdConf(dir: string): string {
  return `${SCHEMAS.map((schema) => `include /etc/ldap/schema/${schema}.schema`).join('\n')}
pidfile ${path.join(dir, 'slapd.pid')}
argsfile ${path.join(dir, 'slapd.args')}
modulepath /usr/lib/ldap
moduleload back_mdb
# A permissive directory, as some are: a DN with an empty password binds, unauthenticated.
# Tessera must refuse an empty password itself, whatever the directory would accept.
allow bind_anon_dn

database mdb
suffix "${BASE_DN}"
rootdn "${ADMIN_DN}"
rootpw ${ADMIN_PASSWORD}
directory ${path.join(dir, 'data')}
maxsize 10485760
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to *
  by self write
  by * read

database monitor
access to *
  by dn.exact="${ADMIN_DN}" read
  by * none
`;
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}: ${output}`))));
  });
}

async function asAdmin<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ url, timeout: 5_000, connectTimeout: 5_000 });
  try {
    await client.bind(ADMIN_DN, ADMIN_PASSWORD);
    return await work(client);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
  });
}

/** Starts slapd on a free port; another process may take the port first, so a few tries. */
async function launch(dir: string): Promise<{ child: ChildProcess; url: string }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const url = `ldap://127.0.0.1:${await freePort()}`;
    // -d 0 keeps slapd in the foreground, so it is this process's child and dies with it.
    const child = spawn(SLAPD, ['-f', path.join(dir, 'slapd.conf'), '-h', `${url}/`, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await Promise.race([
        waitFor(() => asAdmin(url, async () => true), 10_000),
        exited(child).then(() => Promise.reject(new Error(`slapd exited with ${child.exitCode}: ${output}`))),
      ]);
      return { child, url };
    } catch (error) {
      lastError = error;
      child.kill('SIGKILL');
      await exited(child);
    }
  }
  throw lastError;
}

export async function startSlapd(ldif = FIXTURE_LDIF): Promise<Slapd> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tessera-slapd-'));
  try {
    await mkdir(path.join(dir, 'data'));
    await writeFile(path.join(dir, 'slapd.conf'), slapdConf(dir));
    await run(SLAPADD, ['-f', path.join(dir, 'slapd.conf'), '-l', ldif]);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const { child, url } = await launch(dir).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  // A test run that dies without stopping slapd must leave neither it listening nor its folder.
  const killOnExit = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);

  return {
    url,
    pid: child.pid!,
    modify: (dn, changes) =>
      asAdmin(url, (client) =>
        client.modify(
          dn,
          Object.entries(changes).map(([type, values]) =>
            values === null
              ? new Change({ operation: 'delete', modification: new Attribute({ type }) })
              : new Change({
                  operation: 'replace',
                  modification: new Attribute({ type, values: Array.isArray(values) ? values : [values] }),
                }),
          ),
        ),
      ),
    connectionsBoundAs: (dn) =>
      asAdmin(url, async (client) => {
        const { searchEntries } = await client.search('cn=Connections,cn=Monitor', {
          scope: 'one',
          filter: '(objectClass=monitorConnection)',
          attributes: ['cn', 'monitorConnectionAuthzDN'],
        });
        return searchEntries
          .filter((entry) => String(entry['monitorConnectionAuthzDN']).toLowerCase() === dn.toLowerCase())
          .map((entry) => String(entry['cn']));
      }),
    bindsCompleted: () =>
      asAdmin(url, async (client) => {
        const { searchEntries } = await client.search('cn=Bind,cn=Operations,cn=Monitor', {
          scope: 'base',
          attributes: ['monitorOpCompleted'],
        });
        return Number(searchEntries[0]?.['monitorOpCompleted']);
      }),
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async stop() {
      process.removeListener('exit', killOnExit);
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await exited(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
