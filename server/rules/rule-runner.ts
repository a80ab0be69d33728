/**
 * Runs the loaded rules after a user is authenticated, one after the other in file-name
 * order, each in the sandbox's worker threads within a time limit. The rule's `api` calls are
 * checked and recorded in the worker; this runner applies them once the rule has returned. A
 * rule's metadata writes are saved when it returns (denial included, as in Auth0), so the
 * next rule sees them; its claims are kept only if every rule lets the login through. A rule
 * that throws, misuses the api, ends its thread or runs out of time denies the login (one
 * that runs out of time has its thread terminated): the page names the rule, the log says why
 * (an error's message may hold secrets).
 */
import type { Logger } from '../logger.js';
import { type Profile, withoutManagementScopes } from '../profiles/profile.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { asError } from '../sandbox/tasks.js';
import type { UserChanges } from '../users/user-schemas.js';
import type { PostLoginEvent, PostLoginOutcome, PostLoginRules } from './post-login.js';
import type { RuleEffects } from './rule-api.js';
import type { RuleClaimsStore } from './rule-claims.js';
import type { LoadedRule } from './rule-loader.js';

/** Long enough for a call to an outside service, short enough for a person waiting on a login. */
const RULE_TIME_LIMIT_MS = 5_000;

export interface RuleRunnerDependencies {
  rules: readonly LoadedRule[];
  issuer: string;
  /** The user update of the management API, so events publish and the profile cache refreshes. */
  users: { update(userId: string, changes: UserChanges): Promise<Profile> };
  claims: RuleClaimsStore;
  sandbox: Sandbox;
  logger: Logger;
}

function metadataChanges(effects: RuleEffects): UserChanges | undefined {
  const changes: UserChanges = {
    ...(Object.keys(effects.appMetadata).length ? { app_metadata: effects.appMetadata } : {}),
    ...(Object.keys(effects.userMetadata).length ? { user_metadata: effects.userMetadata } : {}),
  };
  return Object.keys(changes).length ? changes : undefined;
}

export function createPostLoginRules({ rules, issuer, users, claims, sandbox, logger }: RuleRunnerDependencies): PostLoginRules {
  const log = logger.child({ component: 'rules' });

  return {
    async run(login: PostLoginEvent): Promise<PostLoginOutcome> {
      let user = login.user;
      const idToken: Record<string, unknown> = {};
      const accessToken: Record<string, unknown> = {};
      let multifactor = false;
      for (const rule of rules) {
        const context = { rule: rule.name, user_id: user.user_id, client_id: login.client.client_id };
        const failed = { denied: `A login rule failed (${rule.name}).` };
        const outcome = await sandbox.run(
          { kind: 'rule', file: rule.file, issuer, event: { ...login, user: withoutManagementScopes(user) } },
          RULE_TIME_LIMIT_MS,
        );

        if (outcome.status === 'timed-out') {
          log.error({ ...context, time_limit_ms: RULE_TIME_LIMIT_MS }, 'login rule did not finish in time');
          return { denied: `A login rule did not finish in time (${rule.name}).` };
        }
        if (outcome.status === 'incomplete') {
          log.error({ ...context, reason: 'the rule no longer exports an onExecutePostLogin function' }, 'login rule failed');
          return failed;
        }
        if (outcome.status === 'unloadable' || outcome.status === 'crashed') {
          log.error({ ...context, err: asError(outcome.error) }, 'login rule failed');
          return failed;
        }
        const { effects } = outcome;
        if (effects?.misuse !== undefined) {
          log.error({ ...context, reason: effects.misuse }, 'login rule failed');
          return failed;
        }
        if (outcome.status === 'threw' || !effects) {
          log.error({ ...context, ...(outcome.status === 'threw' ? { err: asError(outcome.error) } : {}) }, 'login rule failed');
          return failed;
        }
        const changes = metadataChanges(effects);
        if (changes) {
          try {
            user = await users.update(user.user_id, changes);
          } catch (error) {
            log.error({ ...context, err: error }, 'saving the metadata a login rule set failed');
            return failed;
          }
        }
        if (effects.denied !== undefined) {
          log.info({ ...context, reason: effects.denied }, 'login rule denied access');
          return { denied: effects.denied };
        }
        Object.assign(idToken, effects.idTokenClaims);
        Object.assign(accessToken, effects.accessTokenClaims);
        multifactor ||= effects.multifactor;
      }
      await claims.save(user.user_id, login.client.client_id, { idToken, accessToken });
      return multifactor ? { multifactor } : {};
    },
  };
}
