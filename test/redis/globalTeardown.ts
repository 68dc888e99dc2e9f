// Jest globalTeardown: stops the redis-server of globalSetup by its pid.
import type { RedisServer } from './server';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __redisServer?: RedisServer }).__redisServer?.stop();
}
