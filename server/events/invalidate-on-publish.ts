/**
 * Every committed profile write publishes its event; wrapping the bus so that publishing first
 * invalidates the cached profile makes it impossible to write without invalidating.
 */
import type { ProfileCache } from '../../adapters/cache/profile-cache.js';
import type { EventBus } from './event-bus.js';

export function invalidateOnPublish(bus: EventBus, cache: Pick<ProfileCache<object>, 'invalidate'>): EventBus {
  return {
    async publish(type, userId) {
      await cache.invalidate(userId);
      await bus.publish(type, userId);
    },
    subscribe: (options) => bus.subscribe(options),
  };
}
