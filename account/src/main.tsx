/**
 * The account page's entry: signs the person in (or finishes a sign-in at /account/callback),
 * then renders their account with a typed API client holding the token in memory.
 *
 * Linking another account is a second, fresh sign-in through the login page in this same tab.
 * The primary's session must survive that trip, and memory does not: it rides in the pending
 * sign-in's sessionStorage entry, which the callback reads and removes at once (a popup would
 * avoid the storage but not the shared Tessera session, and is blocked or lost more easily).
 */
import { createRoot } from 'react-dom/client';
import { createApi, describeFailure } from '../../console/src/api.js';
import { completeSignIn, isCallback, loadSettings, type Session, SignInFailed, type Site, signIn } from '../../console/src/auth.js';
import { Account, type AccountSettings, type Notice } from './account.js';
import '../../console/src/console.css';
import './account.css';

const ACCOUNT_SITE: Site = { path: '/account', storageKey: 'tessera-account-sign-in' };

type CarriedSession = Omit<Session, 'scopes'> & { scopes: string[] };

const here = () => window.location.pathname + window.location.search;

/** Leaves for the login page to sign in with `connection` afresh; the callback links that account into this one. */
function linkThrough(settings: AccountSettings, session: Session, connection: string): Promise<never> {
  const carried: CarriedSession = { ...session, scopes: [...session.scopes] };
  return signIn(ACCOUNT_SITE, settings, here(), {
    params: { prompt: 'login', max_age: '0', connection },
    nonce: true,
    carry: JSON.stringify(carried),
  });
}

const carriedSession = (carry: string): Session => {
  const carried = JSON.parse(carry) as CarriedSession;
  return { ...carried, scopes: new Set(carried.scopes) };
};

/** After a link's sign-in: the primary's session back from storage, and the second account linked into it. */
async function finishLink(carry: string, idToken: string): Promise<{ session: Session; notice: Notice }> {
  const session = carriedSession(carry);
  try {
    await createApi(() => session.accessToken).me.link.mutate({ id_token: idToken });
    return { session, notice: { kind: 'success', text: 'The other account is now linked to this one.' } };
  } catch (error) {
    return { session, notice: { kind: 'error', text: `The other account was not linked: ${describeFailure(error).message}` } };
  }
}

/** The callback's outcome: this person's session, and what became of a link when that was the trip's purpose. */
async function signedIn(settings: AccountSettings): Promise<{ session: Session; notice: Notice | undefined }> {
  try {
    const completed = await completeSignIn(ACCOUNT_SITE, settings);
    window.history.replaceState(null, '', completed.returnTo);
    if (completed.carry === undefined) return { session: completed.session, notice: undefined };
    return await finishLink(completed.carry, completed.idToken);
  } catch (error) {
    // The second sign-in was cancelled or refused: the person is still signed in as themselves.
    if (!(error instanceof SignInFailed) || error.carry === undefined) throw error;
    window.history.replaceState(null, '', `${ACCOUNT_SITE.path}/`);
    return { session: carriedSession(error.carry), notice: { kind: 'error', text: `The other account was not linked: ${error.message}` } };
  }
}

async function start(): Promise<void> {
  const root = document.getElementById('root');
  if (!root) return;
  const settings = await loadSettings<AccountSettings>(ACCOUNT_SITE);
  if (!isCallback(ACCOUNT_SITE)) await signIn(ACCOUNT_SITE, settings, here());
  const { session, notice } = await signedIn(settings);
  createRoot(root).render(
    <Account
      session={session}
      notice={notice}
      onSignedOut={() => signIn(ACCOUNT_SITE, settings, here())}
      onLink={(connection) => linkThrough(settings, session, connection)}
    />,
  );
}

start().catch((error: unknown) => {
  const root = document.getElementById('root');
  if (root) root.textContent = `Your account page could not start: ${error instanceof Error ? error.message : String(error)}`;
});
