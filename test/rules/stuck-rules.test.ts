import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as oidc from 'openid-client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askWhile } from '../support/ask-while.js';
import { isPage, type Page } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { logSink } from '../support/log-sink.js';
import { discover, login, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

/** A rule that never yields for `loop` (beating a heartbeat file as it spins), ends its thread for `exit`, eats memory for `hog`. */
const STUCK_RULE = `
import { writeFileSync } from 'node:fs';
const heartbeat = new URL('./heartbeat', import.meta.url);
export async function onExecutePostLogin(event) {
  const scenario = event.user.app_metadata.scenario;
  if (scenario === 'exit') process.exit(3);
  if (scenario === 'hog') {
    const hoard = [];
    for (;;) hoard.push(new Array(100_000).fill(hoard.length));
  }
  if (scenario !== 'loop') return;
  let beat = 0;
  for (;;) {
    const now = Date.now();
    if (now - beat >= 20) {
      writeFileSync(heartbeat, String(now));
      beat = now;
    }
  }
}
`;

interface LogLine {
  msg: string;
  rule?: string;
  user_id?: string;
  err?: { message: string };
}

describe('post-login rules that never return', () => {
  const logLines: LogLine[] = [];
  let rulesDir: string;
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let config: oidc.Configuration;

  beforeAll(async () => {
    rulesDir = await mkdtemp(path.join(tmpdir(), 'tessera-stuck-rules-'));
    await writeFile(path.join(rulesDir, '10-stuck.mjs'), STUCK_RULE);
    tessera = await startTestTessera({ env: { RULES_DIR: rulesDir }, logger: pino({ level: 'info' }, logSink(logLines)) });
    const client = await createClient(tessera);
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(async () => {
    await tessera?.stop();
    if (rulesDir) await rm(rulesDir, { recursive: true, force: true });
  });

  async function refusedLogin(email: string, password: string): Promise<Page> {
    const { page, browser } = await openLoginPage(config, 'openid');
    if (!isPage(page)) throw new Error('expected the login page');
    const after = await browser.submit(page, { username: email, password }, REDIRECT_URI);
    if (!isPage(after)) throw new Error(`the login reached the relying party: ${after.redirect}`);
    return after;
  }

  it('denies the login of a rule stuck in a synchronous loop while discovery and another user’s login are served, and stops the rule', async () => {
    const stuck = await createUser(tessera, { app_metadata: { scenario: 'loop' } });
    const other = await createUser(tessera, { app_metadata: { scenario: 'none' } });

    const settled: string[] = [];
    const stuckLogin = refusedLogin(stuck.email, stuck.password).finally(() => settled.push('stuck'));
    const otherLogin = login(config, { scope: 'openid', username: other.email, password: other.password }).finally(() =>
      settled.push('other'),
    );
    const { result: page, probe } = await askWhile(`${tessera.issuer}/.well-known/openid-configuration`, stuckLogin);

    expect(page.status).toBe(403);
    expect(page.document.querySelector('[role=alert]')?.text).toBe('A login rule did not finish in time (10-stuck.mjs).');
    expect(
      logLines.filter((line) => line.user_id === stuck.profile.user_id && line.msg === 'login rule did not finish in time'),
    ).toHaveLength(1);
    expect(probe.failures).toBe(0);
    expect(Object.keys(probe.statuses)).toEqual(['200']);
    expect(probe.statuses[200]).toBeGreaterThan(0);
    expect((await otherLogin).tokens.claims()?.sub).toBe(other.profile.user_id);
    expect(settled).toEqual(['other', 'stuck']);
    console.info(
      `while the rule looped: ${probe.statuses[200]} discovery answers (slowest ${Math.round(probe.slowestMs)} ms), the other login completed`,
    );

    // The rule beat while it ran; its thread was terminated at the time limit, so the beats stop.
    const lastBeat = await readFile(path.join(rulesDir, 'heartbeat'), 'utf8');
    expect(Number(lastBeat)).toBeGreaterThan(0);
    await sleep(500);
    expect(await readFile(path.join(rulesDir, 'heartbeat'), 'utf8')).toBe(lastBeat);
  });

  it.each([
    ['exit', 'calls process.exit', /exited with code: 3/],
    ['hog', 'outgrows its heap limit', /out of memory|ERR_WORKER_OUT_OF_MEMORY/i],
  ])('denies the login of a rule that ends its thread (%s: %s), and goes on serving', async (scenario, _what, logged) => {
    const exiting = await createUser(tessera, { app_metadata: { scenario } });
    const page = await refusedLogin(exiting.email, exiting.password);
    expect(page.status).toBe(403);
    expect(page.document.querySelector('[role=alert]')?.text).toBe('A login rule failed (10-stuck.mjs).');
    const [line] = logLines.filter((entry) => entry.user_id === exiting.profile.user_id && entry.msg === 'login rule failed');
    expect(line?.err?.message).toMatch(logged);

    const other = await createUser(tessera, { app_metadata: { scenario: 'none' } });
    expect((await login(config, { scope: 'openid', username: other.email, password: other.password })).tokens.claims()?.sub).toBe(
      other.profile.user_id,
    );
    expect((await fetch(`${tessera.issuer}/.well-known/openid-configuration`)).status).toBe(200);
  });
});
