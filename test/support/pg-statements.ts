/**
 * Every statement this process sends to PostgreSQL, shown to a test while `during` runs: to
 * count them, to record them, or to fail some of them as a lost connection would.
 */
import pg from 'pg';

/** `see` gets each statement's text before it is sent; an Error it returns fails that statement instead. */
export async function watchingStatements<T>(see: (text: string) => Error | undefined, during: () => Promise<T>): Promise<T> {
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function watched(this: pg.Client, ...args: unknown[]) {
    const [statement] = args;
    const text = typeof statement === 'string' ? statement : (statement as { text?: string } | undefined)?.text;
    const failure = text === undefined ? undefined : see(text);
    if (failure) return Promise.reject(failure);
    return (query as (...args: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  try {
    return await during();
  } finally {
    pg.Client.prototype.query = query;
  }
}

/** How many statements on oidc_payloads this process sends while `during` runs (not a new pooled connection's setup). */
export async function payloadStatementsDuring(during: () => Promise<unknown>): Promise<number> {
  let count = 0;
  await watchingStatements((text) => {
    if (text.includes('oidc_payloads')) count += 1;
    return undefined;
  }, during);
  return count;
}

/** Makes every insert of an oidc-provider artifact fail as a lost PostgreSQL connection does, while `during` runs. */
export function whilePayloadInsertsFail<T>(during: () => Promise<T>): Promise<T> {
  return watchingStatements(
    (text) => (text.includes('INSERT INTO oidc_payloads') ? new Error('Connection terminated unexpectedly') : undefined),
    during,
  );
}
