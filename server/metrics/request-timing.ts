/**
 * Times every request on the issuer port into the latency histogram, by route (route-label.ts)
 * and status class. The first middleware of the app, so the time includes Tessera's own layers
 * around the provider. Per request it takes one clock reading before and one after, and finds
 * its histogram child in a map keyed by the route label: no label object, no string built.
 */
import { performance } from 'node:perf_hooks';
import type { Middleware } from 'koa';
import type { Series } from './cheap-histogram.js';
import { routeLabel } from './route-label.js';
import type { TesseraMetrics } from './tessera-metrics.js';

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

export function timeRequests(metrics: Pick<TesseraMetrics, 'requestDuration'>): Middleware {
  const { requestDuration } = metrics;
  // Route labels come from fixed sets, so this map stays as small as they are.
  const children = new Map<string, Array<Series | undefined>>();

  function observerFor(route: string, status: number): Series {
    let byClass = children.get(route);
    if (!byClass) {
      byClass = STATUS_CLASSES.map(() => undefined);
      children.set(route, byClass);
    }
    const index = Math.min(Math.max(Math.trunc(status / 100) - 1, 0), STATUS_CLASSES.length - 1);
    let series = byClass[index];
    if (!series) {
      series = requestDuration.series(route, STATUS_CLASSES[index] as string);
      byClass[index] = series;
    }
    return series;
  }

  return async (ctx, next) => {
    const start = performance.now();
    try {
      await next();
    } catch (error) {
      // Koa's own handler answers 500 after this middleware has returned.
      observerFor(routeLabel(ctx), 500).observe((performance.now() - start) / 1000);
      throw error;
    }
    observerFor(routeLabel(ctx), ctx.status).observe((performance.now() - start) / 1000);
  };
}
