/**
 * The rules the post-login tests run, written to a fresh RULES_DIR. Each rule appends what it
 * saw to observed.jsonl beside it; 30-scenario does what the user's app_metadata.scenario says.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const observe = (name: string) => `
import { appendFileSync } from 'node:fs';
const observed = new URL('./observed.jsonl', import.meta.url);
function note(entry) { appendFileSync(observed, JSON.stringify({ rule: '${name}', ...entry }) + '\\n'); }
`;

const FILES: Record<string, string> = {
  // Written first, run last but one: the order is the file names', not the files'.
  '30-scenario.mjs': `${observe('30-scenario.mjs')}
export async function onExecutePostLogin(event, api) {
  note({ user_id: event.user.user_id });
  switch (event.user.app_metadata.scenario) {
    case 'claims':
      api.idToken.setCustomClaim('https://rules.test/greeting', 'hello');
      api.accessToken.setCustomClaim('https://rules.test/level', 3);
      api.idToken.setCustomClaim('https://rules.test/roles', ['admin', 'ops']);
      api.accessToken.setCustomClaim('https://rules.test/roles', ['admin', 'ops']);
      break;
    case 'bad-claim':
      // Catching the error does not let the login through.
      try { api.idToken.setCustomClaim(event.user.app_metadata.claim_name, true); } catch {}
      break;
    case 'metadata':
      api.user.setAppMetadata('plan', 'gold');
      api.user.setAppMetadata('obsolete', null);
      api.user.setUserMetadata('theme', 'dark');
      break;
    case 'deny':
      api.user.setAppMetadata('denied_at_least_once', true);
      api.access.deny('Testers may not log in to this application.');
      break;
    case 'throw':
      throw new Error('cannot reach the CRM with password hunter2');
    case 'hang':
      await new Promise(() => {});
      break;
    case 'late':
      // The api outlives the rule: the call is ignored, and the log says so.
      setTimeout(() => api.access.deny('too late'), 50);
      break;
  }
}
`,
  '10-observe.mjs': `${observe('10-observe.mjs')}
export async function onExecutePostLogin(event) {
  let refused = 0;
  try { event.user.name = 'changed'; } catch { refused += 1; }
  try { event.user.app_metadata.injected = true; } catch { refused += 1; }
  try { event.scopes.push('admin'); } catch { refused += 1; }
  note({ user_id: event.user.user_id, event, frozen: Object.isFrozen(event), refused });
}
`,
  '20-typed.ts': `${observe('20-typed.ts')}
interface Event { user: { user_id: string } }
export async function onExecutePostLogin(event: Event): Promise<void> {
  note({ user_id: event.user.user_id });
}
`,
  '40-after.mjs': `${observe('40-after.mjs')}
export async function onExecutePostLogin(event, api) {
  note({ user_id: event.user.user_id });
  if (event.user.app_metadata.plan) api.idToken.setCustomClaim('https://rules.test/plan', event.user.app_metadata.plan);
}
`,
  // Neither a rule file nor directly in RULES_DIR: ignored.
  'README.md': '# test rules\n',
  'lib/not-a-rule.mjs': 'export const nothing = true;\n',
};

export interface Observation {
  rule: string;
  user_id: string;
  event?: Record<string, unknown>;
  frozen?: boolean;
  refused?: number;
}

export async function writeRulesDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tessera-rules-'));
  await mkdir(path.join(dir, 'lib'));
  for (const [name, source] of Object.entries(FILES)) await writeFile(path.join(dir, name), source);
  return dir;
}

export async function observations(dir: string, userId: string): Promise<Observation[]> {
  const text = await readFile(path.join(dir, 'observed.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Observation)
    .filter((entry) => entry.user_id === userId);
}
