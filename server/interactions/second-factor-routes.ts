/**
 * /interaction/:uid/mfa: the second factor of a login whose first factor and rules are done
 * (login-steps.ts kept it in login_flows). The person gives a code of their authenticator app,
 * one of their passkeys (a challenge bound to this step, for their passkeys only) or a recovery
 * code, or, when the policy asks for a factor they lack, adds an authenticator app
 * and keeps the recovery codes shown once. Wrong codes and refused passkey answers count like
 * wrong passwords, against the user: the same limits, the same 429 with Retry-After, lifted by users.unblock.
 */
import Router, { type RouterContext } from '@koa/router';
import type { Context } from 'koa';
import { errors } from 'oidc-provider';
import type { LoginAttempt } from '../abuse/login-attempts.js';
import { secondFactorSubject } from '../abuse/login-subjects.js';
import { RetryLater } from '../abuse/retry-later.js';
import { DomainError, isDomainError } from '../errors.js';
import type { AuthenticationMethod } from '../mfa/authentication-methods.js';
import { accountNameOf } from '../mfa/enrolment.js';
import { parseAuthenticationResponse } from '../mfa/passkey-schemas.js';
import { clientNameOf, type LoginSteps, readForm, requireLoginPrompt } from './account-requests.js';
import { describeFailure, type LoginFailure } from './login-failure.js';
import type { Details } from './login-steps.js';
import { LOGIN_PAGE_POLICY } from './page.js';
import { passkeyView } from './passkey-scripts.js';
import type { InteractionDependencies } from './routes.js';
import {
  type PendingSecondFactor,
  pendingSecondFactor,
  SECOND_FACTOR_TTL_SECONDS,
  secondFactorBinding,
  secondFactorFlowId,
} from './second-factor-flow.js';
import { challengePage, enrolPage, recoveryCodesPage, SECOND_FACTOR_METHODS, type SecondFactorMethod } from './second-factor-views.js';

const refusal = (method: unknown) =>
  describeFailure(
    new DomainError(
      'auth.invalid_credentials',
      method === 'webauthn' ? 'This passkey was not accepted. Try again.' : 'That code is not valid. Try again.',
    ),
  );

/** A right answer, and what it adds to the login's amr besides mfa. */
interface Verdict {
  accepted: boolean;
  method?: Extract<AuthenticationMethod, 'otp' | 'hwk' | 'swk'>;
  recoveryCodes?: string[];
}

