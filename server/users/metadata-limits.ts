/**
 * Bounds on user_metadata and app_metadata, as Auth0 bounds them: every profile read carries
 * them, so an unbounded one slows every login of its user. Depth is measured with a list of
 * pending values rather than recursion, so a value nested 5,000 levels deep is refused, not a
 * stack overflow.
 * @see https://auth0.com/docs/manage-users/user-accounts/metadata/metadata-fields-data
 */
import { DomainError } from '../errors.js';

export const MAX_METADATA_BYTES = 16 * 1024;
/** The metadata object itself is level 1: `{ "a": { "b": 1 } }` is 2 levels deep. */
export const MAX_METADATA_DEPTH = 10;

function tooDeep(value: unknown): boolean {
  const pending: Array<[value: unknown, level: number]> = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [current, level] = next;
    if (current === null || typeof current !== 'object') continue;
    if (level > MAX_METADATA_DEPTH) return true;
    for (const child of Object.values(current)) pending.push([child, level + 1]);
  }
  return false;
}

/** Why `metadata` cannot be stored, or undefined when it can. */
export function metadataProblem(metadata: Record<string, unknown>): string | undefined {
  if (tooDeep(metadata)) return `must not nest deeper than ${MAX_METADATA_DEPTH} levels`;
  const bytes = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
  if (bytes > MAX_METADATA_BYTES) return `must not exceed ${MAX_METADATA_BYTES} bytes as JSON (it would hold ${bytes})`;
  return undefined;
}

/** users.update merges at the top level (null removes a key): the merged object must fit too. */
export function checkMergedMetadata(
  field: 'user_metadata' | 'app_metadata',
  current: Record<string, unknown>,
  patch: Record<string, unknown> | undefined,
): void {
  if (!patch) return;
  // A Map, then fromEntries: a key named __proto__ stays a key.
  const merged = new Map(Object.entries(current));
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) merged.delete(key);
    else merged.set(key, value);
  }
  const problem = metadataProblem(Object.fromEntries(merged));
  if (problem) throw new DomainError('user.invalid', `${field} once merged ${problem}`, field);
}
