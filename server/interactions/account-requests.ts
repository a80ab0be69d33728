/**
 * What sign-up and "Forgot your password?" share: their dependencies, the form they read, the
 * connection they act on, and who owns an address in it. Both answer the same whether or not
 * the address has an account; only the mail sent differs, and it goes to that address alone.
 */
import type { RouterContext } from '@koa/router';
import parseBody from 'co-body';
import { errors } from 'oidc-provider';
import { z } from 'zod';
import type { ConnectionRecord } from '../../adapters/queries/records.js';
import type { UserQueries } from '../../adapters/queries/users.js';
import type { AccountRequests } from '../abuse/account-requests.js';
import type { AccountMail } from '../accounts/account-mail.js';
import type { ProviderHost } from '../oidc/provider-host.js';
import type { UserService } from '../users/user-service.js';
import { clientIdOf, type createLoginSteps, type Details } from './login-steps.js';

export interface AccountRequestDependencies {
  issuer: string;
  users: Pick<UserQueries, 'findById' | 'findDatabaseIdentity' | 'findCustomIdentity'>;
  userService: Pick<UserService, 'create'>;
  accountMail: Pick<AccountMail, 'sendVerification' | 'sendSignupAttempt' | 'sendPasswordReset'>;
  accountRequests: AccountRequests;
}

export type LoginSteps = ReturnType<typeof createLoginSteps>;

const FORM_LIMIT = '16kb';

export const emailSchema = z.email().max(512);

/** The form's text fields; anything else sent is ignored. */
export async function readForm(ctx: RouterContext, names: readonly string[]): Promise<Record<string, string>> {
  const form = (await parseBody.form(ctx, { limit: FORM_LIMIT })) as Record<string, unknown>;
  return Object.fromEntries(names.map((name) => [name, typeof form[name] === 'string' ? form[name] : '']));
}

/** These pages belong to a login under way: once the person is logged in, there is nothing for them to do. */
export function requireLoginPrompt(details: Details): void {
  if (details.prompt.name !== 'login') throw new errors.InvalidRequest('this interaction is not waiting for a login');
}

/**
 * The connection named by `name` among those the login page offers, when `fits`; without a
 * name, the first that fits (the one the page lists first).
 */
export function chooseConnection(
  offered: readonly ConnectionRecord[],
  name: string | undefined,
  fits: (connection: ConnectionRecord) => boolean,
): ConnectionRecord | undefined {
  const candidates = name ? offered.filter((connection) => connection.name === name) : offered;
  return candidates.find(fits);
}

/**
 * The user whose identity in `connection` has this email, if any. A login name matches an
 * email or a username; only an identity whose email it is counts, so mail about an account
 * never goes to an address that merely equals some other person's username.
 */
export async function ownerOf(users: AccountRequestDependencies['users'], connection: ConnectionRecord, email: string) {
  const identity =
    connection.strategy === 'custom'
      ? await users.findCustomIdentity(connection.id, email)
      : await users.findDatabaseIdentity(connection.id, email);
  const stored = identity?.profile_data['email'];
  return identity && typeof stored === 'string' && stored.toLowerCase() === email ? identity.user_id : undefined;
}

/** Seconds until the interaction expires: how long anything kept for it is worth keeping. */
export function secondsLeft(details: Details): number {
  return Math.max(1, details.exp - Math.floor(Date.now() / 1000));
}

/** The application's name as the pages show it. */
export async function clientNameOf(providers: ProviderHost, details: Details): Promise<string> {
  const client = await providers.provider.Client.find(clientIdOf(details));
  return client?.clientName ?? clientIdOf(details);
}
