import { describe, expect, it } from 'vitest';
import { createInProcessEventBus, type UserEventType } from '../../../server/events/event-bus.js';
import { shareUserEvents } from '../../../server/events/shared-user-events.js';
import { takeEvents } from '../../support/take-events.js';

describe('users.events shared between processes without Redis', () => {
  it("publishes here and announces; another process's announcement is published there", async () => {
    const announced: string[] = [];
    const cliBus = createInProcessEventBus();
    const cli = shareUserEvents(cliBus, (detail) => announced.push(detail));
    const server = shareUserEvents(createInProcessEventBus(), () => undefined);

    const events = await takeEvents(cliBus, {}, 1, () => cli.bus.publish('user.blocked', 'ldap|cn=Jane Doe,dc=example'));
    expect(events.map((event) => [event.type, event.user_id])).toEqual([['user.blocked', 'ldap|cn=Jane Doe,dc=example']]);
    expect(announced).toHaveLength(1);

    const published: Array<[UserEventType, string]> = [];
    await server.receive(announced[0]!, async (type, userId) => {
      published.push([type, userId]);
    });
    expect(published).toEqual([['user.blocked', 'ldap|cn=Jane Doe,dc=example']]);
  });

  it('ignores an announcement it cannot read', async () => {
    const server = shareUserEvents(createInProcessEventBus(), () => undefined);
    const published: string[] = [];
    for (const detail of ['', 'user.updated', 'user.updated ', 'user.unknown database|x', ' database|x']) {
      await server.receive(detail, async (type, userId) => {
        published.push(`${type} ${userId}`);
      });
    }
    expect(published).toEqual([]);
  });
});
