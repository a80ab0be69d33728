/**
 * Post-login rules: what the login routes call once a user is authenticated and before the
 * flow continues. A rule may deny the login or ask it for a second factor; the claims rules add
 * are kept for the tokens.
 */
import type { AuthenticationMethod } from '../mfa/authentication-methods.js';
import type { Profile } from '../profiles/profile.js';

/** The user as rules see them: the operator's privileges (management_scopes) stay out of rules and so of their claims. */
export type RuleUser = Omit<Profile, 'management_scopes'>;

export interface PostLoginEvent {
  user: RuleUser;
  client: { client_id: string; name: string };
  connection: { name: string; strategy: string };
  request: { ip: string; user_agent: string | undefined };
  scopes: string[];
  /** How this login was authenticated so far, in Auth0's names (`pwd`, `federated`, `passkey`, `mfa`). */
  authentication: { methods: Array<{ name: string }> };
}

/** `multifactor`: a rule asked this login for a second factor (api.multifactor.enable). */
export type PostLoginOutcome = { denied: string } | { denied?: undefined; multifactor?: boolean };

const AUTH0_METHOD_NAMES: Record<AuthenticationMethod, string> = {
  pwd: 'pwd',
  fed: 'federated',
  otp: 'otp',
  hwk: 'passkey',
  swk: 'passkey',
  mfa: 'mfa',
};

/** A login's amr as Auth0 Actions name the methods in event.authentication.methods, each once. */
export function ruleMethodsOf(amr: readonly AuthenticationMethod[]): Array<{ name: string }> {
  return [...new Set(amr.map((method) => AUTH0_METHOD_NAMES[method]))].map((name) => ({ name }));
}

export interface PostLoginRules {
  run(event: PostLoginEvent): Promise<PostLoginOutcome>;
}

export const noRules: PostLoginRules = { run: async () => ({}) };
