/**
 * Auth0's `fields` and `include_fields` on a read: the named top-level properties only, or all
 * but those, applied to the answer after the procedure, so every procedure keeps one output shape.
 */
import { z } from 'zod';
import { fieldList, queryBoolean } from './query-params.js';

export const fieldSelectionQuery = {
  fields: fieldList.optional(),
  /** true unless said: `fields` lists what to keep. */
  include_fields: queryBoolean.optional(),
};

export interface FieldSelection {
  fields?: string[] | undefined;
  include_fields?: boolean | undefined;
}

/** The record with only the selected properties; the record itself when no fields are named. */
export function selectFields<T extends Record<string, unknown>>(record: T, { fields, include_fields = true }: FieldSelection): Partial<T> {
  if (!fields || fields.length === 0) return record;
  const named = new Set(fields);
  return Object.fromEntries(Object.entries(record).filter(([key]) => named.has(key) === include_fields)) as Partial<T>;
}

/** `fields` and `include_fields` alone, for a read of one record. */
export const fieldSelectionOnly = z.strictObject(fieldSelectionQuery);
