/**
 * users.events as a React hook: calls `onEvent` for each event (of one user, or of all), and
 * unsubscribes when the page goes. The stream resumes by itself after a dropped connection.
 */
import { useEffect, useRef } from 'react';
import type { Api } from './api.js';

export interface UserEvent {
  type: string;
  user_id: string;
  at: string;
}

export function useUserEvents(
  api: Api,
  userId: string | undefined,
  onEvent: (event: UserEvent) => void,
  onError: (error: unknown) => void,
) {
  const handlers = useRef({ onEvent, onError });
  handlers.current = { onEvent, onError };
  useEffect(() => {
    const subscription = api.users.events.subscribe(userId ? { user_id: userId } : {}, {
      onData: (envelope) => handlers.current.onEvent(envelope.data),
      onError: (error) => handlers.current.onError(error),
    });
    return () => subscription.unsubscribe();
  }, [api, userId]);
}
