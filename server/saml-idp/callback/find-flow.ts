/**
 * Takes the flow the sign-on stored, named by the authorization response's `state`: once only,
 * and only a SAML flow for this very client.
 */
import type { SamlFlow } from '../flow.js';
import { refuse, type SamlIdpSite } from '../site.js';
import type { CallbackStep } from './state.js';

export const findFlow =
  ({ flows, log }: SamlIdpSite): CallbackStep =>
  async (ctx, next) => {
    const clientId = String(ctx.params['client_id']);
    const flowId = typeof ctx.query['state'] === 'string' ? ctx.query['state'] : '';
    const flow = flowId ? ((await flows.take(flowId)) as Partial<SamlFlow> | undefined) : undefined;
    if (flow?.kind !== 'saml-idp' || flow.clientId !== clientId || !flow.requestId || !flow.codeVerifier) {
      log.info({ client_id: clientId }, 'SAML callback with an unknown, expired or used state');
      return refuse(
        ctx,
        'saml.request_refused',
        'This SAML login has expired or was already used. Please start again from the application.',
      );
    }
    ctx.state.flowId = flowId;
    ctx.state.flow = flow as SamlFlow;
    await next();
  };
