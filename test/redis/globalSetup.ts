// Jest globalSetup: the Redis the queue tests use (RXJS_THREADPOOL_TEST_REDIS in their environment).
// REDIS_URL, when set, names a running one (say, in Docker); otherwise one redis-server is started here
// on a random loopback port (~50 ms). Without either, nothing is started: the suites that need Redis
// fail alone, each with one message saying how to install it (test/programs/environment.ts).
import { onPath } from '../programs/programs';
import { startRedis } from './server';

export default async function globalSetup(): Promise<void> {
  if (process.env.REDIS_URL) {
    process.env.RXJS_THREADPOOL_TEST_REDIS = process.env.REDIS_URL;
    return;
  }
  if (!onPath('redis-server')) return;
  const server = await startRedis();
  process.env.RXJS_THREADPOOL_TEST_REDIS = server.url;
  (globalThis as { __redisServer?: unknown }).__redisServer = server;
}
