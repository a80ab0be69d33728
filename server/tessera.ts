/**
 * The composition root: builds every dependency from the configuration, in order, and
 * returns a running Tessera with one stop() that releases them in reverse.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';
import { cacheEnabledConnections } from '../adapters/cache/enabled-connections-cache.js';
import { createMemoryProfileCache, createRedisProfileCache, type ProfileCache } from '../adapters/cache/profile-cache.js';
import { createAdapterFactory } from '../adapters/oidc/adapter-factory.js';
import { createMemo, forget, MEMOIZED_MODELS, memoizeFactory, SINGLE_NODE_MEMOIZED_MODELS } from '../adapters/oidc/memo-adapter.js';
import { sweepExpiredPayloads } from '../adapters/oidc/sequelize-adapter.js';
import { indexTokenKinds } from '../adapters/oidc/token-kinds.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../adapters/postgres/embedded.js';
import { createAccountTicketQueries } from '../adapters/queries/account-tickets.js';
import { createClientQueries } from '../adapters/queries/clients.js';
import { createConnectionQueries } from '../adapters/queries/connections.js';
import { createExportFileQueries } from '../adapters/queries/export-files.js';
import { createJobQueries } from '../adapters/queries/jobs.js';
import { createKeyQueries } from '../adapters/queries/keys.js';
import { createLoginFlowQueries } from '../adapters/queries/login-flows.js';
import { createRecoveryCodeQueries } from '../adapters/queries/recovery-codes.js';
import { createResourceServerQueries } from '../adapters/queries/resource-servers.js';
import { createRuleClaimsQueries } from '../adapters/queries/rule-claims.js';
import { withSealedValues } from '../adapters/queries/sealed-values.js';
import { createSecondFactorQueries } from '../adapters/queries/second-factors.js';
import { createSetupTokenQueries } from '../adapters/queries/setup-tokens.js';
import { createTotpAuthenticatorQueries } from '../adapters/queries/totp-authenticators.js';
import { createUserSearchQueries } from '../adapters/queries/user-search.js';
import { createUserQueries } from '../adapters/queries/users.js';
import { createUsersExportQueries } from '../adapters/queries/users-export.js';
import { createUsersImportQueries } from '../adapters/queries/users-import.js';
import { createWebauthnCredentialQueries } from '../adapters/queries/webauthn-credentials.js';
import { openRedis, type RedisClient } from '../adapters/redis/client.js';
import { type Database, openDatabase } from '../adapters/sequelize/database.js';
import { createContextFactory } from '../trpc/context.js';
import { createAbuseLimits } from './abuse/abuse-limits.js';
import { createAccountMail } from './accounts/account-mail.js';
import { createAccountTickets } from './accounts/account-tickets.js';
import { createOwnIdentities } from './accounts/own-identities.js';
import { createOwnSessions } from './accounts/own-sessions.js';
import { createSelfService } from './accounts/self-service.js';
import { createTicketManagement } from './accounts/ticket-management.js';
import { createApp } from './app.js';
import { ACCOUNT_CLIENT_ID, accountUrl, ensureAccountClient } from './clients/account-client.js';
import { ensureAdminClient, ensureDefaultConnection } from './clients/bootstrap.js';
import { createClientManagement } from './clients/client-management.js';
import { type ClientStore, createClientStore } from './clients/client-store.js';
import { ensureConsoleClient } from './clients/console-client.js';
import type { Config } from './config.js';
import { createConnectionManagement } from './connections/connection-management.js';
import { createCustomLifecycle } from './connections/custom/lifecycle.js';
import { createScriptRunner } from './connections/custom/script.js';
import { createIdpTokensSealer } from './connections/idp-tokens.js';
import { createMapperLoader } from './connections/normalize.js';
import { createOptionSecrets } from './connections/option-secrets.js';
import { createStrategies } from './connections/strategies.js';
import { createInProcessEventBus } from './events/event-bus.js';
import { invalidateOnPublish } from './events/invalidate-on-publish.js';
import { createRedisNodeSignals, type NodeSignal, type NodeSignals, singleNodeSignals } from './events/node-signals.js';
import { announcePostgresSignals, listenForPostgresSignals } from './events/postgres-signals.js';
import { createRedisEventBus } from './events/redis-event-bus.js';
import { shareUserEvents } from './events/shared-user-events.js';
import { limitSubscribers } from './events/subscriber-limits.js';
import { createFirstAdministratorSetup, setupLink } from './first-administrator/first-administrator.js';
import { createExportLinks, exportLocation } from './jobs/export-link.js';
import { createJobs } from './jobs/jobs.js';
import { createUsersExport, type UsersExport } from './jobs/users-export.js';
import { createUsersImport } from './jobs/users-import.js';
import type { Logger } from './logger.js';
import { createMail } from './mail/mail.js';
import type { Mailer } from './mail/mailer.js';
import type { ManagementServices } from './management.js';
import { countAbuseBlocks } from './metrics/abuse-blocks.js';
import { countLoginOutcomes, ignoreLoginOutcomes } from './metrics/login-outcomes.js';
import { type MetricsServer, startMetricsServer } from './metrics/metrics-server.js';
import { observePool } from './metrics/pool-metrics.js';
import { countProviderEvents } from './metrics/provider-events.js';
import { timeRequests } from './metrics/request-timing.js';
import { createTesseraMetrics } from './metrics/tessera-metrics.js';
import { createAuthenticators } from './mfa/authenticators.js';
import { accountNameOf, createMfaEnrolment } from './mfa/enrolment.js';
import { createPasskeyEnrolment } from './mfa/passkey-enrolment.js';
import { createPasskeys, passkeysPossible } from './mfa/passkeys.js';
import { createRecoveryCodes } from './mfa/recovery-codes.js';
import { createTotp } from './mfa/totp.js';
import { createAccessTokenVerifier } from './oidc/access-tokens.js';
import { createAccountRevocation } from './oidc/account-revocation.js';
import { createBackchannelNotifier } from './oidc/backchannel-logout.js';
import { createKeyManagement } from './oidc/key-management.js';
import { createKeyRefresher, type RefreshKeys } from './oidc/key-refresh.js';
import { createKeyStore, type KeyStore } from './oidc/key-store.js';
import { GRANT_TTL_SECONDS } from './oidc/lifetimes.js';
import { createProvider } from './oidc/provider.js';
import { createProviderHost, type ProviderHost } from './oidc/provider-host.js';
import { singleUseRedemption } from './oidc/single-use-redemption.js';
import { createLoginRehash } from './password-hashes/login-rehash.js';
import { portRefusal } from './port-refusal.js';
import { createConnectionLogin } from './profiles/connection-login.js';
import type { Profile } from './profiles/profile.js';
import { createProfileService } from './profiles/profile-service.js';
import { createReadinessProbe } from './readiness.js';
import { createResourceServerManagement } from './resource-servers/resource-server-management.js';
import { createResourceServerRegistry, type ResourceServerRegistry } from './resource-servers/resource-server-registry.js';
import { noRules, type PostLoginRules } from './rules/post-login.js';
import { createRuleClaimsStore, noRuleClaims } from './rules/rule-claims.js';
import { type LoadedRule, loadRules } from './rules/rule-loader.js';
import { createPostLoginRules } from './rules/rule-runner.js';
import { createCodeDir } from './sandbox/code-dir.js';
import { createSandbox, type Sandbox } from './sandbox/sandbox.js';
import { prepareSealedStore } from './sealing/sealed-store.js';
import { resolveSealingKey } from './sealing/sealing-key.js';
import { createIdpTokenReveal } from './users/idp-token-reveal.js';
import { createUserService } from './users/user-service.js';

export interface Tessera extends TesseraCore {
  readonly url: string;
  readonly server: Server;
  /** The Prometheus scrape URL on its own listener; undefined when METRICS_PORT is unset. */
  readonly metricsUrl: string | undefined;
  /** The single-use link to create the first administrator, while there is none (server/first-administrator/). */
  readonly setupLink: string | undefined;
}

