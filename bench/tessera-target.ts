/** Tessera as a benchmark target: its own scratch PostgreSQL, a free port, a seeded web client and user. */
import { randomBytes } from 'node:crypto';
import { freePort } from '../adapters/postgres/free-port.js';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import { startTessera } from '../server/tessera.js';
import { registerEs256Api } from './es256-api.js';
import { REDIRECT_URI } from './login.js';
import { startScratchPostgres } from './scratch-postgres.js';
import { seedUser, seedWebClient } from './seed.js';
import type { Target } from './target.js';

export async function startTesseraTarget(): Promise<Target> {
  const logger = createLogger('silent');
  const database = await startScratchPostgres(logger);
  try {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const machineClient = { clientId: 'bench-admin-client', clientSecret: randomBytes(32).toString('base64url') };
    const tessera = await startTessera(
      loadConfig({
        PORT: String(port),
        ISSUER: issuer,
        DATABASE_URL: database.url,
        ADMIN_CLIENT_ID: machineClient.clientId,
        ADMIN_CLIENT_SECRET: machineClient.clientSecret,
        SEALING_KEY: randomBytes(32).toString('base64'),
        LOG_LEVEL: 'silent',
      }),
      logger,
    );
    try {
      const webClient = await seedWebClient(tessera, REDIRECT_URI);
      const user = await seedUser(tessera);
      await registerEs256Api(tessera, machineClient.clientId);
      return {
        name: 'tessera',
        issuer,
        machineClient,
        webClient,
        loginForm: { username: user.username, password: user.password },
        async stop() {
          try {
            await tessera.stop();
          } finally {
            await database.stop();
          }
        },
      };
    } catch (error) {
      await tessera.stop();
      throw error;
    }
  } catch (error) {
    await database.stop();
    throw error;
  }
}
