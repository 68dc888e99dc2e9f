// key (marbles): per-key order, keys interleaved within a worker's batches, a key's worker dying, keyReleased.
import { map, merge } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { TaskContext } from '../src';
import { exposeTasks } from '../src/worker';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { type AnyOutcome, newTestScheduler } from './specHelpers';

/** A request: its key and a label; `frames` is how long it takes. */
interface Item {
  readonly key: string;
  readonly label: string;
  readonly frames?: number;
}

/** Each key's count of requests seen by the worker it ran on, kept per virtual worker's module state: here one map per pool. */
function keyedTasks(): { tasks: { visit(this: TaskContext, item: Item): string }; released: string[] } {
  const seen = new Map<string | number, number>();
  const released: string[] = [];
  const tasks = exposeTasks(
    {
      visit(this: TaskContext, item: Item): string {
        const count = (seen.get(this.key!) ?? 0) + 1;
        seen.set(this.key!, count);
        return `${item.label}@${String(this.key)}#${count}`;
      },
    },
    {
      keyReleased: (key) => {
        released.push(String(key));
        seen.delete(key);
      },
    },
  );
  return { tasks, released };
}

const framesOf = (_task: string, args: readonly unknown[]): number => (args[0] as Item).frames ?? 1;
const valueOf = map((outcome: AnyOutcome) => (outcome.ok ? outcome.value : `E:${(outcome.error as { code?: string }).code}`));
const byKey = (item: Item): string => item.key;

let testScheduler: TestScheduler;
beforeEach(() => (testScheduler = newTestScheduler()));

