/**
 * The services the management API (trpc/) calls, assembled in one place from what
 * openTessera built. trpc/ reaches storage only through these.
 */
import type { AccessTokenVerifier } from './oidc/access-tokens.js';
import type { EventBus } from './events/event-bus.js';
import type { UserService } from './users/user-service.js';

export interface ManagementServices {
  users: UserService;
  events: EventBus;
}

export type { AccessTokenVerifier };
