/**
 * Refuses, before any schema or store sees it, an input no store can hold: PostgreSQL refuses
 * the NUL character in text and jsonb, and jsonb an unpaired UTF-16 surrogate (`"\ud800"` in
 * the JSON body), so one in any string or key failed its statement as a 500; and a value
 * nested thousands of levels deep exhausts the stack of whatever recurses over it
 * (JSON.stringify, zod). The walk keeps a list of pending values instead of recursing.
 */
import { TRPCError } from '@trpc/server';
import { DomainError } from '../../server/errors.js';

export const MAX_INPUT_DEPTH = 32;

function problem(input: unknown): { path: string; message: string } | undefined {
  const pending: Array<[value: unknown, path: readonly string[]]> = [[input, []]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, path] = next;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return { path: path.join('.'), message: 'must not contain the NUL character (\\u0000)' };
      if (!value.isWellFormed()) return { path: path.join('.'), message: 'must be valid Unicode (it holds an unpaired surrogate)' };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= MAX_INPUT_DEPTH) return { path: path.join('.'), message: `nests deeper than ${MAX_INPUT_DEPTH} levels` };
    for (const [key, child] of Object.entries(value)) {
      if (key.includes('\u0000')) return { path: path.join('.'), message: 'must not hold a key with the NUL character (\\u0000)' };
      if (!key.isWellFormed())
        return { path: path.join('.'), message: 'must not hold a key that is invalid Unicode (an unpaired surrogate)' };
      pending.push([child, [...path, key]]);
    }
  }
  return undefined;
}

export async function refuseUnstorableInput<T>({
  getRawInput,
  next,
}: {
  getRawInput: () => Promise<unknown>;
  next: () => Promise<T>;
}): Promise<T> {
  const found = problem(await getRawInput());
  if (found) {
    const message = `${found.path || 'input'}: ${found.message}`;
    throw new TRPCError({ code: 'BAD_REQUEST', message, cause: new DomainError('input.invalid', message, found.path || undefined) });
  }
  return next();
}
