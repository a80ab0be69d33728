/** Live events: the users.events stream as a table that fills, newest first, as things happen. */
import { useState } from 'react';
import { describeFailure } from '../api.js';
import type { PageProps } from '../console.js';
import { Link } from '../link.js';
import { type UserEvent, useUserEvents } from '../user-events.js';
import { FailureMessage } from './applications.js';

const KEPT = 200;

export function EventsPage({ api, failed }: PageProps) {
  const [events, setEvents] = useState<UserEvent[]>([]);
  const [failure, setFailure] = useState<ReturnType<typeof describeFailure> | undefined>();
  useUserEvents(
    api,
    undefined,
    (event) => setEvents((shown) => [event, ...shown].slice(0, KEPT)),
    (error) => {
      setFailure(describeFailure(error));
      failed(error);
    },
  );
  return (
    <section aria-labelledby="events-heading">
      <h1 id="events-heading">Live events</h1>
      <FailureMessage failure={failure} />
      <p className="status">Changes to users appear here as they happen; the newest {KEPT} are kept.</p>
      <div className="table-scroll">
        <table className="events">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">User</th>
            </tr>
          </thead>
          <tbody aria-live="polite">
            {events.map((event) => (
              <tr key={`${event.at}-${event.type}-${event.user_id}`}>
                <td>{new Date(event.at).toLocaleTimeString()}</td>
                <td>{event.type}</td>
                <td>
                  {event.type === 'user.deleted' ? (
                    event.user_id
                  ) : (
                    <Link href={`/admin/users/${encodeURIComponent(event.user_id)}`}>{event.user_id}</Link>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
