/**
 * Without Redis, users.events and the profile cache live in each process, and the operator CLI
 * writing beside a running server is a process of its own. Each event published here is also
 * announced (the `user.event` node signal, which only the CLI sends: postgres-signals.ts); an
 * event the CLI announced is published in the server as if written there, so its subscribers
 * see it and its cached profile is dropped. Events are numbered by the server that serves them.
 */
import { type EventBus, USER_EVENT_TYPES, type UserEventType } from './event-bus.js';

export interface SharedUserEvents {
  /** The bus to publish to: here, and to the other processes. */
  readonly bus: EventBus;
  /** Publishes here, through `publishHere`, an event another process announced. */
  receive(detail: string, publishHere: EventBus['publish']): Promise<void>;
}

const isEventType = (value: string): value is UserEventType => (USER_EVENT_TYPES as readonly string[]).includes(value);

export function shareUserEvents(local: EventBus, announce: (detail: string) => void): SharedUserEvents {
  return {
    bus: {
      async publish(type, userId) {
        await local.publish(type, userId);
        announce(`${type} ${userId}`);
      },
      subscribe: (options) => local.subscribe(options),
    },
    async receive(detail, publishHere) {
      // A user id may hold spaces (an LDAP DN): it is everything after the first.
      const space = detail.indexOf(' ');
      const [type, userId] = [detail.slice(0, space), detail.slice(space + 1)];
      if (space === -1 || !isEventType(type) || !userId) return;
      await publishHere(type, userId);
    },
  };
}
