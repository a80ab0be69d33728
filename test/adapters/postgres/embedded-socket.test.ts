import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../../../adapters/postgres/embedded.js';
import { createLogger } from '../../../server/logger.js';

async function clientAddress(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ address: string | null }>('SELECT inet_client_addr()::text AS address');
    return rows[0]?.address ?? null;
  } finally {
    await client.end();
  }
}

describe('the embedded PostgreSQL connection', () => {
  let parent: string;
  let database: EmbeddedDatabase;

  beforeAll(async () => {
    parent = await mkdtemp(path.join(tmpdir(), 'tessera-socket-'));
    await chmod(parent, 0o755);
    database = await startEmbeddedPostgres(path.join(parent, 'short'), createLogger('silent'));
  }, 120_000);

  afterAll(async () => {
    await database?.stop();
    await rm(parent, { recursive: true, force: true });
  });

  it('goes through a unix socket inside the cluster folder when its path fits', async () => {
    const url = new URL(database.url);
    expect(url.searchParams.get('host')).toBe(path.join(parent, 'short', 'postgres'));
    // PostgreSQL reports no client address for a unix-socket connection.
    expect(await clientAddress(database.url)).toBeNull();
  });

  it('still asks for the password over the socket', async () => {
    const url = new URL(database.url);
    url.password = 'not-the-password';
    await expect(clientAddress(url.toString())).rejects.toThrow(/password authentication failed/);
  });

  it('keeps listening on loopback TCP for other tools', async () => {
    const url = new URL(database.url);
    url.searchParams.delete('host');
    expect(await clientAddress(url.toString())).toBe('127.0.0.1/32');
  });

  it('hands a process attaching to the running cluster the same socket', async () => {
    const attached = await startEmbeddedPostgres(path.join(parent, 'short'), createLogger('silent'));
    expect(attached.url).toBe(database.url);
    await attached.stop();
    expect(await clientAddress(database.url)).toBeNull();
  });

  it('uses TCP where the socket path would not fit in a unix socket address', async () => {
    const deep = path.join(parent, 'a-folder-name-long-enough-that-the-socket-path-passes-the-limit-of-sun-path');
    const tcp = await startEmbeddedPostgres(deep, createLogger('silent'));
    try {
      expect(new URL(tcp.url).searchParams.has('host')).toBe(false);
      expect(await clientAddress(tcp.url)).toBe('127.0.0.1/32');
    } finally {
      await tcp.stop();
    }
  }, 120_000);
});
