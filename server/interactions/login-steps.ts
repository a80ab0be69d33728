/**
 * The steps every interaction route is made of: find the interaction this browser started,
 * offer the application's connections, render the login page (with a failure when there is
 * one), finish a login (blocked users, post-login rules, then the provider), and hand a result
 * back to oidc-provider. The routes in routes.ts only put these in order.
 */
import type { RouterContext } from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { ConnectionRecord } from '../../adapters/queries/records.js';
import { offersEveryConnection } from '../clients/account-client.js';
import { DomainError, ERROR_CODES } from '../errors.js';
import {
  type AuthenticationMethod,
  firstFactorMethods,
  isMultiFactor,
  knownMethods,
  loginResult,
  requestsMultiFactor,
} from '../mfa/authentication-methods.js';
import { MFA_POLICY_METADATA, secondFactorStepFor } from '../mfa/mfa-policy.js';
import { passkeysPossible } from '../mfa/passkeys.js';
import type { Profile } from '../profiles/profile.js';
import { ruleMethodsOf } from '../rules/post-login.js';
import { accountLinks } from './account-links.js';
import { consentWithLogin } from './grant-consent.js';
import { splitConnections } from './login-connections.js';
import { describeFailure, type LoginFailure } from './login-failure.js';
import { LOGIN_PAGE_POLICY } from './page.js';
import { loadPasskeyScripts, passkeyView } from './passkey-scripts.js';
import type { InteractionDependencies } from './routes.js';
import { type PendingSecondFactor, SECOND_FACTOR_TTL_SECONDS, secondFactorFlowId } from './second-factor-flow.js';
import { errorPage, loginPage } from './views.js';

export type Details = Awaited<ReturnType<Provider['interactionDetails']>>;
type InteractionResult = Parameters<Provider['interactionResult']>[2];
type Client = Awaited<ReturnType<Provider['Client']['find']>>;

export const clientIdOf = (details: Details) => String(details.params['client_id']);

export const requestedConnection = (details: Details) =>
  typeof details.params['connection'] === 'string' ? details.params['connection'] : undefined;