describe('key (marbles)', () => {
  test("the TSDoc diagram: a request waits while its key runs, then runs on its key's worker", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { tasks } = keyedTasks();
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: 3 });
      const items = { a: { key: '1', label: 'a' }, b: { key: '2', label: 'b' }, c: { key: '1', label: 'c' } };
      expectObservable(cold('abc|', items).pipe(poolMap(pool, 'visit', { key: byKey }), valueOf)).toBe('---AB-(C|)', {
        A: 'a@1#1',
        B: 'b@2#1',
        C: 'c@1#2',
      });
    });
  });

  test('requests of one key run one at a time in arrival order, while another key runs beside them', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { tasks } = keyedTasks();
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: framesOf });
      // x1 takes 4 frames and x2 1: without a key x2 would finish first on the free worker; y runs beside x
      const items = {
        a: { key: 'x', label: 'x1', frames: 4 },
        b: { key: 'x', label: 'x2', frames: 1 },
        c: { key: 'y', label: 'y1', frames: 2 },
      };
      expectObservable(cold('(abc|)', items).pipe(poolMap(pool, 'visit', { key: byKey, batch: 1 }), valueOf)).toBe('--C-A(B|)', {
        A: 'x1@x#1',
        B: 'x2@x#2',
        C: 'y1@y#1',
      });
    });
  });

  test('a batch carries many keys, an even share of each, so a hot key holds the others up for one batch at most', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { tasks } = keyedTasks();
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 5 });
      // Six requests of the hot key h queued before one of each cold key c and d: with batches of 4 the
      // first batch takes 2 of h, c and d (an even share), not 4 of h.
      const items: Record<string, Item> = {
        a: { key: 'h', label: 'h1' },
        b: { key: 'h', label: 'h2' },
        c: { key: 'h', label: 'h3' },
        d: { key: 'h', label: 'h4' },
        e: { key: 'h', label: 'h5' },
        f: { key: 'h', label: 'h6' },
        g: { key: 'c', label: 'c1' },
        i: { key: 'd', label: 'd1' },
      };
      // A first request alone (5 frames: the worker is busy with it while the rest queue), then batches of
      // at most 4 requests: h went back to the end of the ring when its first batch ended, behind c and d.
      const output = cold('a(bcdefgi|)', items).pipe(poolMap(pool, 'visit', { key: byKey, batch: 4 }), valueOf);
      expectObservable(output).toBe('5ms a 19ms (gibc) 9ms (def|)', {
        a: 'h1@h#1',
        b: 'h2@h#2',
        c: 'h3@h#3',
        g: 'c1@c#1',
        i: 'd1@d#1',
        d: 'h4@h#4',
        e: 'h5@h#5',
        f: 'h6@h#6',
      });
    });
  });

  test("outcomes of a key stay in that key's order with ordered: false, and in global order with ordered: true", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { tasks } = keyedTasks();
      const unordered = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: framesOf });
      const ordered = createVirtualPool(keyedTasks().tasks, { scheduler: testScheduler, size: 2, duration: framesOf });
      // x2 waits for x1 (3 frames) although the other worker is free from frame 1, then takes 4
      const items = { a: { key: 'x', label: 'x1', frames: 3 }, b: { key: 'y', label: 'y1', frames: 1 }, c: { key: 'x', label: 'x2', frames: 4 } };
      const values = { A: 'x1@x#1', B: 'y1@y#1', C: 'x2@x#2' };
      expectObservable(cold('(abc|)', items).pipe(poolMap(unordered, 'visit', { key: byKey, batch: 1 }), valueOf)).toBe('-B-A---(C|)', values);
      expectObservable(cold('(abc|)', items).pipe(poolMap(ordered, 'visit', { key: byKey, batch: 1, ordered: true }), valueOf)).toBe('---(AB)(C|)', values);
    });
  });

  test("a key's worker dying (a request of another pipeline timed out on it): the key moves to a live worker, in order", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { tasks } = keyedTasks();
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: framesOf });
      const items = {
        a: { key: 'k', label: 'k1' },
        s: { key: 'stuck', label: 's', frames: 100 },
        b: { key: 'k', label: 'k2' },
      };
      // k1 runs at 0; s blocks the only worker from 1 until its timeout at 4 replaces it; k2, queued for
      // the dead worker, runs on the new one. (Virtual workers share one module, so the count goes on: on
      // threads each worker has its own, and a moved key's state starts afresh.)
      const keyed = cold('a-b|', items).pipe(poolMap(pool, 'visit', { key: byKey }), valueOf);
      const stuck = cold('-s|', items).pipe(poolMap(pool, 'visit', { key: byKey, timeout: 3 }), valueOf);
      expectObservable(merge(keyed, stuck)).toBe('-a--S(b|)', { a: 'k1@k#1', S: 'E:ERR_TASK_TIMEOUT', b: 'k2@k#2' });
    });
  });

  test('when the pool grows, a key that moves is released on its old worker first', () => {
    testScheduler.run(({ cold, flush }) => {
      const { tasks, released } = keyedTasks();
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 1 });
      const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'];
      const first = Object.fromEntries(keys.map((key, i) => [String.fromCharCode(97 + i), { key, label: 'first' }]));
      const outcomes: string[] = [];
      cold('(abcdefgh|)', first)
        .pipe(poolMap(pool, 'visit', { key: byKey, batch: 8 }), valueOf)
        .subscribe((value) => outcomes.push(String(value)));
      flush();
      void pool.createWorkers(1);
      const second = cold('(abcdefgh|)', first).pipe(
        map((item) => ({ ...item, label: 'second' })),
        poolMap(pool, 'visit', { key: byKey, batch: 8 }),
        valueOf,
      );
      const seconds: string[] = [];
      second.subscribe((value) => seconds.push(String(value)));
      flush();
      // Some keys moved to the new worker: each was released on the old one, and started afresh there.
      expect(released.length).toBeGreaterThan(0);
      for (const key of keys) {
        const count = seconds.find((value) => value.startsWith(`second@${key}#`))!.split('#')[1];
        expect(count).toBe(released.includes(key) ? '1' : '2');
      }
      expect(outcomes).toHaveLength(8);
    });
  });

  test('a key that throws, or is not a string or a number, ends that request with CallbackError; the stream goes on', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { tasks } = keyedTasks();
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 5 });
      const items = { a: { key: 'x', label: 'a' }, b: { key: 'boom', label: 'b' }, c: { key: 'obj', label: 'c' }, d: { key: 'x', label: 'd' } };
      const key = (item: Item): string => {
        if (item.key === 'boom') throw new Error('no key');
        return item.key === 'obj' ? ({} as string) : item.key;
      };
      const show = map((outcome: AnyOutcome) =>
        outcome.ok ? outcome.value : `${(outcome.error as { code?: string }).code}:${(outcome.error as { option?: string }).option}`,
      );
      expectObservable(cold('(abcd|)', items).pipe(poolMap(pool, 'visit', { key, batch: 1 }), show)).toBe('(BC)-a----(D|)', {
        B: 'ERR_CALLBACK_FAILED:key',
        C: 'ERR_CALLBACK_FAILED:key',
        a: 'a@x#1',
        D: 'd@x#2',
      });
    });
  });
});
