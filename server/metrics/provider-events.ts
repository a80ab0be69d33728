/**
 * Counts what oidc-provider reports through its events, so the token code needs no hook of its
 * own: `grant.success` is emitted once per token request oidc-provider answered with tokens.
 * The answer still waits for their writes (server/oidc/token-writes.ts), which may turn it into
 * an error: what counts is the status that leaves. Called for each provider instance built (one
 * per signing-key rotation); the counters are shared.
 * @see https://github.com/panva/node-oidc-provider/blob/main/docs/events.md
 */
import type Provider from 'oidc-provider';
import { GRANT_TYPES } from './route-label.js';
import type { TesseraMetrics } from './tessera-metrics.js';

export function countProviderEvents(provider: Provider, metrics: Pick<TesseraMetrics, 'tokensIssued'>): Provider {
  const byGrantType = new Map([...GRANT_TYPES.values()].map((grantType) => [grantType, metrics.tokensIssued.labels(grantType)]));
  const other = metrics.tokensIssued.labels('other');
  provider.on('grant.success', (ctx) => {
    const grantType = ctx.oidc.params?.['grant_type'];
    const counter = (typeof grantType === 'string' && byGrantType.get(grantType)) || other;
    ctx.res.once('finish', () => {
      if (ctx.res.statusCode === 200) counter.inc();
    });
  });
  return provider;
}