export function createLoginSteps(deps: InteractionDependencies) {
  const { providers, profiles, connections, strategies, rules, loginOutcomes, authenticators, flows } = deps;
  const log = deps.logger.child({ component: 'interactions' });
  const passkeyScripts = loadPasskeyScripts();
  const offerPasskeys = passkeysPossible(deps.issuer);

  async function load(ctx: RouterContext): Promise<Details> {
    const details = await providers.provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== ctx.params['uid']) throw new errors.InvalidRequest('interaction does not match this browser session');
    return details;
  }

  /**
   * What provider.interactionResult does, on the interaction this request already loaded instead
   * of reading it and its session from the store again: the resume endpoint the browser goes to
   * next checks the interaction, its session and its account afresh anyway.
   */
  async function finish(ctx: Context, details: Details, result: InteractionResult, merge: boolean) {
    await saveResult(details, merge && !('error' in result) ? { ...details.lastSubmission, ...result } : result);
    ctx.status = 303;
    ctx.redirect(details.returnTo);
  }

  async function saveResult(details: Details, result: InteractionResult) {
    details.result = result;
    await details.save(details.exp - Math.floor(Date.now() / 1000));
  }

  const connectionMethods = (connection: ConnectionRecord) =>
    firstFactorMethods(strategies.get(connection.strategy)?.kind === 'redirect' ? 'redirect' : 'credentials');

  async function offered(details: Details) {
    const clientId = clientIdOf(details);
    const enabled = offersEveryConnection(clientId) ? await connections.list() : await connections.listEnabledForClient(clientId);
    return splitConnections(enabled, strategies, requestedConnection(details));
  }
  type Offer = Awaited<ReturnType<typeof offered>>;

  /** `offer` is what offered() said earlier in the same request, so the page does not ask the store again. */
  async function renderLogin(
    ctx: Context,
    details: Details,
    extra: { error?: string; username?: string; notice?: string } = {},
    offer?: Offer,
  ) {
    const [client, { credentials, redirects }] = await Promise.all([
      providers.provider.Client.find(clientIdOf(details)),
      offer ?? offered(details),
    ]);
    ctx.type = 'html';
    // Widened for the passkey scripts only where the page has them.
    if (offerPasskeys) ctx.set('Content-Security-Policy', LOGIN_PAGE_POLICY);
    ctx.body = loginPage({
      action: `/interaction/${details.uid}/login`,
      abortUrl: `/interaction/${details.uid}/abort`,
      clientName: client?.clientName ?? clientIdOf(details),
      credentialConnections: credentials.map((connection) => ({
        name: connection.name,
        ...accountLinks(details.uid, clientIdOf(details), connection),
      })),
      redirectConnections: redirects.map((connection) => ({
        name: connection.name,
        url: `/interaction/${details.uid}/connection/${encodeURIComponent(connection.name)}`,
      })),
      passkey: offerPasskeys ? passkeyView(details.uid, passkeyScripts) : undefined,
      ...extra,
    });
  }

  /** The login page again, with the failure's message and the status its code has in the error table. */
  async function showFailure(ctx: Context, details: Details, failure: LoginFailure, username?: string, offer?: Offer) {
    ctx.status = failure.status;
    if (failure.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(failure.retryAfterSeconds));
    return renderLogin(ctx, details, { error: failure.message, ...(username ? { username } : {}) }, offer);
  }

  /**
   * Runs the post-login rules for a login authenticated by `amr` so far; undefined when one
   * denied, the page already rendered, otherwise whether one asked for a second factor.
   */
  async function rulesAllow(
    ctx: Context,
    details: Details,
    client: Client | undefined,
    profile: Profile,
    connection: { name: string; strategy: string },
    amr: readonly AuthenticationMethod[],
  ): Promise<{ multifactor: boolean } | undefined> {
    const outcome = await rules.run({
      user: profile,
      client: { client_id: clientIdOf(details), name: client?.clientName ?? clientIdOf(details) },
      connection,
      request: { ip: ctx.ip, user_agent: ctx.get('user-agent') || undefined },
      scopes: String(details.params['scope'] ?? '')
        .split(' ')
        .filter(Boolean),
      authentication: { methods: ruleMethodsOf(amr) },
    });
    if (outcome.denied === undefined) return { multifactor: outcome.multifactor === true };
    log.info({ user_id: profile.user_id, reason: outcome.denied }, 'login denied by a rule');
    ctx.status = ERROR_CODES['auth.denied_by_rule'].http;
    ctx.type = 'html';
    ctx.body = errorPage('Access denied', outcome.denied);
    return undefined;
  }

  /**
   * Whether this login goes on to a second factor: the application's mfa_policy (or MFA_POLICY),
   * the user's factors, and whether a rule or the application's acr_values asks for multi-factor.
   */
  const nextStep = (
    details: Details,
    client: Client | undefined,
    userId: string,
    amr: readonly AuthenticationMethod[],
    ruleAsks: boolean,
  ) =>
    secondFactorStepFor({
      applicationPolicy: client?.[MFA_POLICY_METADATA],
      globalPolicy: deps.mfaPolicy,
      multiFactor: isMultiFactor(amr),
      required: ruleAsks || requestsMultiFactor(details.params['acr_values']),
      enrolled: () => authenticators.enrolled(userId),
    });

  /** A blocked (or deleted) user's login ends on the login page, saying so. */
  function refuseBlocked(ctx: Context, details: Details, userId: string, connectionName: string, username?: string) {
    log.info({ user_id: userId }, 'login refused: user blocked');
    loginOutcomes.record(connectionName, 'user.blocked');
    return showFailure(ctx, details, describeFailure(new DomainError('user.blocked', 'This account is blocked.')), username);
  }

  /**
   * The login is done: recorded, and handed to the provider. Side by side: neither needs the
   * other, and the browser is sent on only once both are done, so the provider never reads the
   * profile before this login's write has invalidated it. `redirect: false` leaves the page to
   * the caller (the recovery codes shown once), whose link goes on to the provider.
   */
  async function finishLogin(
    ctx: Context,
    details: Details,
    userId: string,
    connectionName: string,
    amr: readonly AuthenticationMethod[],
    { redirect = true } = {},
  ) {
    const [consent] = await Promise.all([consentWithLogin(providers.provider, details, userId), profiles.recordLogin(userId, ctx.ip)]);
    const result = { login: loginResult(userId, amr), ...consent };
    await (redirect ? finish(ctx, details, result, false) : saveResult(details, result));
    log.info({ user_id: userId, connection: connectionName, amr }, 'login succeeded');
    loginOutcomes.record(connectionName, 'success');
  }

  /**
   * The last step of every login, whatever the connection: blocked users, rules, then the
   * second factor when the policy asks for it, then the provider. `amr` is how this login was
   * authenticated; by default, the connection's first factor.
   */
  async function completeLogin(
    ctx: Context,
    details: Details,
    userId: string,
    connection: ConnectionRecord,
    options: { username?: string; amr?: readonly AuthenticationMethod[] } = {},
  ) {
    const { username } = options;
    const [profile, client] = await Promise.all([profiles.getProfile(userId), providers.provider.Client.find(clientIdOf(details))]);
    if (!profile || profile.blocked) return refuseBlocked(ctx, details, userId, connection.name, username);
    const amr = [...(options.amr ?? connectionMethods(connection))];
    const allowed = await rulesAllow(ctx, details, client, profile, { name: connection.name, strategy: connection.strategy }, amr);
    if (!allowed) return loginOutcomes.record(connection.name, 'auth.denied_by_rule');
    const step = await nextStep(details, client, userId, amr, allowed.multifactor);
    if (step === 'none') return finishLogin(ctx, details, userId, connection.name, amr);
    const pending: PendingSecondFactor = { kind: 'second-factor', uid: details.uid, userId, connectionId: connection.id, amr, step };
    await flows.put(secondFactorFlowId(details.uid), { ...pending }, SECOND_FACTOR_TTL_SECONDS);
    log.info({ user_id: userId, connection: connection.name, step }, 'login waits for a second factor');
    ctx.status = 303;
    ctx.redirect(`/interaction/${details.uid}/mfa`);
  }

  /**
   * Single sign-on: the session's user authenticated earlier for another application, so no
   * login ran in this flow. oidc-provider asks for consent the first time an application is
   * used in a session, so the rules run here for it, once, before anything is granted. The
   * connection is the user's first identity's, the one the session most likely used.
   */
  async function singleSignOnAllowed(ctx: Context, details: Details): Promise<boolean> {
    if (details.lastSubmission?.['login'] || !details.session?.accountId) return true;
    const [profile, client] = await Promise.all([
      profiles.getProfile(details.session.accountId),
      providers.provider.Client.find(clientIdOf(details)),
    ]);
    if (!profile || profile.blocked) throw new errors.AccessDenied('this account is blocked');
    const [identity] = profile.identities;
    const connection = identity ? await connections.findByName(identity.connection) : null;
    const connectionOfRules = { name: connection?.name ?? '', strategy: connection?.strategy ?? identity?.provider ?? '' };
    // A rule's api.multifactor.enable is for logins: this session authenticated already (see docs/post-login-rules.md).
    return (await rulesAllow(ctx, details, client, profile, connectionOfRules, knownMethods(details.session.amr))) !== undefined;
  }

  return {
    log,
    load,
    finish,
    offered,
    renderLogin,
    showFailure,
    refuseBlocked,
    completeLogin,
    finishLogin,
    singleSignOnAllowed,
    passkeyScripts,
    offerPasskeys,
  };
}
