// Jest globalSetup: one redis-server for the queue tests (REDIS_URL in their environment). Cheap: ~50 ms.
import { startRedis } from './server';

export default async function globalSetup(): Promise<void> {
  const server = await startRedis();
  process.env.RXJS_THREADPOOL_TEST_REDIS = server.url;
  (globalThis as { __redisServer?: unknown }).__redisServer = server;
}
