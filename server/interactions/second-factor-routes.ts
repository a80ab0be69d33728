/**
 * /interaction/:uid/mfa: the second factor of a login whose first factor and rules are done
 * (login-steps.ts kept it in login_flows). The person gives a code of their authenticator app
 * or a recovery code, or, when the policy asks for a factor they lack, adds an authenticator app
 * and keeps the recovery codes shown once. Wrong codes count like wrong passwords, against the
 * user: the same limits, the same 429 with Retry-After, lifted by users.unblock.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { errors } from 'oidc-provider';
import type { LoginAttempt } from '../abuse/login-attempts.js';
import { secondFactorSubject } from '../abuse/login-subjects.js';
import { RetryLater } from '../abuse/retry-later.js';
import { DomainError, isDomainError } from '../errors.js';
import type { AuthenticationMethod } from '../mfa/authentication-methods.js';
import { accountNameOf } from '../mfa/enrolment.js';
import { clientNameOf, type LoginSteps, readForm, requireLoginPrompt } from './account-requests.js';
import { describeFailure, type LoginFailure } from './login-failure.js';
import type { Details } from './login-steps.js';
import type { InteractionDependencies } from './routes.js';
import { type PendingSecondFactor, pendingSecondFactor, SECOND_FACTOR_TTL_SECONDS, secondFactorFlowId } from './second-factor-flow.js';
import { challengePage, enrolPage, recoveryCodesPage, SECOND_FACTOR_METHODS, type SecondFactorMethod } from './second-factor-views.js';

const wrongCode = () => describeFailure(new DomainError('auth.invalid_credentials', 'That code is not valid. Try again.'));

export function createSecondFactorRouter(deps: InteractionDependencies, steps: LoginSteps) {
  const { flows, loginAttempts, totp, recoveryCodes, mfaEnrolment, authenticators, profiles, connections, providers, loginOutcomes } = deps;
  const { log, load, finishLogin } = steps;
  const router = new Router();

  async function pendingOf(details: Details): Promise<PendingSecondFactor> {
    requireLoginPrompt(details);
    const pending = pendingSecondFactor(await flows.find(secondFactorFlowId(details.uid)), details.uid);
    if (!pending) throw new errors.InvalidRequest('this login has expired or was already used; please log in again');
    return pending;
  }

  /** The ways this user can give a second factor here, in the order the page offers them. */
  async function methodsOf(userId: string): Promise<SecondFactorMethod[]> {
    const held = new Set<string>((await authenticators.list(userId)).map((authenticator) => authenticator.type));
    return SECOND_FACTOR_METHODS.filter((method) => held.has(method));
  }

  function show(ctx: Context, body: string, failure?: LoginFailure) {
    if (failure) ctx.status = failure.status;
    if (failure?.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(failure.retryAfterSeconds));
    ctx.type = 'html';
    ctx.body = body;
  }

  async function renderChallenge(ctx: Context, details: Details, pending: PendingSecondFactor, asked: unknown, failure?: LoginFailure) {
    const methods = await methodsOf(pending.userId);
    const method = methods.find((candidate) => candidate === asked) ?? methods[0];
    if (!method) throw new errors.InvalidRequest('this account has no second factor that can be used here; please log in again');
    const page = `/interaction/${details.uid}/mfa`;
    show(
      ctx,
      challengePage({
        action: page,
        abortUrl: `/interaction/${details.uid}/abort`,
        clientName: await clientNameOf(providers, details),
        method,
        others: methods.filter((other) => other !== method).map((other) => ({ method: other, url: `${page}?method=${other}` })),
        error: failure?.message,
      }),
      failure,
    );
  }

  /** The authenticator app being added: the one shown before while it is unconfirmed, or a new one. */
  async function renderEnrol(ctx: Context, details: Details, pending: PendingSecondFactor, failure?: LoginFailure) {
    const profile = await profiles.getProfile(pending.userId);
    if (!profile) throw new errors.InvalidRequest('this account no longer exists; please log in again');
    let enrolment = pending.enrolmentId ? await totp.reveal(pending.userId, pending.enrolmentId, accountNameOf(profile)) : undefined;
    if (!enrolment) {
      enrolment = await mfaEnrolment.enrollTotp(profile);
      const kept: PendingSecondFactor = { ...pending, enrolmentId: enrolment.authenticator_id };
      await flows.put(secondFactorFlowId(details.uid), { ...kept }, SECOND_FACTOR_TTL_SECONDS);
    }
    show(
      ctx,
      enrolPage({
        action: `/interaction/${details.uid}/mfa`,
        abortUrl: `/interaction/${details.uid}/abort`,
        clientName: await clientNameOf(providers, details),
        authenticatorId: enrolment.authenticator_id,
        secret: enrolment.secret,
        qrSvg: enrolment.qr_svg,
        error: failure?.message,
      }),
      failure,
    );
  }

  const render = (ctx: Context, details: Details, pending: PendingSecondFactor, method: unknown, failure?: LoginFailure) =>
    pending.step === 'enrol' ? renderEnrol(ctx, details, pending, failure) : renderChallenge(ctx, details, pending, method, failure);

  router.get('/:uid/mfa', async (ctx) => {
    const details = await load(ctx);
    return render(ctx, details, await pendingOf(details), ctx.query['method']);
  });

  /** Whether the form's code is right, spending it if so; recovery codes when this confirmed the user's first factor. */
  async function judge(
    pending: PendingSecondFactor,
    form: Record<string, string>,
  ): Promise<{ accepted: boolean; recoveryCodes?: string[] }> {
    const code = form['code'] ?? '';
    if (pending.step === 'enrol') {
      if (!pending.enrolmentId || form['authenticator_id'] !== pending.enrolmentId) return { accepted: false };
      try {
        const confirmed = await mfaEnrolment.confirmTotp(pending.userId, pending.enrolmentId, code);
        return { accepted: true, ...(confirmed.recovery_codes ? { recoveryCodes: confirmed.recovery_codes } : {}) };
      } catch (error) {
        if (isDomainError(error, 'authenticator.invalid_code') || isDomainError(error, 'authenticator.not_found'))
          return { accepted: false };
        throw error;
      }
    }
    const methods = await methodsOf(pending.userId);
    if (form['method'] === 'recovery-code' && methods.includes('recovery-code'))
      return { accepted: await recoveryCodes.verify(pending.userId, code) };
    if (form['method'] === 'totp' && methods.includes('totp')) return { accepted: await totp.verify(pending.userId, code) };
    return { accepted: false };
  }

  router.post('/:uid/mfa', async (ctx) => {
    const details = await load(ctx);
    const pending = await pendingOf(details);
    const form = await readForm(ctx, ['method', 'code', 'authenticator_id']);
    const [connection, profile] = await Promise.all([connections.findById(pending.connectionId), profiles.getProfile(pending.userId)]);
    if (!connection) throw new errors.InvalidRequest('the connection of this login no longer exists');
    // Blocked while the login waited for its second factor: it ends here, as a blocked user's login does.
    if (!profile || profile.blocked) {
      await flows.take(secondFactorFlowId(details.uid));
      loginOutcomes.record(connection.name, 'user.blocked');
      return steps.showFailure(ctx, details, describeFailure(new DomainError('user.blocked', 'This account is blocked.')));
    }

    let attempt: LoginAttempt;
    try {
      attempt = await loginAttempts.begin(secondFactorSubject(pending.userId), ctx.ip);
    } catch (error) {
      if (!(error instanceof RetryLater)) throw error;
      loginOutcomes.record(connection.name, error.code);
      return render(ctx, details, pending, form['method'], describeFailure(error));
    }
    let verdict: Awaited<ReturnType<typeof judge>>;
    try {
      verdict = await judge(pending, form);
    } catch (error) {
      await attempt.inconclusive();
      throw error;
    }
    if (!verdict.accepted) {
      if (await attempt.failed())
        log.warn({ user_id: pending.userId, ip: ctx.ip }, 'second factor blocked for this IP after too many wrong codes');
      log.info({ user_id: pending.userId, connection: connection.name, method: form['method'] }, 'second factor refused');
      loginOutcomes.record(connection.name, 'auth.invalid_credentials');
      return render(ctx, details, pending, form['method'], wrongCode());
    }
    await attempt.succeeded();
    // Taken once: of two requests with two right codes, one finishes the login.
    if (!(await flows.take(secondFactorFlowId(details.uid)))) {
      throw new errors.InvalidRequest('this login has expired or was already used; please log in again');
    }
    const amr: AuthenticationMethod[] = [...pending.amr, 'otp', 'mfa'];
    if (!verdict.recoveryCodes) return finishLogin(ctx, details, pending.userId, connection.name, amr);
    await finishLogin(ctx, details, pending.userId, connection.name, amr, { redirect: false });
    show(ctx, recoveryCodesPage(verdict.recoveryCodes, details.returnTo));
  });

  return router;
}
