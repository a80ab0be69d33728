/**
 * jsonb cannot hold NUL, and payloads carry request parameters (state, nonce, login_hint): such
 * a request is the caller's mistake, refused as one (invalid_request, sent back to the client)
 * before any store sees it, whichever store that is.
 */
import { errors } from 'oidc-provider';
import type { AdapterPayload } from './types.js';

/** Whether any string or key in `value` holds NUL; a list of pending values, not recursion. */
function holdsNul(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string') {
      if (next.includes('\u0000')) return true;
    } else if (next !== null && typeof next === 'object') {
      for (const [key, child] of Object.entries(next)) {
        if (key.includes('\u0000')) return true;
        pending.push(child);
      }
    }
  }
  return false;
}

export function refuseNul(id: string, payload: AdapterPayload): void {
  if (holdsNul(payload) || id.includes('\u0000')) throw new errors.InvalidRequest('parameters must not contain the NUL character');
}
