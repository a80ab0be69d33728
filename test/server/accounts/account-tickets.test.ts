/**
 * Tickets against a real PostgreSQL: single use (also under a race), expiry, purpose, and
 * death by a change of email or password whatever made it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountTicketQueries } from '../../../adapters/queries/account-tickets.js';
import { type AccountTickets, createAccountTickets } from '../../../server/accounts/account-tickets.js';
import { DEFAULT_DATABASE_CONNECTION } from '../../../server/clients/bootstrap.js';
import { isDomainError } from '../../../server/errors.js';
import { startTestTessera } from '../../support/tessera.js';

let tessera: Awaited<ReturnType<typeof startTestTessera>>;
let clock = Date.now();
let tickets: AccountTickets;

beforeAll(async () => {
  tessera = await startTestTessera();
  tickets = createAccountTickets({
    tickets: createAccountTicketQueries(tessera.database.models),
    users: tessera.services.users,
    issuer: tessera.issuer,
    lifetimes: { verify_email: 3600, change_email: 3600, reset_password: 600 },
    now: () => new Date(clock),
  });
});
afterAll(() => tessera?.stop());

let serial = 0;
async function newUser() {
  serial += 1;
  const email = `ticket-${serial}@example.com`;
  const user = await tessera.services.userService.create({
    connection: DEFAULT_DATABASE_CONNECTION,
    email,
    password: 'correct horse battery',
  });
  return { id: user.user_id, email };
}

const tokenOf = (url: string) => new URL(url).searchParams.get('ticket') ?? '';

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isDomainError(error, 'ticket.refused')) return error.message;
    throw error;
  }
  throw new Error('the ticket was honoured');
}

describe('account tickets', () => {
  it('makes a link under the issuer that works once, and says so the second time', async () => {
    const user = await newUser();
    const { url } = await tickets.issue({ purpose: 'verify_email', userId: user.id });
    expect(url).toMatch(new RegExp(`^${tessera.issuer}/tickets/verify-email\\?ticket=[A-Za-z0-9_-]{43}$`));
    const inspected = await tickets.inspect(tokenOf(url), ['verify_email']);
    expect(inspected.user.user.id).toBe(user.id);
    expect(inspected.email).toBe(user.email);
    expect(await tickets.redeem(tokenOf(url), ['verify_email'], async (ticket) => ticket.user_id)).toBe(user.id);
    expect(await refusal(tickets.redeem(tokenOf(url), ['verify_email'], async () => 'again'))).toMatch(/already been used/);
    expect(await refusal(tickets.inspect(tokenOf(url), ['verify_email']))).toMatch(/already been used/);
  });

  it('stores only a hash of the token', async () => {
    const user = await newUser();
    const { url } = await tickets.issue({ purpose: 'reset_password', userId: user.id });
    const [rows] = await tessera.database.sequelize.query('SELECT * FROM account_tickets WHERE user_id = $1', { bind: [user.id] });
    expect(JSON.stringify(rows)).not.toContain(tokenOf(url));
    expect(rows).toHaveLength(1);
  });

  it('refuses a ticket after its expiry, and one of another purpose', async () => {
    const user = await newUser();
    const { url, expiresAt } = await tickets.issue({ purpose: 'reset_password', userId: user.id });
    expect(expiresAt.getTime() - clock).toBe(600_000);
    expect(await refusal(tickets.inspect(tokenOf(url), ['verify_email']))).toMatch(/not valid here/);
    clock += 601_000;
    try {
      expect(await refusal(tickets.redeem(tokenOf(url), ['reset_password'], async () => 'late'))).toMatch(/expired/);
    } finally {
      clock -= 601_000;
    }
    expect(await refusal(tickets.inspect('x'.repeat(43), ['reset_password']))).toMatch(/not valid/);
    expect(await refusal(tickets.inspect('short', ['reset_password']))).toMatch(/not valid/);
  });

  it('dies when the email or the password changes, by any path', async () => {
    const user = await newUser();
    const first = await tickets.issue({ purpose: 'reset_password', userId: user.id });
    await tessera.services.userService.update(user.id, { password: 'another long password' });
    expect(await refusal(tickets.inspect(tokenOf(first.url), ['reset_password']))).toMatch(/email or password changed/);

    const second = await tickets.issue({ purpose: 'verify_email', userId: user.id });
    await tessera.services.userService.update(user.id, { email: `moved-${user.email}` });
    expect(await refusal(tickets.redeem(tokenOf(second.url), ['verify_email'], async () => 'stale'))).toMatch(/changed/);
  });

  it('leaves the link usable when what it does fails', async () => {
    const user = await newUser();
    const { url } = await tickets.issue({ purpose: 'verify_email', userId: user.id });
    await expect(
      tickets.redeem(tokenOf(url), ['verify_email'], async () => {
        throw new Error('the effect failed');
      }),
    ).rejects.toThrow('the effect failed');
    expect(await tickets.redeem(tokenOf(url), ['verify_email'], async () => 'done')).toBe('done');
  });

  it('gives one of two racing uses the effect', async () => {
    const user = await newUser();
    const { url } = await tickets.issue({ purpose: 'verify_email', userId: user.id });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 4 }, () => tickets.redeem(tokenOf(url), ['verify_email'], async () => 'effect')),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes.filter((candidate) => candidate.status === 'rejected')) {
      expect(isDomainError(outcome.reason, 'ticket.refused')).toBe(true);
    }
  });

  it('goes with its user', async () => {
    const user = await newUser();
    const { url } = await tickets.issue({ purpose: 'verify_email', userId: user.id });
    await tessera.services.userService.remove(user.id);
    expect(await refusal(tickets.inspect(tokenOf(url), ['verify_email']))).toMatch(/not valid/);
  });
});
