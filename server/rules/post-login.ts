/**
 * Post-login rules: what the login routes call once a user is authenticated and before the
 * flow continues. A rule may deny the login; the claims rules add are kept for the tokens.
 */
import type { Profile } from '../profiles/profile.js';

/** The user as rules see them: the operator's privileges (management_scopes) stay out of rules and so of their claims. */
export type RuleUser = Omit<Profile, 'management_scopes'>;

export interface PostLoginEvent {
  user: RuleUser;
  client: { client_id: string; name: string };
  connection: { name: string; strategy: string };
  request: { ip: string; user_agent: string | undefined };
  scopes: string[];
}

export type PostLoginOutcome = { denied: string } | { denied?: undefined };

export interface PostLoginRules {
  run(event: PostLoginEvent): Promise<PostLoginOutcome>;
}

export const noRules: PostLoginRules = { run: async () => ({}) };
