/**
 * Which of the login page's password connections offer "Sign up" and "Forgot your password?",
 * and where those links lead: the pages of signup-routes.ts and forgot-routes.ts, inside the
 * same interaction, so that afterwards the person goes on to the application they came from.
 */
import type { ConnectionRecord } from '../../adapters/queries/records.js';
import { databaseOptions } from '../connections/database-connection.js';

/**
 * A database connection takes sign-ups unless `disable_signup` says otherwise. One that
 * requires a username takes none from this page, which asks for an email, a password and a
 * name only: its people are created by operators.
 */
export function signupAllowed(connection: ConnectionRecord): boolean {
  if (connection.strategy !== 'database') return false;
  const options = databaseOptions(connection);
  return !options.disable_signup && !options.requires_username;
}

/** Connections whose passwords Tessera can have reset: its own, and a custom database's (through its script). */
export function resetOffered(connection: ConnectionRecord): boolean {
  return connection.strategy === 'database' || connection.strategy === 'custom';
}

export interface AccountLinks {
  signupUrl?: string;
  forgotUrl?: string;
}

export function accountLinks(uid: string, connection: ConnectionRecord): AccountLinks {
  const query = `?connection=${encodeURIComponent(connection.name)}`;
  return {
    ...(signupAllowed(connection) ? { signupUrl: `/interaction/${uid}/signup${query}` } : {}),
    ...(resetOffered(connection) ? { forgotUrl: `/interaction/${uid}/forgot${query}` } : {}),
  };
}
