// timeout (marbles): counted from the start of a run, not the wait in the queue.
import { map } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { Outcome } from '../src';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { newTestScheduler } from './specHelpers';

const tasks = { wait: (frames: number): number => frames };
/** Each request takes as many frames as its argument. */
const byArgument = (_task: string, args: readonly unknown[]): number => args[0] as number;
const show = map((outcome: Outcome<readonly unknown[], unknown>) => (outcome.ok ? outcome.value : outcome.error.name));

let testScheduler: TestScheduler;
beforeEach(() => (testScheduler = newTestScheduler()));
describe('timeouts (marbles)', () => {
  test('timeout counts from the start of a run: a request past it fails at that frame; waiting in the queue does not count', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: byArgument });
      // a takes 3 frames, b 9 (> timeout 4), c 3: c waits 7 frames yet succeeds.
      const values = { a: 3, b: 9, c: 3 };
      expectObservable(cold('(abc|)', values).pipe(poolMap(pool, 'wait', { timeout: 4 }), show)).toBe('---a---b--(c|)', {
        a: 3,
        b: 'TaskTimeoutError',
        c: 3,
      });
    });
  });
});
