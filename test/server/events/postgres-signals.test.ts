import pg from 'pg';
import { Sequelize } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeSignals } from '../../../server/events/node-signals.js';
import { createPostgresNodeSignals } from '../../../server/events/postgres-signals.js';
import { createLogger } from '../../../server/logger.js';
import { createTestDatabase } from '../../support/databases.js';
import { waitFor } from '../../support/spawn-tessera.js';

describe('node signals over PostgreSQL (no Redis)', () => {
  const logger = createLogger('silent');
  let url: string;
  let sequelize: Sequelize;
  const opened: NodeSignals[] = [];

  beforeAll(async () => {
    url = await createTestDatabase();
    sequelize = new Sequelize(url, { logging: false });
  });
  afterAll(async () => {
    for (const signals of opened) await signals.close();
    await sequelize.close();
  });

  async function open(): Promise<{ signals: NodeSignals; heard: string[] }> {
    const signals = await createPostgresNodeSignals(sequelize, url, logger);
    opened.push(signals);
    const heard: string[] = [];
    signals.on('oidc.changed', async (detail) => {
      heard.push(detail);
    });
    return { signals, heard };
  }

  it('reaches every other process on the database, in the order announced, with the detail as sent', async () => {
    const server = await open();
    const other = await open();
    const cli = await open();
    const details = ['Grant:with spaces and ü', ...Array.from({ length: 20 }, (_, index) => `Session:${index}`)];
    for (const detail of details) void cli.signals.announce('oidc.changed', detail);
    await cli.signals.announce('oidc.changed', 'last');
    await waitFor(async () => server.heard.includes('last') && other.heard.includes('last'), 2_000);
    expect(server.heard).toEqual([...details, 'last']);
    expect(other.heard).toEqual([...details, 'last']);
    // Its own change is made before it is announced: hearing it back could undo a later one.
    expect(cli.heard).toEqual([]);
  });

  it('listens again after its connection is cut, and is quiet once closed', async () => {
    const server = await open();
    const cli = await open();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const { rowCount } = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN tessera_signals'`,
      );
      expect(rowCount).toBe(opened.length);
    } finally {
      await admin.end();
    }
    // What is announced while it reconnects is lost, as over Redis: announce until it is heard.
    await waitFor(async () => {
      await cli.signals.announce('oidc.changed', 'after the cut');
      return server.heard.includes('after the cut');
    }, 5_000);

    const third = await open();
    await server.signals.close();
    await cli.signals.announce('oidc.changed', 'after close');
    await waitFor(async () => third.heard.includes('after close'), 2_000);
    expect(server.heard).not.toContain('after close');
  });
});
