/**
 * What a queue-pool suite (test/bullmq.*.test.ts) shares: queue pools on the
 * test Redis, worker hosts, a Redis client to look at the queue, all closed
 * after the suite.
 */
import { Redis } from 'ioredis';
import type { Pool } from '../../src';
import { createQueuePool } from '../../src/bullmq';
import type { QueueTasks } from '../fixtures/queue.worker';
import { type Host, stopHosts, testRedisUrl } from './hosts';

export interface QueueSuite {
  /** A queue pool on `queue`, closed after the suite. */
  open(queue: string, options?: Partial<Parameters<typeof createQueuePool>[0]>): Pool<QueueTasks>;
  /** Jobs waiting in `queue` (its wait list in Redis). */
  waiting(queue: string): Promise<number>;
  /** The events BullMQ recorded for `queue`, by name. */
  events(queue: string, name: string): Promise<number>;
  /** Hosts to stop after the suite. */
  readonly hosts: Host[];
}

/** Registers the suite's beforeAll and afterAll; call it in the suite's describe. */
export function queueSuite(): QueueSuite {
  const pools: Pool<QueueTasks>[] = [];
  const hosts: Host[] = [];
  let redis: Redis | undefined;
  beforeAll(() => {
    redis = new Redis(testRedisUrl());
  });
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.close()));
    await stopHosts(hosts);
    redis?.disconnect();
  });
  const client = (): Redis => {
    if (!redis) throw new Error('queueSuite(): Redis is connected in beforeAll');
    return redis;
  };
  return {
    hosts,
    open(queue, options = {}) {
      const pool = createQueuePool<QueueTasks>({ connection: testRedisUrl(), queue, ...options });
      pools.push(pool);
      return pool;
    },
    waiting: (queue) => client().llen(`bull:${queue}:wait`),
    async events(queue, name) {
      const events = await client().xrange(`bull:${queue}:events`, '-', '+');
      return events.filter(([, fields]) => fields[0] === 'event' && fields[1] === name).length;
    },
  };
}
