// rxjs-threadpool's worker for the keyed tiny workload: each key's count lives in the worker that owns the key.
import { exposeTasks } from '../../src/worker';
import { countKey, type Key, type KeyedRequest, placeOf } from '../tasks';

const counts = new Map<Key, number>();

export const tasks = exposeTasks({
  // The request carries its key only for poolMap's `key` option to read (keyOf); the task uses `this.key`.
  countKey(this: { readonly key?: string | number }, request: KeyedRequest): number {
    const key = this?.key; // `?.`: a clear error below, rather than a TypeError, if a task is ever called without `this`
    if (key === undefined) throw new Error(`countKey: no this.key for request ${placeOf(request)} (was poolMap given the key option?)`);
    return countKey(counts, key);
  },
});
export type KeyedTasks = typeof tasks;
