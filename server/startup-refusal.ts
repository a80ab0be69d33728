/**
 * The errors that stop `npm start` and the CLI with one line saying what to fix (a setting, a
 * missing package, an unreadable data directory, an unreachable database, a port taken) rather than a stack
 * trace: each is the operator's to mend, not a fault of Tessera.
 */
import { DataDirAccessError } from '../adapters/postgres/data-dir-access.js';
import { EmbeddedPostgresMissingError } from '../adapters/postgres/embedded-package.js';
import { DatabaseUnreachableError } from '../adapters/sequelize/database.js';
import { ConfigError } from './config.js';
import { PortRefusedError } from './port-refusal.js';

export function isStartupRefusal(error: unknown): error is Error {
  return (
    error instanceof ConfigError ||
    error instanceof EmbeddedPostgresMissingError ||
    error instanceof DataDirAccessError ||
    error instanceof DatabaseUnreachableError ||
    error instanceof PortRefusedError
  );
}
