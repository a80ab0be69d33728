/**
 * `GET /samlp/:client_id/callback`, where Tessera's own authorization request for a SAML login
 * returns, as the list of its steps in the order they run (oidc-provider writes its endpoints
 * so, lib/actions/<endpoint>/). Each step ends the request with a refusal page or hands on.
 */
import type { SamlIdpSite } from '../site.js';
import { checkBrowser } from './check-browser.js';
import { checkLoginOutcome } from './check-login-outcome.js';
import { checkNameId } from './check-name-id.js';
import { checkUser } from './check-user.js';
import { findFlow } from './find-flow.js';
import { loadAddon } from './load-addon.js';
import { noStore } from './no-store.js';
import { postResponse } from './post-response.js';
import { redeemAuthorizationCode } from './redeem-authorization-code.js';
import type { CallbackStep } from './state.js';

export const samlCallbackSteps = (site: SamlIdpSite): CallbackStep[] => [
  noStore,
  findFlow(site),
  checkBrowser(site),
  checkLoginOutcome(site),
  redeemAuthorizationCode(site),
  loadAddon(site),
  checkUser(site),
  checkNameId(site),
  postResponse(site),
];
