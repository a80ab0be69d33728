/**
 * A client in Auth0's shape, both ways: Auth0's request bodies (`callbacks`, `allowed_logout_urls`,
 * `jwt_configuration.alg`, `app_type`, …) translated into clients.create and clients.update
 * inputs, and a client view translated into Auth0's answer. Tessera's own fields keep their names
 * both ways. A key Auth0 has and Tessera cannot honour is refused by the strict body schemas,
 * never dropped.
 */
import { z } from 'zod';
import { appTypeOf, isMachineGrants } from '../../server/clients/app-type.js';
import {
  type ClientView,
  clientChanges,
  createClientInput,
  type GRANT_TYPES,
  ID_TOKEN_ALGS,
  type TOKEN_ENDPOINT_AUTH_METHODS,
} from '../../server/clients/client-schemas.js';
import { MFA_POLICIES } from '../../server/mfa/mfa-policy.js';
import { CLIENT_DEFAULTS } from '../../server/oidc/client-defaults.js';
import { samlAddonSchema } from '../../server/saml-idp/addon.js';

type GrantType = (typeof GRANT_TYPES)[number];
type AuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

/** Auth0's application types this API can stand for; `native` is kept as a public client, as `spa` is. */
export const AUTH0_APP_TYPES = ['spa', 'native', 'regular_web', 'non_interactive'] as const;
export type Auth0AppType = (typeof AUTH0_APP_TYPES)[number];

const PUBLIC_GRANTS: GrantType[] = ['authorization_code', 'refresh_token'];
const MACHINE_GRANTS: GrantType[] = ['client_credentials'];

const jwtConfiguration = z.strictObject({ alg: z.enum(ID_TOKEN_ALGS).optional() });

const sharedFields = {
  callbacks: clientChanges.shape.redirect_uris,
  allowed_logout_urls: clientChanges.shape.post_logout_redirect_uris,
  grant_types: clientChanges.shape.grant_types,
  token_endpoint_auth_method: clientChanges.shape.token_endpoint_auth_method,
  jwt_configuration: jwtConfiguration.optional(),
  app_type: z.enum(AUTH0_APP_TYPES).optional(),
  is_first_party: clientChanges.shape.is_first_party,
  // Every Tessera client is OIDC-conformant; a script asking for the legacy mode is told so.
  oidc_conformant: z.literal(true).optional(),
  require_pkce: clientChanges.shape.require_pkce,
  management_scopes: clientChanges.shape.management_scopes,
  connections: clientChanges.shape.connections,
};

interface AppTypeFields {
  app_type?: Auth0AppType | undefined;
  grant_types?: GrantType[] | undefined;
  token_endpoint_auth_method?: AuthMethod | undefined;
}

/** An `app_type` that the settings given beside it contradict is refused, naming both. */
function checkAppType(body: AppTypeFields, context: z.RefinementCtx): void {
  const { app_type: appType, grant_types: grants, token_endpoint_auth_method: method } = body;
  if (appType === undefined) return;
  const refuse = (field: string, message: string) => context.addIssue({ code: 'custom', path: [field], message });
  if ((appType === 'spa' || appType === 'native') && method !== undefined && method !== 'none') {
    refuse('token_endpoint_auth_method', `app_type ${appType} is a public client: token_endpoint_auth_method must be none`);
  }
  if ((appType === 'spa' || appType === 'native') && grants?.includes('client_credentials')) {
    refuse('grant_types', `app_type ${appType} is a public client: it cannot use client_credentials`);
  }
  if (appType === 'non_interactive' && grants !== undefined && !isMachineGrants(grants)) {
    refuse('grant_types', 'app_type non_interactive means grant_types ["client_credentials"]');
  }
  if ((appType === 'non_interactive' || appType === 'regular_web') && method === 'none') {
    refuse('token_endpoint_auth_method', `app_type ${appType} is a confidential client: token_endpoint_auth_method cannot be none`);
  }
  if (appType === 'regular_web' && grants !== undefined && isMachineGrants(grants)) {
    refuse('grant_types', 'app_type regular_web means a login flow: grant_types cannot be client_credentials alone');
  }
}

/** The grants a new client gets: those given, else those its app_type stands for, else the defaults. */
function grantsOnCreate(body: AppTypeFields): readonly GrantType[] {
  if (body.grant_types) return body.grant_types;
  if (body.app_type === 'non_interactive') return MACHINE_GRANTS;
  return body.app_type === 'spa' || body.app_type === 'native' ? PUBLIC_GRANTS : CLIENT_DEFAULTS.grant_types;
}

/** POST /clients: Auth0's body, with Tessera's own fields under their names. */
export const auth0CreateClientBody = z
  .strictObject({
    name: createClientInput.shape.name,
    description: createClientInput.shape.description,
    ...sharedFields,
    saml_addon: createClientInput.shape.saml_addon,
    mfa_policy: createClientInput.shape.mfa_policy,
  })
  .superRefine((body, context) => {
    checkAppType(body, context);
    // The provider says so too, but of redirect_uris, a name an Auth0 script never sent.
    if (grantsOnCreate(body).includes('authorization_code') && !body.callbacks?.length) {
      context.addIssue({
        code: 'custom',
        path: ['callbacks'],
        message: 'a client with the authorization_code grant needs at least one callback URL (or app_type non_interactive)',
      });
    }
  });

