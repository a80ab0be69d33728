/**
 * What each scope a client can ask for lets it do, in words a person deciding on the consent
 * page understands; the scope's own name is shown beside it for the curious.
 */
import type { OIDC_SCOPES } from '../oidc/claims.js';
import type { SelfServiceScope } from '../oidc/management-api.js';

export interface ScopeRequest {
  scope: string;
  description: string;
}

// Every scope a user can be asked about has its words, or this does not compile.
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: 'Know who you are: your user id here',
  profile: 'See your name, nickname, picture and language',
  email: 'See your email address and whether it is verified',
  phone: 'See your phone number and whether it is verified',
  address: 'See your postal address',
  offline_access: 'Keep this access while you are not using it',
  // me.get answers the whole profile, as presentProfile shows it to the user.
  'read:current_user':
    'Read your whole account through the account API: email, phone number, metadata, linked accounts and the IP address of your last login',
  // me.update answers the updated profile, so this scope shows it too.
  'update:current_user_metadata':
    'Change your name, nickname, picture, language and user metadata through the account API, and see your whole account in return',
  // me.changePassword, me.changeEmail, me.endSession, me.revokeApplication.
  'update:current_user':
    'Change your password and email address, and sign you out of your sessions and applications, through the account API',
  // me.link answers the whole profile, as me.update does.
  'update:current_user_identities': 'Link other accounts of yours to this one, and unlink them, and see your whole account in return',
  'delete:current_user': 'Delete your account',
} satisfies Record<(typeof OIDC_SCOPES)[number] | SelfServiceScope, string>;

/** One entry per scope, in the order asked; a scope without words is shown by its name. */
export function describeScopes(scopes: Iterable<string>): ScopeRequest[] {
  return [...new Set(scopes)].map((scope) => ({ scope, description: DESCRIPTIONS[scope] ?? scope }));
}
