import { hash } from '@node-rs/argon2';
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkGate } from '../../server/abuse/work-gate.js';
import { isDomainError } from '../../server/errors.js';
import { hashPassword, verifyPassword } from '../../server/passwords.js';
import { isPage } from '../support/browser.js';
import { createClient, createUser } from '../support/fixtures.js';
import { discover, openLoginPage, REDIRECT_URI } from '../support/relying-party.js';
import { startTestTessera } from '../support/tessera.js';

/** A hash whose verification takes seconds (argon2 reads its cost from the hash): it holds a slot of the gate that long. */
function slowHash() {
  return hash('slow', { algorithm: 2, memoryCost: 19_456, timeCost: 60, parallelism: 1 });
}

describe('the work gate', () => {
  it('runs at most `concurrency` jobs at once, queues `queue` more in order, and refuses the rest at once', async () => {
    const gate = createWorkGate(2, 3);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const job = (id: number) => async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running -= 1;
      order.push(id);
      return id;
    };
    const outcomes = await Promise.allSettled([1, 2, 3, 4, 5, 6, 7].map((id) => gate.run(job(id))));
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
    ]);
    expect(most).toBe(2);
    expect(order.slice(2)).toEqual([3, 4, 5]);
    expect(gate.running).toBe(0);
  });
});

describe('the password hashing bound', () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let config: oidc.Configuration;

  beforeAll(async () => {
    tessera = await startTestTessera({ env: { PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE: '1' } });
    const client = await createClient(tessera);
    config = await discover(tessera.issuer, client.client_id, client.client_secret);
  });
  afterAll(() => tessera?.stop());

  it('lets one hash run and one wait, and refuses a third at once as server.busy', async () => {
    const slow = await slowHash();
    const running = verifyPassword(slow, 'x');
    const waiting = hashPassword('waits its turn');
    await expect(hashPassword('one too many')).rejects.toSatisfy((error) => isDomainError(error, 'server.busy'));
    await expect(running).resolves.toBe(false);
    await expect(waiting).resolves.toMatch(/^\$argon2id\$/);
  });

  it('answers a login that finds the hashing line full with 503 and Retry-After, and serves it once there is room', async () => {
    const user = await createUser(tessera);
    const { page, browser } = await openLoginPage(config, 'openid');
    if (!isPage(page)) throw new Error('expected the login page');
    const slow = await slowHash();
    const held = [verifyPassword(slow, 'x'), verifyPassword(slow, 'y')];

    const busy = await browser.submit(page, { username: user.email, password: user.password }, REDIRECT_URI);
    if (!isPage(busy)) throw new Error('expected a page saying the server is busy');
    expect(busy.status).toBe(503);
    expect(busy.headers?.get('retry-after')).toBe('1');
    expect(busy.document.text).toContain('The server is busy');

    await Promise.all(held);
    const done = await browser.submit(busy, { username: user.email, password: user.password }, REDIRECT_URI);
    expect(isPage(done) ? done.status : 'redirected').toBe('redirected');
  });
});