/** PATCH /clients/{id}: the same fields, each optional; null turns saml_addon and mfa_policy back off. */
export const auth0UpdateClientBody = z
  .strictObject({
    name: clientChanges.shape.name,
    description: clientChanges.shape.description,
    ...sharedFields,
    saml_addon: clientChanges.shape.saml_addon,
    mfa_policy: clientChanges.shape.mfa_policy,
  })
  .superRefine((body, context) => {
    checkAppType(body, context);
    // Without the client's current settings a regular_web on update could not say which secret method to keep.
    if (body.app_type === 'regular_web' && body.token_endpoint_auth_method === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['token_endpoint_auth_method'],
        message: 'app_type regular_web on update needs token_endpoint_auth_method (the secret method to use)',
      });
    }
  });

type CreateBody = z.output<typeof auth0CreateClientBody>;
type UpdateBody = z.output<typeof auth0UpdateClientBody>;
type CreateInput = z.input<typeof createClientInput>;
type ChangesInput = z.input<typeof clientChanges>;

/** Drops the keys whose value is undefined: the procedures' inputs take absent keys, not undefined ones. */
function defined<T extends Record<string, unknown>>(record: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

/**
 * The settings an app_type stands for, where the body leaves them out. A new public client gets
 * the login grants; an existing one keeps its grants (the service refuses client_credentials on it).
 */
function impliedByAppType(body: AppTypeFields, creating: boolean): Pick<ChangesInput, 'grant_types' | 'token_endpoint_auth_method'> {
  switch (body.app_type) {
    case 'spa':
    case 'native':
      return { token_endpoint_auth_method: 'none', ...(creating ? { grant_types: PUBLIC_GRANTS } : {}) };
    case 'non_interactive':
      return { grant_types: MACHINE_GRANTS };
    default:
      return {};
  }
}

function tesseraFields(body: Omit<CreateBody, 'name'> | UpdateBody, creating: boolean): ChangesInput {
  const { callbacks, allowed_logout_urls, jwt_configuration, app_type, oidc_conformant, grant_types, token_endpoint_auth_method, ...own } =
    body;
  return defined({
    ...own,
    redirect_uris: callbacks,
    post_logout_redirect_uris: allowed_logout_urls,
    id_token_signed_response_alg: jwt_configuration?.alg,
    ...impliedByAppType(body, creating),
    ...defined({ grant_types, token_endpoint_auth_method }),
  });
}

/** clients.create's input for Auth0's POST /clients body. */
export function createInputOf(body: CreateBody): CreateInput {
  const { name, ...rest } = body;
  const { description, saml_addon, mfa_policy, ...settings } = tesseraFields(rest, true);
  // The create body's schema never yields the nulls an update uses to turn these off.
  return {
    ...settings,
    name,
    ...(typeof description === 'string' ? { description } : {}),
    ...(saml_addon ? { saml_addon } : {}),
    ...(mfa_policy ? { mfa_policy } : {}),
  };
}

/** clients.update's changes for Auth0's PATCH /clients/{id} body. */
export function changesOf(body: UpdateBody): ChangesInput {
  return tesseraFields(body, false);
}

/** A client as Auth0 answers it, for the OpenAPI document; auth0Client below is typed by it. */
export const auth0ClientSchema = z.object({
  client_id: z.string(),
  client_secret: z.string().optional().describe('Only from create and rotate-secret.'),
  name: z.string(),
  description: z.string().optional(),
  app_type: z.enum(AUTH0_APP_TYPES),
  is_first_party: z.boolean(),
  oidc_conformant: z.literal(true),
  callbacks: z.array(z.string()),
  allowed_logout_urls: z.array(z.string()),
  grant_types: z.array(z.string()),
  token_endpoint_auth_method: z.string(),
  jwt_configuration: z.object({ alg: z.string() }),
  require_pkce: z.boolean(),
  management_scopes: z.array(z.string()),
  saml_addon: samlAddonSchema.optional(),
  mfa_policy: z.enum(MFA_POLICIES).optional(),
  connections: z.array(z.string()).describe('The names of the connections enabled for the client.'),
});
export type Auth0Client = z.infer<typeof auth0ClientSchema>;

/** A client as Auth0 answers it; the secret only where the procedure gave it (create, rotate-secret). */
export function auth0Client(view: ClientView): Auth0Client {
  return {
    client_id: view.client_id,
    ...(view.client_secret === undefined ? {} : { client_secret: view.client_secret }),
    name: view.name,
    ...(view.description === undefined ? {} : { description: view.description }),
    app_type: appTypeOf(view),
    is_first_party: view.is_first_party,
    oidc_conformant: true,
    callbacks: view.redirect_uris,
    allowed_logout_urls: view.post_logout_redirect_uris,
    grant_types: view.grant_types,
    token_endpoint_auth_method: view.token_endpoint_auth_method,
    jwt_configuration: { alg: view.id_token_signed_response_alg },
    require_pkce: view.require_pkce,
    management_scopes: view.management_scopes,
    ...(view.saml_addon === undefined ? {} : { saml_addon: view.saml_addon }),
    ...(view.mfa_policy === undefined ? {} : { mfa_policy: view.mfa_policy }),
    connections: view.connections,
  };
}
