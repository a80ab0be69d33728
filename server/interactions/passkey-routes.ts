/**
 * Passwordless sign-in with a passkey on the login page: the scripts the page loads, a challenge
 * bound to this interaction, and the browser's answer, posted as a form. The passkey's user is logged in
 * through completeLogin like any other (blocked users, rules, the provider), with the
 * connection of their first identity this application offers, and amr hwk or swk with mfa: a
 * passkey is something the person has, unlocked by something they know or are. Failed answers
 * count against the IP as failed passwords do. The page's scripts are passkey-scripts.ts.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type { ConnectionRecord } from '../../adapters/queries/records.js';
import { DomainError, isDomainError } from '../errors.js';
import { parseAuthenticationResponse } from '../mfa/passkey-schemas.js';
import type { Passkeys } from '../mfa/passkeys.js';
import { type LoginSteps, readForm, requireLoginPrompt } from './account-requests.js';
import { describeFailure, loginFailure } from './login-failure.js';
import type { Details } from './login-steps.js';
import type { InteractionDependencies } from './routes.js';

export type PasskeySignIn = Pick<Passkeys, 'authenticationOptions' | 'authenticate'>;

/** Where a login page's challenges are kept: one interaction's, answered only in the browser holding it. */
export const interactionBinding = (uid: string) => `interaction:${uid}`;

/** The brute-force subject of a passkey: the credential the answer names (there is no login name). */
const passkeySubject = (credentialId: string) => `passkey:${credentialId}`;

const YEAR_SECONDS = 365 * 24 * 60 * 60;

const invalidAnswer = () => new DomainError('auth.invalid_response', 'The passkey’s answer could not be read. Please try again.');

export function createPasskeyRouter(deps: InteractionDependencies, steps: LoginSteps) {
  const { passkeys, loginAttempts, loginOutcomes, profiles } = deps;
  const { log, load, offered, showFailure, completeLogin, passkeyScripts } = steps;
  const router = new Router();

  router.get('/scripts/:file', (ctx) => {
    const found = passkeyScripts.get(String(ctx.params['file']));
    if (!found) return;
    ctx.set('Cache-Control', `public, max-age=${YEAR_SECONDS}, immutable`);
    ctx.type = 'application/javascript';
    ctx.body = found.body;
  });

  router.post('/:uid/passkey/options', async (ctx) => {
    const details = await load(ctx);
    requireLoginPrompt(details);
    ctx.body = await passkeys.authenticationOptions(interactionBinding(details.uid));
  });

  /** The first of the user's identities whose connection this application offers: the one rules and the login count see. */
  async function connectionFor(details: Details, userId: string): Promise<ConnectionRecord | undefined> {
    const [profile, { credentials, redirects }] = await Promise.all([profiles.getProfile(userId), offered(details)]);
    const offeredNow = [...credentials, ...redirects];
    for (const identity of profile?.identities ?? []) {
      const connection = offeredNow.find((candidate) => candidate.name === identity.connection);
      if (connection) return connection;
    }
    return undefined;
  }

  async function refuse(ctx: Context, details: Details, error: unknown) {
    const failure = loginFailure(error);
    if (!failure) throw error;
    log.info({ client_id: String(details.params['client_id']), code: failure.code, reason: failure.message }, 'passkey login failed');
    loginOutcomes.record('passkey', failure.code);
    return showFailure(ctx, details, failure);
  }

  router.post('/:uid/passkey', async (ctx) => {
    const details = await load(ctx);
    requireLoginPrompt(details);
    const answer = parseAuthenticationResponse((await readForm(ctx, ['response']))['response'] ?? '');
    if (!answer) return refuse(ctx, details, invalidAnswer());

    let userId: string;
    let method: 'hwk' | 'swk';
    let countReset: Promise<void>;
    try {
      const attempt = await loginAttempts.begin(passkeySubject(answer.id), ctx.ip);
      try {
        ({ userId, method } = await passkeys.authenticate(interactionBinding(details.uid), answer));
      } catch (error) {
        if (!isDomainError(error, 'auth.invalid_credentials')) await attempt.inconclusive();
        else if (await attempt.failed()) log.warn({ ip: ctx.ip }, 'passkey blocked for this IP after too many failed attempts');
        throw error;
      }
      countReset = attempt.succeeded();
    } catch (error) {
      return refuse(ctx, details, error);
    }
    const connection = await connectionFor(details, userId);
    if (!connection) {
      await countReset;
      log.info(
        { user_id: userId, client_id: String(details.params['client_id']) },
        'passkey login refused: no connection of the user is offered',
      );
      loginOutcomes.record('passkey', 'connection.not_enabled');
      const refusal = new DomainError('connection.not_enabled', 'Your account cannot sign in to this application with a passkey.');
      return showFailure(ctx, details, describeFailure(refusal));
    }
    await Promise.all([countReset, completeLogin(ctx, details, userId, connection, { amr: [method, 'mfa'] })]);
  });

  return router;
}