const SWEEP_INTERVAL_MS = 10 * 60 * 1000;

const PROFILE_CACHE_TTL_SECONDS = 5 * 60;
const MEMO_ENTRIES = 10_000;
const MEMO_TTL_MS = 60_000;
const PROFILE_CACHE_ENTRIES = 10_000;
/** How long a node trusts its copy of a client's connections when a change signal was lost. */
const ENABLED_CONNECTIONS_MAX_AGE_MS = 60_000;
/** How long a node trusts its copy of the resource servers when a change signal was lost. */
const RESOURCE_SERVERS_MAX_AGE_MS = 60_000;

function createCache(redis: RedisClient | undefined, logger: Logger): ProfileCache<Profile> {
  const options = {
    ttlSeconds: PROFILE_CACHE_TTL_SECONDS,
    // The Redis connection itself logs the one warning per outage.
    onUnavailable: (error: Error) => logger.debug({ err: error.message }, 'profile cache unavailable; reading profiles from PostgreSQL'),
    onRecovered: () => logger.debug('profile cache available again'),
  };
  return redis ? createRedisProfileCache(redis, options) : createMemoryProfileCache({ ...options, max: PROFILE_CACHE_ENTRIES });
}

/**
 * The users.events bus, publishing through which drops the cached profile: a Redis Stream
 * shared by every node, or without Redis this process's own, shared with the operator CLI's
 * over the `user.event` signal (`receiveUserEvent` takes what the others announce).
 */
