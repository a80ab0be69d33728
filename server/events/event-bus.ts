/**
 * The users.events feed: every profile write publishes one event after its transaction
 * commits. This in-process bus keeps the latest events so a subscriber that reconnects with
 * its lastEventId misses nothing that is still buffered.
 */
import { EventEmitter, on } from 'node:events';

export const USER_EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deleted',
  'user.linked',
  'user.unlinked',
  'user.blocked',
  'user.login',
] as const;

export type UserEventType = (typeof USER_EVENT_TYPES)[number];

export interface UserEvent {
  id: string;
  type: UserEventType;
  user_id: string;
  at: string;
}

export interface SubscribeOptions {
  userId?: string | undefined;
  /** Who subscribes (a client_id or user_id), for the per-caller cap. */
  subscriber?: string | undefined;
  lastEventId?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface EventBus {
  publish(type: UserEventType, userId: string): Promise<void>;
  subscribe(options: SubscribeOptions): AsyncIterable<UserEvent>;
}

const BUFFER_SIZE = 10_000;

/** Ids sort in publication order: a zero-padded sequence number. */
function eventId(sequence: number): string {
  return sequence.toString().padStart(16, '0');
}

export function createInProcessEventBus(): EventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const buffer: UserEvent[] = [];
  let sequence = 0;

  return {
    async publish(type, userId) {
      sequence += 1;
      const event: UserEvent = { id: eventId(sequence), type, user_id: userId, at: new Date().toISOString() };
      buffer.push(event);
      if (buffer.length > BUFFER_SIZE) buffer.shift();
      emitter.emit('event', event);
    },

    async *subscribe({ userId, lastEventId, signal }) {
      const matches = (event: UserEvent) => !userId || event.user_id === userId;
      // Listen before replaying, so nothing published during the replay falls between the two.
      const live = on(emitter, 'event', signal ? { signal } : {});
      let last = lastEventId ?? '';
      if (lastEventId !== undefined) {
        for (const event of buffer.filter((candidate) => candidate.id > lastEventId)) {
          last = event.id;
          if (matches(event)) yield event;
        }
      }
      try {
        for await (const [event] of live as AsyncIterable<[UserEvent]>) {
          if (event.id <= last) continue;
          last = event.id;
          if (matches(event)) yield event;
        }
      } catch (error) {
        if (!(error instanceof Error && error.name === 'AbortError')) throw error;
      }
    },
  };
}
