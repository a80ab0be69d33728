import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, clientCredentialsToken, managementClient } from '../support/management-client.js';
import { startTestTessera } from '../support/tessera.js';

type Event = { type: string; user_id: string; at: string };

/** Subscribes and collects events until `count` arrived; resolves with them and the last event id. */
function collect(client: ReturnType<typeof managementClient>, input: { user_id?: string; lastEventId?: string }, count: number) {
  const events: Array<Event & { id: string }> = [];
  let started!: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  const done = new Promise<Array<Event & { id: string }>>((resolve, reject) => {
    const subscription = client.users.events.subscribe(input, {
      onStarted: () => started(),
      onData: (tracked) => {
        events.push({ id: tracked.id, ...tracked.data });
        if (events.length === count) {
          subscription.unsubscribe();
          resolve(events);
        }
      },
      onError: reject,
    });
  });
  return { ready, done };
}

describe.each([
  ['in-process bus', false],
  ['Redis Streams', true],
])('users.events over SSE (%s)', (_name, redis) => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  let reader: ReturnType<typeof managementClient>;

  beforeAll(async () => {
    tessera = await startTestTessera({ redis });
    admin = await adminClient(tessera.issuer);
    reader = managementClient(tessera.issuer, await clientCredentialsToken(tessera.issuer, 'read:users'));
  });
  afterAll(() => tessera?.stop());

  it('streams one event per write, in order, filtered by user_id', async () => {
    const user = await admin.users.create.mutate({ connection: 'Username-Password', email: 'ev@example.com', password: 'a long password' });
    const { ready, done } = collect(reader, { user_id: user.user_id! }, 3);
    await ready;
    await admin.users.create.mutate({ connection: 'Username-Password', email: 'noise@example.com', password: 'a long password' });
    await admin.users.update.mutate({ id: user.user_id!, name: 'Ev' });
    await admin.users.update.mutate({ id: user.user_id!, blocked: true });
    const events = await done;
    expect(events.map((event) => event.type)).toEqual(['user.updated', 'user.blocked', 'user.updated']);
    expect(new Set(events.map((event) => event.user_id))).toEqual(new Set([user.user_id]));
    expect(Date.parse(events[0]!.at)).not.toBeNaN();
  });

  it('resumes after lastEventId without losing the events published while disconnected', async () => {
    const first = collect(reader, {}, 1);
    await first.ready;
    const a = await admin.users.create.mutate({
      connection: 'Username-Password',
      email: 'resume-a@example.com',
      password: 'a long password',
    });
    const [seen] = await first.done;
    expect(seen).toMatchObject({ type: 'user.created', user_id: a.user_id });

    // Disconnected: these happen while nobody listens.
    await admin.users.update.mutate({ id: a.user_id!, name: 'A' });
    await admin.users.delete.mutate({ id: a.user_id! });

    const resumed = collect(reader, { lastEventId: seen!.id }, 2);
    const events = await resumed.done;
    expect(events.map((event) => [event.type, event.user_id])).toEqual([
      ['user.updated', a.user_id],
      ['user.deleted', a.user_id],
    ]);
  });

  it('refuses a subscriber without read:users', async () => {
    const limited = managementClient(tessera.issuer, await clientCredentialsToken(tessera.issuer, 'create:users'));
    const error = await new Promise<unknown>((resolve) => {
      const subscription = limited.users.events.subscribe(
        {},
        {
          onError: (err) => {
            subscription.unsubscribe();
            resolve(err);
          },
        },
      );
    });
    expect((error as { data?: { code?: string } }).data?.code).toBe('FORBIDDEN');
  });
});
