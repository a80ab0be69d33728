/**
 * Runs the loaded rules after a user is authenticated, one after the other in file-name
 * order, each within a time limit. A rule's metadata writes are saved when it returns (denial
 * included, as in Auth0), so the next rule sees them; its claims are kept only if every rule
 * lets the login through. A rule that throws, misuses the api or runs out of time denies the
 * login: the page names the rule, the log says why (an error's message may hold secrets).
 */
import type { Logger } from '../logger.js';
import type { Profile } from '../profiles/profile.js';
import type { UserChanges } from '../users/user-schemas.js';
import type { PostLoginEvent, PostLoginOutcome, PostLoginRules } from './post-login.js';
import { createRuleApi, type PostLoginApi, type RuleEffects } from './rule-api.js';
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
  logger: Logger;
}

type Execution = { kind: 'returned' } | { kind: 'threw'; error: unknown } | { kind: 'timed-out' };

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** A frozen copy: the profile may be the cache's own object, which must stay writable. */
function frozenEvent(event: PostLoginEvent): PostLoginEvent {
  return deepFreeze(structuredClone(event));
}

function metadataChanges(effects: RuleEffects): UserChanges | undefined {
  const changes: UserChanges = {
    ...(Object.keys(effects.appMetadata).length ? { app_metadata: effects.appMetadata } : {}),
    ...(Object.keys(effects.userMetadata).length ? { user_metadata: effects.userMetadata } : {}),
  };
  return Object.keys(changes).length ? changes : undefined;
}

export function createPostLoginRules({ rules, issuer, users, claims, logger }: RuleRunnerDependencies): PostLoginRules {
  const log = logger.child({ component: 'rules' });

  async function execute(rule: LoadedRule, event: PostLoginEvent, api: PostLoginApi, context: object): Promise<Execution> {
    const settled = Promise.resolve()
      .then(() => rule.onExecutePostLogin(event, api))
      .then(
        (): Execution => ({ kind: 'returned' }),
        (error: unknown): Execution => ({ kind: 'threw', error }),
      );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<Execution>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'timed-out' }), RULE_TIME_LIMIT_MS);
    });
    try {
      const execution = await Promise.race([settled, timedOut]);
      if (execution.kind === 'timed-out') {
        void settled.then((late) => {
          if (late.kind === 'threw') log.warn({ ...context, err: late.error }, 'login rule failed after its time limit');
        });
      }
      return execution;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async run(login: PostLoginEvent): Promise<PostLoginOutcome> {
      let user = login.user;
      const idToken: Record<string, unknown> = {};
      const accessToken: Record<string, unknown> = {};
      for (const rule of rules) {
        const context = { rule: rule.name, user_id: user.user_id, client_id: login.client.client_id };
        const failed = { denied: `A login rule failed (${rule.name}).` };
        const { api, effects, close } = createRuleApi(issuer, (method) =>
          log.warn({ ...context, method }, 'login rule called the api after it had finished; ignored'),
        );
        const execution = await execute(rule, frozenEvent({ ...login, user }), api, context);
        close();

        if (execution.kind === 'timed-out') {
          log.error({ ...context, time_limit_ms: RULE_TIME_LIMIT_MS }, 'login rule did not finish in time');
          return { denied: `A login rule did not finish in time (${rule.name}).` };
        }
        if (effects.misuse !== undefined) {
          log.error({ ...context, reason: effects.misuse }, 'login rule failed');
          return failed;
        }
        if (execution.kind === 'threw') {
          log.error({ ...context, err: execution.error }, 'login rule failed');
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
      }
      await claims.save(user.user_id, login.client.client_id, { idToken, accessToken });
      return {};
    },
  };
}