export function createSecondFactorRouter(deps: InteractionDependencies, steps: LoginSteps) {
  const { flows, loginAttempts, totp, recoveryCodes, mfaEnrolment, authenticators, profiles, connections, providers, loginOutcomes } = deps;
  const { passkeys } = deps;
  // offerPasskeys: WebAuthn takes no IP address as relying party id, so under such an issuer a passkey cannot answer.
  const { log, load, finishLogin, passkeyScripts, offerPasskeys } = steps;
  const router = new Router();

  async function pendingOf(details: Details): Promise<PendingSecondFactor> {
    requireLoginPrompt(details);
    const pending = pendingSecondFactor(await flows.find(secondFactorFlowId(details.uid)), details.uid);
    if (!pending) throw new errors.InvalidRequest('this login has expired or was already used; please log in again');
    return pending;
  }

  // Per request (pendingOf reads a new object each time): a refused answer is judged, then its page shown, from one read.
  const methodsByRequest = new WeakMap<PendingSecondFactor, Promise<SecondFactorMethod[]>>();

  /** The ways this user can give a second factor here, in the order the page offers them. */
  function methodsOf(pending: PendingSecondFactor): Promise<SecondFactorMethod[]> {
    let methods = methodsByRequest.get(pending);
    if (!methods) {
      methods = authenticators.list(pending.userId).then((listed) => {
        const held = new Set<string>(listed.map((authenticator) => authenticator.type));
        return SECOND_FACTOR_METHODS.filter((method) => held.has(method) && (method !== 'webauthn' || offerPasskeys));
      });
      methodsByRequest.set(pending, methods);
    }
    return methods;
  }

  function show(ctx: Context, body: string, failure?: LoginFailure) {
    if (failure) ctx.status = failure.status;
    if (failure?.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(failure.retryAfterSeconds));
    ctx.type = 'html';
    ctx.body = body;
  }

  async function renderChallenge(ctx: Context, details: Details, pending: PendingSecondFactor, asked: unknown, failure?: LoginFailure) {
    const methods = await methodsOf(pending);
    const method = methods.find((candidate) => candidate === asked) ?? methods[0];
    if (!method) throw new errors.InvalidRequest('this account has no second factor that can be used here; please log in again');
    const page = `/interaction/${details.uid}/mfa`;
    // Widened for the passkey scripts only where the page has them, as on the login page.
    if (method === 'webauthn') ctx.set('Content-Security-Policy', LOGIN_PAGE_POLICY);
    show(
      ctx,
      challengePage({
        action: page,
        passkey:
          method === 'webauthn'
            ? {
                optionsUrl: `${page}/passkey/options`,
                action: `${page}/passkey`,
                scripts: passkeyView(details.uid, passkeyScripts).scripts,
              }
            : undefined,
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

  /** A passkey the user holds answering this step's challenge; anything else, even unreadable, is a wrong answer. */
  async function judgePasskey(pending: PendingSecondFactor, raw: string): Promise<Verdict> {
    const answer = parseAuthenticationResponse(raw);
    if (!answer) return { accepted: false };
    try {
      const assertion = await passkeys.authenticate(secondFactorBinding(pending.uid), answer);
      return assertion.userId === pending.userId ? { accepted: true, method: assertion.method } : { accepted: false };
    } catch (error) {
      if (isDomainError(error, 'auth.invalid_credentials')) return { accepted: false };
      throw error;
    }
  }

  /** Whether the form's answer is right, spending it if so; recovery codes when this confirmed the user's first factor. */
  async function judge(pending: PendingSecondFactor, form: Record<string, string>): Promise<Verdict> {
    const code = form['code'] ?? '';
    if (pending.step === 'enrol') {
      if (!pending.enrolmentId || form['authenticator_id'] !== pending.enrolmentId) return { accepted: false };
      try {
        const confirmed = await mfaEnrolment.confirmTotp(pending.userId, pending.enrolmentId, code);
        return { accepted: true, method: 'otp', ...(confirmed.recovery_codes ? { recoveryCodes: confirmed.recovery_codes } : {}) };
      } catch (error) {
        if (isDomainError(error, 'authenticator.invalid_code') || isDomainError(error, 'authenticator.not_found'))
          return { accepted: false };
        throw error;
      }
    }
    const methods = await methodsOf(pending);
    const method = form['method'];
    if (method === 'recovery-code' && methods.includes('recovery-code'))
      return { accepted: await recoveryCodes.verify(pending.userId, code), method: 'otp' };
    if (method === 'totp' && methods.includes('totp')) return { accepted: await totp.verify(pending.userId, code), method: 'otp' };
    if (method === 'webauthn' && methods.includes('webauthn')) return judgePasskey(pending, form['response'] ?? '');
    return { accepted: false };
  }

  /** A challenge for the user's own passkeys, bound to this step: a new one replaces the one before. */
  router.post('/:uid/mfa/passkey/options', async (ctx) => {
    const details = await load(ctx);
    const pending = await pendingOf(details);
    if (pending.step !== 'challenge' || !(await methodsOf(pending)).includes('webauthn')) {
      throw new errors.InvalidRequest('this login does not wait for a passkey');
    }
    ctx.body = await passkeys.authenticationOptions(secondFactorBinding(details.uid), { userId: pending.userId });
  });

  /** A second factor given in `form`: judged under the brute-force limits, and the login finished once when right. */
  async function answer(ctx: RouterContext, form: Record<string, string>) {
    const details = await load(ctx);
    const pending = await pendingOf(details);
    const [connection, profile] = await Promise.all([connections.findById(pending.connectionId), profiles.getProfile(pending.userId)]);
    if (!connection) throw new errors.InvalidRequest('the connection of this login no longer exists');
    // Blocked while the login waited for its second factor: it ends here, as a blocked user's login does.
    if (!profile || profile.blocked) {
      await flows.take(secondFactorFlowId(details.uid));
      return steps.refuseBlocked(ctx, details, pending.userId, connection.name);
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
      return render(ctx, details, pending, form['method'], refusal(form['method']));
    }
    await attempt.succeeded();
    // Taken once: of two requests with two right codes, one finishes the login.
    if (!(await flows.take(secondFactorFlowId(details.uid)))) {
      throw new errors.InvalidRequest('this login has expired or was already used; please log in again');
    }
    const amr: AuthenticationMethod[] = [...new Set([...pending.amr, verdict.method ?? 'otp', 'mfa'] as const)];
    if (!verdict.recoveryCodes) return finishLogin(ctx, details, pending.userId, connection.name, amr);
    await finishLogin(ctx, details, pending.userId, connection.name, amr, { redirect: false });
    show(ctx, recoveryCodesPage(verdict.recoveryCodes, details.returnTo));
  }

  router.post('/:uid/mfa', async (ctx) => answer(ctx, await readForm(ctx, ['method', 'code', 'authenticator_id'])));

  // The passkey's form is the login page's (views.ts passkeyForm): its one field is the browser's answer.
  router.post('/:uid/mfa/passkey', async (ctx) => answer(ctx, { ...(await readForm(ctx, ['response'])), method: 'webauthn' }));

  return router;
}
