/**
 * The console's entry: signs the operator in (or finishes a sign-in at /admin/callback), then
 * renders the pages with a typed API client holding the token in memory.
 */
import { createRoot } from 'react-dom/client';
import { CONSOLE_SITE, type ConsoleSettings, completeSignIn, isCallback, loadSettings, signIn } from './auth.js';
import { Console } from './console.js';
import './console.css';

async function start(): Promise<void> {
  const root = document.getElementById('root');
  if (!root) return;
  const settings = await loadSettings<ConsoleSettings>(CONSOLE_SITE);
  const here = window.location.pathname + window.location.search;
  if (!isCallback(CONSOLE_SITE)) await signIn(CONSOLE_SITE, settings, here);
  const { session, returnTo } = await completeSignIn(CONSOLE_SITE, settings);
  window.history.replaceState(null, '', returnTo);
  createRoot(root).render(
    <Console
      settings={settings}
      session={session}
      onSignedOut={() => signIn(CONSOLE_SITE, settings, window.location.pathname + window.location.search)}
    />,
  );
}

start().catch((error: unknown) => {
  const root = document.getElementById('root');
  if (root) root.textContent = `The console could not start: ${error instanceof Error ? error.message : String(error)}`;
});
