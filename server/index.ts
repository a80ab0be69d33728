/**
 * `npm start`: loads the configuration, starts Tessera, and stops it cleanly on SIGINT/SIGTERM.
 */

import { type Config, loadConfig } from './config.js';
import { announce, logFormat } from './first-minute.js';
import { createLogger } from './logger.js';
import { isStartupRefusal } from './startup-refusal.js';
import { startTessera } from './tessera.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (isStartupRefusal(error)) {
      process.stderr.write(`tessera: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const isTTY = process.stdout.isTTY === true;
  const logger = createLogger(config.logLevel, undefined, logFormat(isTTY));
  try {
    const tessera = await startTessera(config, logger);
    const { banner, setupLogLine } = announce(isTTY, { issuer: config.issuer, setupLink: tessera.setupLink });
    if (banner) process.stdout.write(banner);
    // warn: a fresh install is unusable without this line, so LOG_LEVEL=warn still shows it.
    if (setupLogLine) logger.warn(setupLogLine.fields, setupLogLine.message);
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      tessera.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'stop failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
  } catch (error) {
    if (isStartupRefusal(error)) {
      process.stderr.write(`tessera: ${error.message}\n`);
    } else {
      logger.fatal({ err: error }, 'start-up failed');
    }
    process.exit(1);
  }
}

await main();