function openUserEvents(
  redis: RedisClient | undefined,
  issuer: string,
  profileCache: ProfileCache<Profile>,
  announce: (signal: NodeSignal, detail?: string) => void,
) {
  if (redis) return { bus: invalidateOnPublish(createRedisEventBus(redis, issuer), profileCache), receiveUserEvent: async () => undefined };
  const local = createInProcessEventBus();
  const shared = shareUserEvents(local, (detail) => announce('user.event', detail));
  const heard = invalidateOnPublish(local, profileCache);
  return {
    bus: invalidateOnPublish(shared.bus, profileCache),
    receiveUserEvent: (detail: string) => shared.receive(detail, heard.publish),
  };
}

/**
 * `currentProvider` is late-bound: the provider needs these services (findAccount), and
 * revocation needs the provider to send back-channel logout tokens.
 */
function buildServices(
  database: Database,
  redis: RedisClient | undefined,
  config: Config,
  sealingKey: Buffer,
  logger: Logger,
  currentProvider: () => Provider,
  /** Tells the other nodes (late-bound: the signals exist only once the provider does). */
  announce: (signal: NodeSignal, detail?: string) => void,
  loadedRules: readonly LoadedRule[] | undefined,
  sandbox: Sandbox,
  mailer: Mailer,
) {
  // Only with METRICS_PORT: otherwise nothing is registered and no hook is installed.
  const metrics = config.metrics ? createTesseraMetrics() : undefined;
  if (metrics) observePool(database.sequelize, metrics);
  const optionSecrets = createOptionSecrets(sealingKey);
  const users = createUserQueries(database.models, optionSecrets);
  const connections = cacheEnabledConnections(createConnectionQueries(database.models, optionSecrets), {
    maxAgeMs: ENABLED_CONNECTIONS_MAX_AGE_MS,
    announce: () => announce('connections.changed'),
  });
  const keys = createKeyQueries(database.models, sealingKey);
  // Without Redis there is one node, so every write and revocation goes through this memo.
  const memo = createMemo(MEMO_ENTRIES, MEMO_TTL_MS, { readsOnNextTurn: !redis, writesThrough: !redis });
  const memoized = redis ? MEMOIZED_MODELS : SINGLE_NODE_MEMOIZED_MODELS;
  const stores = memoizeFactory(
    createAdapterFactory(database.models, redis, sealingKey),
    memo,
    (key) => announce('oidc.changed', key),
    memoized,
  );
  const adapter = indexTokenKinds(singleUseRedemption(stores, { refreshTokenReuseInterval: config.refreshTokenReuseInterval }));
  const profileCache = createCache(redis, logger);
  const { bus, receiveUserEvent } = openUserEvents(redis, config.issuer, profileCache, announce);
  const events = limitSubscribers(bus, config.eventSubscribers);
  const profiles = createProfileService(users, connections, events, profileCache);
  const limits = createAbuseLimits(redis, config);
  const { loginAttempts, accountRequests, guardClientSecrets, requestLimit } = metrics ? countAbuseBlocks(limits, metrics) : limits;
  if (metrics) metrics.sources.profileCache = () => profileCache.stats();
  const revokeAccount = createAccountRevocation(adapter, createBackchannelNotifier(currentProvider, logger));
  const codeDir = createCodeDir(config.codeDir);
  const loadMapper = createMapperLoader({ sandbox, codeDir, logger });
  const scripts = createScriptRunner({ sandbox, codeDir, logger });
  const custom = createCustomLifecycle({ users, scripts, loadMapper });
  // Before the user service: a new email's verification message is queued with the change.
  const accountTickets = createAccountTickets({
    tickets: createAccountTicketQueries(database.models),
    users,
    issuer: config.issuer,
    lifetimes: {
      verify_email: config.accounts.verifyEmailTtlSeconds,
      change_email: config.accounts.verifyEmailTtlSeconds,
      reset_password: config.accounts.resetPasswordTtlSeconds,
    },
  });
  const accountMail = createAccountMail({
    tickets: accountTickets,
    mailer,
    appName: async (clientId) => (await currentProvider().Client.find(clientId))?.clientName,
  });
  const userService = createUserService({
    users,
    search: createUserSearchQueries(database.models, { exactTotalLimit: config.searchExactTotalLimit }),
    connections,
    profiles,
    events,
    revokeAccount,
    custom,
    loginAttempts,
    accountMail,
  });
  const flows = createLoginFlowQueries(database.models);
  // What depends on a user's second factors hears of a change as of any other change to the user.
  const factorsChanged = (userId: string) => events.publish('user.updated', userId);
  const passkeys = createPasskeys({
    issuer: config.issuer,
    credentials: createWebauthnCredentialQueries(database.models),
    challenges: flows,
    describeUser: async (userId) => {
      const profile = await profiles.getProfile(userId);
      if (!profile) return undefined;
      const name = accountNameOf(profile);
      return { name, displayName: profile.name ?? name };
    },
    changed: factorsChanged,
  });
  const totp = createTotp({
    queries: createTotpAuthenticatorQueries(database.models),
    sealingKey,
    issuerName: new URL(config.issuer).hostname,
  });
  const recoveryCodes = createRecoveryCodes(createRecoveryCodeQueries(database.models));
  const authenticators = createAuthenticators({
    kinds: [totp.kind, passkeys.kind, recoveryCodes.kind],
    enrolled: createSecondFactorQueries(database.models).enrolled,
    checkManageable: userService.checkManageable,
    changed: factorsChanged,
  });
  const mfaEnrolment = createMfaEnrolment({
    totp,
    recoveryCodes,
    enrolled: authenticators.enrolled,
    changed: factorsChanged,
    loginAttempts,
  });
  const rehash = createLoginRehash({ users, tickets: accountTickets, logger });
  const strategies = createStrategies({ issuer: config.issuer, logger, users, flows, scripts, rehash });
  const idpTokens = createIdpTokensSealer(sealingKey);
  const connectionLogin = createConnectionLogin({ users, events, loadMapper, idpTokens });
  const idpTokenReveal = createIdpTokenReveal({ connections, sealer: idpTokens, logger });
  const ruleClaims = loadedRules ? createRuleClaimsStore(createRuleClaimsQueries(database.models), GRANT_TTL_SECONDS) : noRuleClaims;
  const readiness = createReadinessProbe(database, redis);
  const rules: PostLoginRules = loadedRules
    ? createPostLoginRules({ rules: loadedRules, issuer: config.issuer, users: userService, claims: ruleClaims, sandbox, logger })
    : noRules;
  const firstAdministrator = createFirstAdministratorSetup({ tokens: createSetupTokenQueries(database.models), users, profiles, events });
  return {
    codeDir,
    users,
    accountTickets,
    accountMail,
    firstAdministrator,
    connections,
    keys,
    adapter,
    memo,
    profileCache,
    events,
    receiveUserEvent,
    profiles,
    revokeAccount,
    userService,
    authenticators,
    passkeys,
    totp,
    recoveryCodes,
    mfaEnrolment,
    mfaPolicy: config.mfaPolicy,
    flows,
    strategies,
    connectionLogin,
    idpTokenReveal,
    rules,
    ruleClaims,
    readiness,
    config,
    loginAttempts,
    accountRequests,
    guardClientSecrets,
    requestLimit,
    emailChanges: limits.emailChanges,
    loginOutcomes: metrics ? countLoginOutcomes(metrics) : ignoreLoginOutcomes,
    metrics,
  };
}

