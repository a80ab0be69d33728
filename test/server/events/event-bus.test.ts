import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createInProcessEventBus, type EventBus } from '../../../server/events/event-bus.js';
import { createRedisEventBus } from '../../../server/events/redis-event-bus.js';
import { takeEvents } from '../../support/take-events.js';

const connections: Redis[] = [];
afterAll(() => {
  for (const redis of connections) redis.disconnect();
});

const namespace = `test-${randomBytes(4).toString('hex')}`;

function redisBus(): EventBus {
  const redis = new Redis(inject('redisUrl'));
  connections.push(redis);
  return createRedisEventBus(redis, namespace);
}

describe.each([
  ['in-process', () => createInProcessEventBus()],
  ['Redis Streams', redisBus],
] as Array<[string, () => EventBus]>)('event bus (%s)', (_name, make) => {
  const user = () => `database|${randomBytes(6).toString('hex')}`;

  it('delivers published events in order with their type, user and time', async () => {
    const bus = make();
    const id = user();
    const events = await takeEvents(bus, { userId: id }, 2, async () => {
      await bus.publish('user.created', id);
      await bus.publish('user.updated', id);
    });
    expect(events.map((event) => event.type)).toEqual(['user.created', 'user.updated']);
    expect(events.every((event) => event.user_id === id && !Number.isNaN(Date.parse(event.at)))).toBe(true);
  });

  it('filters by user_id', async () => {
    const bus = make();
    const wanted = user();
    const events = await takeEvents(bus, { userId: wanted }, 1, async () => {
      await bus.publish('user.created', user());
      await bus.publish('user.deleted', wanted);
    });
    expect(events).toMatchObject([{ type: 'user.deleted', user_id: wanted }]);
  });

  it('resumes after lastEventId with the events published since', async () => {
    const bus = make();
    const id = user();
    const [seen] = await takeEvents(bus, { userId: id }, 1, () => bus.publish('user.created', id));
    await bus.publish('user.updated', id);
    await bus.publish('user.blocked', id);
    const resumed = await takeEvents(bus, { userId: id, lastEventId: seen!.id }, 2, async () => undefined);
    expect(resumed.map((event) => event.type)).toEqual(['user.updated', 'user.blocked']);
  });
});

describe('event bus across nodes', () => {
  it('delivers an event published through one Redis connection to a subscriber on another', async () => {
    const nodeA = redisBus();
    const nodeB = redisBus();
    const id = `database|${randomBytes(6).toString('hex')}`;
    const events = await takeEvents(nodeB, { userId: id }, 1, () => nodeA.publish('user.login', id));
    expect(events).toMatchObject([{ type: 'user.login', user_id: id }]);
  });
});
