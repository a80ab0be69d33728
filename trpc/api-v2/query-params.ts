/**
 * Auth0's query-string conventions as zod schemas: booleans as `true`/`false`, numbers as digits,
 * field lists comma-separated. Each parses the string a client sent into the value a procedure takes.
 */
import { z } from 'zod';

export const queryBoolean = z
  .enum(['true', 'false'])
  .transform((value) => value === 'true')
  .describe('true or false');

export function queryInteger(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

/** `fields=email,name`: the names, trimmed, empty ones dropped. */
export const fieldList = z
  .string()
  .max(2048)
  .transform((value) =>
    value
      .split(',')
      .map((field) => field.trim())
      .filter((field) => field !== ''),
  )
  .describe('comma-separated field names');
