/**
 * Caps on open users.events feeds, per node and per caller: each holds an HTTP response and
 * its place in the fan-out for as long as it stays open, so one caller opening thousands
 * must not take a node's memory and sockets. A subscription over a cap is refused at once
 * with TOO_MANY_REQUESTS (over SSE, tRPC sends it as the stream's error event).
 */
import { DomainError } from '../errors.js';
import type { EventBus, SubscribeOptions } from './event-bus.js';

export interface SubscriberLimits {
  readonly perNode: number;
  readonly perCaller: number;
}

export function limitSubscribers(bus: EventBus, limits: SubscriberLimits): EventBus {
  let open = 0;
  const byCaller = new Map<string, number>();

  function reserve(caller: string): () => void {
    const held = byCaller.get(caller) ?? 0;
    if (held >= limits.perCaller) {
      throw new DomainError(
        'events.too_many_subscribers',
        `a caller may hold at most ${limits.perCaller} users.events subscriptions at once`,
      );
    }
    if (open >= limits.perNode) {
      throw new DomainError(
        'events.too_many_subscribers',
        `this node serves at most ${limits.perNode} users.events subscriptions; try again later`,
      );
    }
    open += 1;
    byCaller.set(caller, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      open -= 1;
      const left = (byCaller.get(caller) ?? 1) - 1;
      if (left > 0) byCaller.set(caller, left);
      else byCaller.delete(caller);
    };
  }

  return {
    publish: (type, userId) => bus.publish(type, userId),
    subscribe(options: SubscribeOptions) {
      const release = reserve(options.subscriber ?? '');
      // The feed ends by its signal (the client went away) or by its consumer stopping.
      options.signal?.addEventListener('abort', release, { once: true });
      const events = bus.subscribe(options);
      return (async function* () {
        try {
          yield* events;
        } finally {
          release();
        }
      })();
    },
  };
}
