/**
 * The services the management API (trpc/) calls, assembled in one place from what
 * openTessera built. trpc/ reaches storage only through these.
 */
import type { RequestLimit } from './abuse/request-limit.js';
import type { OwnIdentities } from './accounts/own-identities.js';
import type { OwnSessions } from './accounts/own-sessions.js';
import type { SelfService } from './accounts/self-service.js';
import type { TicketManagement } from './accounts/ticket-management.js';
import type { ClientManagement } from './clients/client-management.js';
import type { ConnectionManagement } from './connections/connection-management.js';
import type { EventBus } from './events/event-bus.js';
import type { Jobs } from './jobs/jobs.js';
import type { UsersExport } from './jobs/users-export.js';
import type { UsersImport } from './jobs/users-import.js';
import type { Mailer } from './mail/mailer.js';
import type { Authenticators } from './mfa/authenticators.js';
import type { MfaEnrolment } from './mfa/enrolment.js';
import type { PasskeyEnrolment } from './mfa/passkey-enrolment.js';
import type { AccessTokenVerifier } from './oidc/access-tokens.js';
import type { KeyManagement } from './oidc/key-management.js';
import type { ResourceServerManagement } from './resource-servers/resource-server-management.js';
import type { IdpTokenReveal } from './users/idp-token-reveal.js';
import type { UserService } from './users/user-service.js';

export interface ManagementServices {
  users: UserService;
  events: EventBus;
  clients: ClientManagement;
  connections: ConnectionManagement;
  keys: KeyManagement;
  resourceServers: ResourceServerManagement;
  idpTokens: IdpTokenReveal;
  /** Calls per caller: every authenticated procedure takes one. */
  requestLimit: RequestLimit;
  /** Only what operators see of a user's messages: never a message itself. */
  mail: Pick<Mailer, 'forUser'>;
  /** Verification and reset links for operators (tickets.*), and users.sendVerificationEmail. */
  tickets: TicketManagement;
  /** What a person does to their own account from the account page (me.*). */
  selfService: SelfService;
  /** me.sessions, me.applications and ending them: the caller's own, found by their user id. */
  ownSessions: OwnSessions;
  /** me.link and me.unlink. */
  ownIdentities: OwnIdentities;
  /** A user's second factors: listed and removed by operators and by the person. */
  authenticators: Authenticators;
  /** Registering a passkey (me.passkeys.*), with recovery codes when it is the first factor; listed and removed through `authenticators`. */
  passkeys: PasskeyEnrolment;
  /** A person enrolling their own authenticator app and recovery codes. */
  mfaEnrolment: MfaEnrolment;
  /** Bulk jobs (users import and export) as GET /jobs/{id} reports them. */
  jobs: Jobs;
  /** Auth0's bulk users import (jobs.importUsers), run on the node that accepted it. */
  usersImport: UsersImport;
  /** Users export jobs (jobs.exportUsers) and their download links. */
  usersExport: UsersExport;
}

export type { AccessTokenVerifier };
