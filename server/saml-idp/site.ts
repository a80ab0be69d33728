/**
 * What the SAML identity provider's routes share: their dependencies, the refusal page, and the
 * two lookups both the sign-on and the callback make (the client's add-on, the signed metadata).
 */
import type { RouterContext } from '@koa/router';
import type { Context } from 'koa';
import type { Client } from 'oidc-provider';
import type { KeyQueries } from '../../adapters/queries/keys.js';
import type { LoginFlowQueries } from '../../adapters/queries/login-flows.js';
import { ERROR_CODES, type ErrorCode } from '../errors.js';
import { errorPage } from '../interactions/views.js';
import type { Logger } from '../logger.js';
import type { ProviderHost } from '../oidc/provider-host.js';
import type { ProfileService } from '../profiles/profile-service.js';
import { SAML_ADDON, type SamlAddon, samlAddonSchema, samlIdpEntityId, samlSsoUrl } from './addon.js';
import { idpMetadata } from './metadata.js';
import { createSigningKeySource } from './signing-key.js';

export interface SamlIdpDependencies {
  issuer: string;
  providers: ProviderHost;
  profiles: ProfileService;
  flows: LoginFlowQueries;
  keys: KeyQueries;
  logger: Logger;
}

/** The error page of a refused SAML login, with the status the refusal's code has in the error table. */
export function refuse(ctx: Context, code: ErrorCode, message: string): void {
  ctx.status = ERROR_CODES[code].http;
  ctx.type = 'html';
  ctx.body = errorPage('SAML login refused', message);
}

export function createSamlIdpSite({ issuer, providers, profiles, flows, keys, logger }: SamlIdpDependencies) {
  const signingKey = createSigningKeySource(keys, new URL(issuer).host);
  const idpEntityId = samlIdpEntityId(issuer);

  /** The client and its add-on, or a 404 page naming what is missing. */
  async function findAddon(ctx: RouterContext): Promise<{ client: Client; addon: SamlAddon } | undefined> {
    const clientId = String(ctx.params['client_id']);
    const client = await providers.provider.Client.find(clientId);
    if (!client) {
      refuse(ctx, 'client.not_found', `There is no application with client_id "${clientId}".`);
      return undefined;
    }
    const addon = samlAddonSchema.safeParse(client[SAML_ADDON]);
    if (!addon.success) {
      refuse(ctx, 'client.not_found', `The application "${client.clientName ?? clientId}" does not have the SAML add-on enabled.`);
      return undefined;
    }
    return { client, addon: addon.data };
  }

  async function metadataFor(clientId: string, addon: SamlAddon) {
    const key = await signingKey();
    return {
      key,
      metadata: idpMetadata({ entityId: idpEntityId, ssoUrl: samlSsoUrl(issuer, clientId), certificatePem: key.certificatePem, addon }),
    };
  }

  return { issuer, idpEntityId, providers, profiles, flows, log: logger.child({ component: 'saml-idp' }), findAddon, metadataFor };
}

export type SamlIdpSite = ReturnType<typeof createSamlIdpSite>;
