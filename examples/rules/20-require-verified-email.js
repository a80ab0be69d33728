/**
 * Refuses users whose email address is not verified, and counts their attempts in
 * app_metadata so support can see who is stuck. Metadata a rule sets is saved even when the
 * rule denies the login. To guard only some applications, test event.client.client_id first.
 */
export async function onExecutePostLogin(event, api) {
  if (event.user.email === undefined || event.user.email_verified) return;
  const attempts = event.user.app_metadata.unverified_login_attempts ?? 0;
  api.user.setAppMetadata('unverified_login_attempts', attempts + 1);
  api.access.deny('Please verify your email address before logging in.');
}
