/**
 * The `saml` strategy: Tessera as a SAML service provider. `begin` sends an AuthnRequest over
 * the HTTP-Redirect binding with the flow id as RelayState; `complete` takes the response the
 * identity provider posts to /login/callback, and accepts it only if its assertion is signed
 * with the connection's certificate, answers that very request, is addressed to this service
 * provider, is within its time window, and was not accepted before.
 */
import type { CacheProvider, Profile } from '@node-saml/node-saml';
import type { ConnectionRecord } from '../../../adapters/queries/records.js';
import { DomainError } from '../../errors.js';
import type { StrategyDependencies } from '../strategies.js';
import type { FlowState, RedirectStrategy, UpstreamRequest, UpstreamUser } from '../strategy.js';
import { checkAssertion, checkResponse } from './assertion-checks.js';
import { type SamlOptions, samlOptionsSchema } from './options.js';
import { samlFailure } from './saml-errors.js';
import { createSaml, serviceProvider } from './service-provider.js';
import { parseResponse, root, type XmlNode } from './xml-tree.js';

/** The claim AD FS and Auth0 put the NameID under, so a mapping can read it like any attribute. */
const NAME_ID_CLAIM = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier';

interface SamlFlowState extends FlowState {
  requestId: string;
  requestedAt: string;
}

const invalid = (message: string) => new DomainError('auth.invalid_response', message);

/**
 * node-saml keeps the ids of the requests it sent in a cache; here a flow is one request, so
 * the cache is the flow's state: it records the request `begin` sends, and `complete` finds
 * only that one. The flow is taken once, which is what removing from the cache would do.
 */
function recordingCache(record: (id: string, instant: string) => void): CacheProvider {
  return {
    saveAsync: async (id, value) => {
      record(id, value);
      return { value, createdAt: Date.now() };
    },
    getAsync: async () => null,
    removeAsync: async () => null,
  };
}

function flowCache(state: Partial<SamlFlowState>): CacheProvider {
  return {
    saveAsync: async () => null,
    getAsync: async (id) => (id === state.requestId && typeof state.requestedAt === 'string' ? state.requestedAt : null),
    removeAsync: async () => null,
  };
}

function single(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

export function createSamlStrategy({ issuer, flows, logger }: StrategyDependencies): RedirectStrategy {
  const log = logger.child({ component: 'saml' });
  const optionsOf = (connection: ConnectionRecord): SamlOptions => samlOptionsSchema.parse(connection.options);

  /** `posted` is the response parsed but not verified, to word a refusal. */
  async function validate(
    connection: ConnectionRecord,
    options: SamlOptions,
    state: Partial<SamlFlowState>,
    samlResponse: string,
    posted: XmlNode | undefined,
  ): Promise<Profile> {
    const sp = serviceProvider(issuer, connection.name);
    try {
      const { profile } = await createSaml(sp, options, flowCache(state)).validatePostResponseAsync({ SAMLResponse: samlResponse });
      if (!profile) throw invalid('the SAML response carries no login');
      return profile;
    } catch (error) {
      if (error instanceof DomainError) throw error;
      const failure = samlFailure(error, posted, Date.now(), options.clock_skew_seconds * 1000);
      if (failure) throw failure;
      log.warn({ connection: connection.name, err: error }, 'SAML response refused for an unexpected reason');
      throw invalid('the SAML response could not be validated');
    }
  }

  function upstreamUser(options: SamlOptions, profile: Profile): UpstreamUser {
    const attributes: Record<string, unknown> = { ...(profile['attributes'] as Record<string, unknown> | undefined) };
    if (profile.nameID && !(NAME_ID_CLAIM in attributes)) attributes[NAME_ID_CLAIM] = profile.nameID;
    const id = options.user_id_attribute === undefined ? profile.nameID : single(attributes[options.user_id_attribute]);
    if (typeof id !== 'string' || id === '') {
      throw invalid(
        options.user_id_attribute === undefined
          ? 'the SAML assertion names no user (no NameID)'
          : `the SAML assertion has no "${options.user_id_attribute}" attribute to identify the user`,
      );
    }
    return { id, attributes };
  }

  return {
    kind: 'redirect',

    async begin(connection, flowId) {
      const options = optionsOf(connection);
      let request: { id: string; instant: string } | undefined;
      const saml = createSaml(
        serviceProvider(issuer, connection.name),
        options,
        recordingCache((id, instant) => (request = { id, instant })),
      );
      const url = await saml.getAuthorizeUrlAsync(flowId, undefined, {});
      if (!request) throw new Error('node-saml did not record the AuthnRequest it built');
      const state: SamlFlowState = { requestId: request.id, requestedAt: request.instant };
      return { url, state };
    },

    async complete(connection: ConnectionRecord, state: FlowState, request: UpstreamRequest): Promise<UpstreamUser> {
      const samlResponse = request.body['SAMLResponse'];
      if (typeof samlResponse !== 'string' || samlResponse === '') throw invalid('the identity provider sent no SAMLResponse');
      const options = optionsOf(connection);
      const sp = serviceProvider(issuer, connection.name);
      const posted = await parseResponse(samlResponse);
      const profile = await validate(connection, options, state as Partial<SamlFlowState>, samlResponse, posted);

      checkResponse(posted, sp.acsUrl);
      const assertion = root(profile.getAssertion?.(), 'Assertion');
      if (!assertion) throw invalid('the SAML response carries no assertion');
      const checked = checkAssertion(assertion, {
        acsUrl: sp.acsUrl,
        idpEntityId: options.idp_entity_id,
        clockSkewMs: options.clock_skew_seconds * 1000,
        now: Date.now(),
      });
      const user = upstreamUser(options, profile);
      // Last, so that only an assertion that passed everything else is spent.
      if (!(await flows.remember(`saml:${connection.id}:${checked.id}`, checked.replayableUntil))) {
        throw invalid('the SAML assertion was already used (replayed)');
      }
      return user;
    },
  };
}
