/**
 * The console's entry: signs the operator in (or finishes a sign-in at /admin/callback), then
 * renders the pages with a typed API client holding the token in memory.
 */
import { createRoot } from 'react-dom/client';
import { completeSignIn, isCallback, loadSettings, signIn } from './auth.js';
import { Console } from './console.js';
import './console.css';

async function start(): Promise<void> {
  const root = document.getElementById('root');
  if (!root) return;
  const settings = await loadSettings();
  const here = window.location.pathname + window.location.search;
  if (!isCallback()) await signIn(settings, here);
  const { session, returnTo } = await completeSignIn(settings);
  window.history.replaceState(null, '', returnTo);
  createRoot(root).render(
    <Console
      settings={settings}
      session={session}
      onSignedOut={() => signIn(settings, window.location.pathname + window.location.search)}
    />,
  );
}

start().catch((error: unknown) => {
  const root = document.getElementById('root');
  if (root) root.textContent = `The console could not start: ${error instanceof Error ? error.message : String(error)}`;
});
