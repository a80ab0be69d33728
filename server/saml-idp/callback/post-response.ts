/**
 * The answer: the signed SAML response to the flow's AuthnRequest, in the HTTP-POST binding's
 * page that carries it, with the RelayState, to the service provider.
 */
import { samlAttributes } from '../attributes.js';
import { samlPair } from '../entities.js';
import { POST_FORM_CSP, postFormPage } from '../post-form.js';
import { signedResponse } from '../response.js';
import type { SamlIdpSite } from '../site.js';
import { type CallbackStep, reached } from './state.js';

export const postResponse =
  ({ idpEntityId, metadataFor, log }: SamlIdpSite): CallbackStep =>
  async (ctx) => {
    const { flow, redeemed, client, addon, profile, nameId } = reached(ctx, 'flow', 'redeemed', 'client', 'addon', 'profile', 'nameId');
    const { key, metadata } = await metadataFor(flow.clientId, addon);
    const samlResponse = await signedResponse(samlPair(metadata, key, addon), {
      idpEntityId,
      addon,
      inResponseTo: flow.requestId,
      nameId,
      attributes: samlAttributes(profile, addon.mappings),
      authnInstant: redeemed.authTime,
      now: new Date(),
    });
    log.info({ client_id: flow.clientId, user_id: profile.user_id, request_id: flow.requestId }, 'SAML response issued');
    ctx.type = 'html';
    ctx.set('Content-Security-Policy', POST_FORM_CSP);
    ctx.body = postFormPage({
      action: addon.acs_url,
      samlResponse,
      relayState: flow.relayState ?? undefined,
      applicationName: client.clientName ?? flow.clientId,
    });
  };
