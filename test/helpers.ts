import { join } from 'node:path';
import { lastValueFrom, type Observable, toArray } from 'rxjs';
import { createPool, type Pool, type PoolOptions, type TaskMap } from '../src';
import type { Tasks } from './fixtures/tasks.worker';

/** Absolute path of a fixture worker. */
export function fixture(name: string): string {
  return join(__dirname, 'fixtures', name);
}

const open = new Set<Pool<TaskMap>>();

/** A pool on the tasks fixture, closed by `closePools()` after each test. */
export function tasksPool(options?: PoolOptions): Pool<Tasks> {
  return track(createPool<Tasks>(fixture('tasks.worker.ts'), options));
}

/** Registers a pool for `closePools()`. */
export function track<T extends TaskMap>(pool: Pool<T>): Pool<T> {
  open.add(pool as unknown as Pool<TaskMap>);
  return pool;
}

/** Closes every pool a test opened. Call it in `afterEach`. */
export async function closePools(): Promise<void> {
  const pools = [...open];
  open.clear();
  await Promise.all(pools.map((pool) => pool.close()));
}

/** Every value of a finite stream. */
export function collect<T>(source: Observable<T>): Promise<T[]> {
  return lastValueFrom(source.pipe(toArray()));
}
