/**
 * The one-shot records that carry a browser's login across a trip to an upstream provider:
 * the flow saved before leaving, and the result the callback leaves for the interaction.
 */
import { randomBytes } from 'node:crypto';

/** How long a browser may spend at an upstream provider before coming back. */
export const UPSTREAM_FLOW_TTL_SECONDS = 10 * 60;

export function newFlowId(): string {
  return randomBytes(24).toString('base64url');
}

/** What the upstream callback leaves for the interaction to pick up in the browser that started it. */
export interface UpstreamResult {
  kind: 'result';
  uid: string;
  userId: string;
  connectionId: string;
}
