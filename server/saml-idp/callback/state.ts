/**
 * What the callback's steps learn, in the order they learn it, kept in Koa's `ctx.state`: each
 * step reads what the steps before it set and adds its own, as oidc-provider's actions do.
 */
import type { RouterContext, RouterMiddleware } from '@koa/router';
import type { Client } from 'oidc-provider';
import type { Profile } from '../../profiles/profile.js';
import type { SamlAddon } from '../addon.js';
import type { RedeemedCode } from '../authorization-code.js';
import type { SamlFlow } from '../flow.js';

export interface CallbackState {
  flowId: string;
  flow: SamlFlow;
  redeemed: RedeemedCode;
  client: Client;
  addon: SamlAddon;
  profile: Profile;
  nameId: string;
}

export type CallbackContext = RouterContext<Partial<CallbackState>>;
/** A step either calls `next` or ends the request with a refusal page. */
export type CallbackStep = RouterMiddleware<Partial<CallbackState>>;

/** What earlier steps set; a field still missing means a step is listed out of order, a bug. */
export function reached<K extends keyof CallbackState>(ctx: CallbackContext, ...keys: K[]): Pick<CallbackState, K> {
  for (const key of keys) {
    if (ctx.state[key] === undefined) throw new Error(`SAML callback step listed out of order: no ${key} yet`);
  }
  return ctx.state as Pick<CallbackState, K>;
}
