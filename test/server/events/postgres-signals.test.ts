import pg from 'pg';
import { Sequelize } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeSignals } from '../../../server/events/node-signals.js';
import { announcePostgresSignals, listenForPostgresSignals } from '../../../server/events/postgres-signals.js';
import { createLogger } from '../../../server/logger.js';
import { createTestDatabase } from '../../support/databases.js';
import { waitFor } from '../../support/spawn-tessera.js';

describe('node signals over PostgreSQL, from the operator CLI to the server (no Redis)', () => {
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

  async function server(): Promise<{ signals: NodeSignals; heard: string[] }> {
    const signals = await listenForPostgresSignals(url, logger);
    opened.push(signals);
    const heard: string[] = [];
    signals.on('oidc.changed', async (detail) => {
      heard.push(detail);
    });
    return { signals, heard };
  }

  it('brings the server what the CLI announces, in the order announced, with the detail as sent', async () => {
    const listening = await server();
    const cli = announcePostgresSignals(sequelize);
    const details = ['Grant:with spaces and ü', ...Array.from({ length: 20 }, (_, index) => `Session:${index}`), ''];
    for (const detail of details) void cli.announce('oidc.changed', detail);
    await cli.close();
    await waitFor(async () => listening.heard.length === details.length, 2_000);
    expect(listening.heard).toEqual(details);
  });

  it('sends nothing from the server: no other process holds what it wrote', async () => {
    const listening = await server();
    const other = await server();
    await listening.signals.announce('oidc.changed', 'Session:from the server');
    await announcePostgresSignals(sequelize).announce('oidc.changed', 'Session:from the CLI');
    await waitFor(async () => other.heard.includes('Session:from the CLI'), 2_000);
    expect(other.heard).not.toContain('Session:from the server');
  });

  it('listens again after its connection is cut, and is deaf once closed', async () => {
    const listening = await server();
    const cli = announcePostgresSignals(sequelize);
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
      await cli.announce('oidc.changed', 'after the cut');
      return listening.heard.includes('after the cut');
    }, 5_000);

    const another = await server();
    await listening.signals.close();
    await cli.announce('oidc.changed', 'after close');
    await waitFor(async () => another.heard.includes('after close'), 2_000);
    expect(listening.heard).not.toContain('after close');
  });
});
