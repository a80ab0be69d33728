import { vi } from 'vitest';

/**
 * How many errors of a class were built while `during` ran: oidc-provider's error constructors
 * each capture their stack with `Error.captureStackTrace`, which this counts.
 */
export async function errorsBuilt(errorClass: abstract new (...args: never[]) => Error, during: () => Promise<void>): Promise<number> {
  const spy = vi.spyOn(Error, 'captureStackTrace');
  try {
    await during();
    return spy.mock.calls.filter(([target]) => target instanceof errorClass).length;
  } finally {
    spy.mockRestore();
  }
}
