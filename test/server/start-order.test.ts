/**
 * Start-up is over before the issuer's port opens: a supervisor that sends SIGTERM as soon as
 * /healthz answers must find `npm start`'s handler in place (the sealing test's spawned server
 * once died of a SIGTERM sent while the setup link was still being made).
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger.js';
import { startTessera, type Tessera } from '../../server/tessera.js';
import { testConfig } from '../support/tessera.js';

describe('the order of start-up', () => {
  it('opens the port only once the last start-up step, the setup link, is made', async () => {
    const { config, databaseUrl } = await testConfig();
    // A first start migrates the database; no administrator exists yet, so the next start offers a link again.
    await (await startTessera(config, createLogger('silent'))).stop();
    const locker = new pg.Client({ connectionString: databaseUrl });
    await locker.connect();
    // Holds the setup link's write, the last thing a start does, until the test lets go.
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE admin_setup_tokens IN EXCLUSIVE MODE');
    let tessera: Tessera | undefined;
    const starting = startTessera(config, createLogger('silent')).then((started) => {
      tessera = started;
      return started;
    });
    try {
      const healthz = `${config.issuer}/healthz`;
      const answered: number[] = [];
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        const status = await fetch(healthz).then(
          (response) => response.status,
          () => 0,
        );
        if (status) answered.push(status);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(tessera).toBeUndefined();
      expect(answered).toEqual([]);
    } finally {
      await locker.query('COMMIT');
      await locker.end();
    }
    const started = await starting;
    try {
      expect((await fetch(`${config.issuer}/healthz`)).status).toBe(200);
      expect(started.setupLink).toMatch(/\/admin\/setup\?token=/);
    } finally {
      await started.stop();
    }
  });
});
