/**
 * Reads a number of events from an event bus subscription around a publishing step, then ends it.
 */
import type { EventBus, UserEvent } from '../../server/events/event-bus.js';

export async function takeEvents(
  bus: EventBus,
  options: { userId?: string; lastEventId?: string },
  count: number,
  publish: () => Promise<void>,
  settleMs = 50,
): Promise<UserEvent[]> {
  const controller = new AbortController();
  const events: UserEvent[] = [];
  const iterator = bus.subscribe({ ...options, signal: controller.signal })[Symbol.asyncIterator]();
  const first = iterator.next();
  // Give the subscriber the moment it needs to start listening (XREAD, or the emitter).
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  await publish();
  let next = await first;
  while (!next.done) {
    events.push(next.value);
    if (events.length === count) break;
    next = await iterator.next();
  }
  controller.abort();
  await iterator.return?.();
  return events;
}