export interface TesseraCore {
  readonly database: Database;
  readonly services: Services;
  stop(): Promise<void>;
}

type Services = ReturnType<typeof buildServices> & {
  clients: ClientStore;
  providers: ProviderHost;
  keyStore: KeyStore;
  refreshKeys: RefreshKeys;
  signals: NodeSignals;
  resourceServers: ResourceServerRegistry;
  /** What the management API calls; the CLI and test fixtures create clients and connections through it too. */
  management: ManagementServices;
  /** Sends the catalogue's messages through the PostgreSQL outbox (server/mail/). */
  mailer: Mailer;
  /** Users export jobs; the app serves their download links. */
  usersExport: UsersExport;
};

export interface OpenOptions {
  /**
   * False for the operator CLI: a process that writes beside a running server without serving.
   * Without Redis it tells the server what it changed, where a serving process listens.
   */
  serving?: boolean;
}

/** Storage, key material, the provider and the start-up bootstrap: everything but HTTP. */
export async function openTessera(config: Config, logger: Logger, { serving = true }: OpenOptions = {}): Promise<TesseraCore> {
  const cleanup: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const step of cleanup.reverse()) await step().catch((error: unknown) => logger.error({ err: error }, 'stop step failed'));
    cleanup.length = 0;
  };

  try {
    // Operator code runs only in the sandbox's worker threads, created on first use.
    const sandbox = createSandbox(logger);
    cleanup.push(() => sandbox.close());
    // First, so a bad RULES_DIR stops start-up before anything else is started.
    const loadedRules = config.rulesDir ? await loadRules(config.rulesDir, sandbox) : undefined;
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const embedded: EmbeddedDatabase = await startEmbeddedPostgres(config.dataDir, logger);
      cleanup.push(() => embedded.stop());
      databaseUrl = embedded.url;
    }
    const database = await openDatabase(databaseUrl, logger, config.statementTimeoutMs);
    cleanup.push(() => database.close());

    let redis: RedisClient | undefined;
    if (config.redisUrls) {
      redis = await openRedis(config.redisUrls, logger);
      const client = redis;
      cleanup.push(() => client.quit());
    }

    // Before the provider exists: it reads clients and keys that only open with this key.
    const { key: sealingKey, source } = await resolveSealingKey(config, logger);
    await prepareSealedStore((reseal) => withSealedValues(database.models, reseal), {
      key: sealingKey,
      source,
      previousKey: config.previousSealingKey,
      logger,
    });
    let providers: ProviderHost | undefined;
    const currentProvider = () => {
      if (!providers) throw new Error('the provider is not built yet');
      return providers.provider;
    };
    let signals: NodeSignals = singleNodeSignals;
    const announce = (signal: NodeSignal, detail?: string) => void signals.announce(signal, detail);
    const mail = await createMail(config, database.models, sealingKey, logger);
    mail.worker.start();
    cleanup.push(() => mail.worker.stop());
    const services = buildServices(
      database,
      redis,
      config,
      sealingKey,
      logger,
      currentProvider,
      announce,
      loadedRules,
      sandbox,
      mail.mailer,
    );
    cleanup.push(() => services.strategies.close());
    const keyStore = createKeyStore(services.keys);
    const resourceServerQueries = createResourceServerQueries(database.models);
    const resourceServers = createResourceServerRegistry({
      queries: resourceServerQueries,
      issuer: config.issuer,
      maxAgeMs: RESOURCE_SERVERS_MAX_AGE_MS,
    });
    providers = createProviderHost(
      (keys) => {
        const provider = createProvider({
          config,
          adapter: services.adapter,
          keys,
          profiles: services.profiles,
          ruleClaims: services.ruleClaims,
          logger,
          guardClientSecrets: services.guardClientSecrets,
          resourceServers,
          enrolled: services.authenticators.enrolled,
        });
        return services.metrics ? countProviderEvents(provider, services.metrics) : provider;
      },
      await keyStore.load(),
    );
    const clientQueries = createClientQueries(database.models);
    const clients = createClientStore(providers, services.adapter, clientQueries);
    const refreshKeys = createKeyRefresher(keyStore, providers);
    if (redis) signals = await createRedisNodeSignals(redis, config.issuer, logger);
    else signals = serving ? await listenForPostgresSignals(databaseUrl, logger) : announcePostgresSignals(database.sequelize);
    const { close } = signals;
    cleanup.push(() => close());
    signals.on('keys.rotated', refreshKeys);
    signals.on('oidc.changed', async (key) => forget(services.memo, key));
    signals.on('resource_servers.changed', async () => resourceServers.invalidate());
    signals.on('connections.changed', async () => services.connections.forgetEnabled());
    signals.on('user.event', services.receiveUserEvent);
    await ensureDefaultConnection(services.connections);
    await ensureAdminClient(clients, config.adminClient);
    await ensureConsoleClient(clients, services.connections, config.issuer);
    await ensureAccountClient(clients, config.issuer);
    const resourceServerManagement = createResourceServerManagement({
      queries: resourceServerQueries,
      registry: resourceServers,
      clientExists: async (clientId) => (await clients.find(clientId)) !== undefined,
      announceChange: () => signals.announce('resource_servers.changed'),
    });
    const jobQueries = createJobQueries(database.models);
    const exportLinks = createExportLinks(config.issuer, sealingKey);
    const jobs = createJobs(jobQueries, exportLocation(exportLinks));
    const usersExport = createUsersExport({
      jobs,
      jobQueries,
      users: createUsersExportQueries(database.models),
      files: createExportFileQueries(database.models),
      findConnection: (id) => services.connections.findById(id),
      links: exportLinks,
      logger,
    });
    cleanup.push(() => usersExport.close());
    const usersImport = createUsersImport({
      jobs,
      queries: createUsersImportQueries(database.models),
      connections: services.connections,
      events: services.events,
      revokeAccount: services.revokeAccount,
      logger,
    });
    cleanup.push(() => usersImport.close());
    // An import whose node stopped while no node ran is told failed now, not at the next sweep.
    await usersImport.failAbandoned();
    const management: ManagementServices = {
      users: services.userService,
      events: services.events,
      clients: createClientManagement({ clients, connections: services.connections, forgetGrants: resourceServerManagement.forgetClient }),
      connections: createConnectionManagement({
        connections: services.connections,
        clients,
        events: services.events,
        revokeAccount: services.revokeAccount,
        codeDir: services.codeDir,
        strategies: services.strategies,
      }),
      keys: createKeyManagement({ keyStore, providers, signals }),
      resourceServers: resourceServerManagement,
      idpTokens: services.idpTokenReveal,
      requestLimit: services.requestLimit,
      mail: mail.mailer,
      tickets: createTicketManagement({
        users: services.users,
        tickets: services.accountTickets,
        accountMail: services.accountMail,
        clientExists: async (clientId) => (await clients.find(clientId)) !== undefined,
      }),
      selfService: createSelfService({
        users: services.users,
        connections: services.connections,
        strategies: services.strategies,
        loginAttempts: services.loginAttempts,
        emailChanges: services.emailChanges,
        userService: services.userService,
        accountMail: services.accountMail,
        clients: { withRedirectUri: clientQueries.idsWithRedirectUri, find: clients.find },
        settings: config.accounts,
        passkeys: passkeysPossible(config.issuer),
        accountPageUrl: `${accountUrl(config.issuer)}/`,
        accountClientId: ACCOUNT_CLIENT_ID,
        logger,
      }),
      ownSessions: createOwnSessions({
        adapter: services.adapter,
        findClient: clients.find,
        notifyLogout: createBackchannelNotifier(currentProvider, logger),
      }),
      ownIdentities: createOwnIdentities({ issuer: config.issuer, providers, replay: services.flows, users: services.userService }),
      authenticators: services.authenticators,
      passkeys: createPasskeyEnrolment({
        passkeys: services.passkeys,
        recoveryCodes: services.recoveryCodes,
        enrolled: services.authenticators.enrolled,
      }),
      mfaEnrolment: services.mfaEnrolment,
      jobs,
      usersImport,
      usersExport,
    };

    const sweeper = setInterval(() => {
      sweepExpiredPayloads(database.models).catch((error: unknown) => logger.warn({ err: error }, 'expired artifact sweep failed'));
      services.flows.sweep().catch((error: unknown) => logger.warn({ err: error }, 'expired login flow sweep failed'));
      services.ruleClaims.sweep().catch((error: unknown) => logger.warn({ err: error }, 'expired rule claims sweep failed'));
      mail.sweep().catch((error: unknown) => logger.warn({ err: error }, 'finished mail sweep failed'));
      services.accountTickets.sweep().catch((error: unknown) => logger.warn({ err: error }, 'account ticket sweep failed'));
      services.totp.sweep().catch((error: unknown) => logger.warn({ err: error }, 'abandoned authenticator app sweep failed'));
      usersImport.failAbandoned().catch((error: unknown) => logger.warn({ err: error }, 'abandoned users import sweep failed'));
      usersExport.sweep().catch((error: unknown) => logger.warn({ err: error }, 'users export file sweep failed'));
    }, SWEEP_INTERVAL_MS);
    sweeper.unref();
    cleanup.push(async () => clearInterval(sweeper));

    return {
      database,
      services: {
        ...services,
        clients,
        providers,
        keyStore,
        refreshKeys,
        signals,
        resourceServers,
        management,
        mailer: mail.mailer,
        usersExport,
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** openTessera, then the HTTP server on config.port. */
export async function startTessera(config: Config, logger: Logger): Promise<Tessera> {
  const core = await openTessera(config, logger);
  let metricsServer: MetricsServer | undefined;
  try {
    const { services } = core;
    const { metrics } = services;
    const verifier = createAccessTokenVerifier(
      config.issuer,
      () => services.providers.keys,
      async (clientId) => (await services.clients.find(clientId)) !== undefined,
      services.refreshKeys,
    );
    const app = createApp({
      logger,
      issuer: config.issuer,
      trustProxy: config.trustProxy,
      createTrpcContext: createContextFactory(services.management, verifier),
      ...services,
      requestTiming: metrics && timeRequests(metrics),
    });
    // Before the issuer's port opens, so a metrics port already taken stops start-up cleanly.
    if (metrics && config.metrics) metricsServer = await startMetricsServer(metrics.registry, config.metrics, logger);
    // Only a start offers one (not the CLI): whoever starts the server is the one reading its output.
    // Before listening: once /healthz answers, start-up is over and a SIGTERM finds its handler.
    const setupToken = await services.firstAdministrator.offer();
    const server = app.listen(config.port);
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', (error) => reject(portRefusal(error, 'PORT', config.port)));
    });
    const { port } = server.address() as AddressInfo;
    logger.info({ port, issuer: config.issuer }, 'tessera listening');
    return {
      ...core,
      url: `http://127.0.0.1:${port}`,
      server,
      metricsUrl: metricsServer?.url,
      setupLink: setupToken === undefined ? undefined : setupLink(config.issuer, setupToken),
      async stop() {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await metricsServer?.close();
        await core.stop();
      },
    };
  } catch (error) {
    await metricsServer?.close();
    await core.stop();
    throw error;
  }
}
