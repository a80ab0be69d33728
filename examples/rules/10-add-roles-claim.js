/**
 * Puts the user's roles, kept by operators in app_metadata.roles, in the ID token and in the
 * access token, so applications and APIs can authorize without calling the management API.
 */
const ROLES_CLAIM = 'https://tessera.example/roles';

export async function onExecutePostLogin(event, api) {
  const roles = Array.isArray(event.user.app_metadata.roles) ? event.user.app_metadata.roles : [];
  api.idToken.setCustomClaim(ROLES_CLAIM, roles);
  api.accessToken.setCustomClaim(ROLES_CLAIM, roles);
}
