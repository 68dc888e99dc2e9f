// timeout (marbles): counted from the start of a run, not the wait in the queue; a task that reads its signal is
// aborted at the timeout and keeps its worker if its frames run out within cancelGrace.
import { map } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { Outcome } from '../src';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { framesByArgument as byArgument, newTestScheduler, signalled, signalTasks, workerEvents } from './specHelpers';

const tasks = { wait: (frames: number): number => frames };
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

describe('timeouts of a task that reads its signal (marbles)', () => {
  test("its outcome is the timeout's, at the timeout's frame; its signal aborts then (TimeoutError), and its worker is kept until its frames are over", () => {
    const log: string[] = [];
    testScheduler.run(({ cold, expectObservable }) => {
      const listening = createVirtualPool(signalTasks(log, testScheduler), { scheduler: testScheduler, size: 1, duration: byArgument });
      const ignoring = createVirtualPool(signalTasks(log, testScheduler), { scheduler: testScheduler, size: 1, duration: byArgument });
      // a takes 6 frames (> timeout 4), b 2.
      const values = { a: 6, b: 2 };
      // listen: a ends at 4 as timed out, its signal aborted; worker 1 is kept until a's frames are over (6), then runs b (6-8).
      expectObservable(cold('(ab|)', values).pipe(poolMap(listening, 'listen', { timeout: 4 }), signalled)).toBe('----a---(b|)', {
        a: 'TaskTimeoutError signalled',
        b: 2,
      });
      expectObservable(workerEvents(listening.events$)).toBe('');
      // wait never read its signal: worker 1 is replaced at 4, and worker 2 runs b (4-6).
      expectObservable(cold('(ab|)', values).pipe(poolMap(ignoring, 'wait', { timeout: 4 }), signalled)).toBe('----a-(b|)', {
        a: 'TaskTimeoutError',
        b: 2,
      });
      expectObservable(workerEvents(ignoring.events$)).toBe('----(xs)', { x: 'exited 1 terminated', s: 'started 2' });
    });
    expect(log).toEqual(['4 TimeoutError']);
  });

  test("one whose frames run past cancelGrace is replaced when the grace has passed (the poolMap option, or the pool's default)", () => {
    const log: string[] = [];
    testScheduler.run(({ cold, expectObservable }) => {
      const byPipeline = createVirtualPool(signalTasks(log, testScheduler), { scheduler: testScheduler, size: 1, duration: byArgument });
      const byPool = createVirtualPool(signalTasks(log, testScheduler), { scheduler: testScheduler, size: 1, duration: byArgument, cancelGrace: 3 });
      // a takes 20 frames and times out at 4; with a grace of 3, worker 1 is terminated at 7 and worker 2 runs b (7-9).
      const values = { a: 20, b: 2 };
      const outcomes = { a: 'TaskTimeoutError signalled', b: 2 };
      const replaced = { x: 'exited 1 terminated', s: 'started 2' };
      expectObservable(cold('(ab|)', values).pipe(poolMap(byPipeline, 'listen', { timeout: 4, cancelGrace: 3 }), signalled)).toBe('----a----(b|)', outcomes);
      expectObservable(workerEvents(byPipeline.events$)).toBe('-------(xs)', replaced);
      expectObservable(cold('(ab|)', values).pipe(poolMap(byPool, 'listen', { timeout: 4 }), signalled)).toBe('----a----(b|)', outcomes);
      expectObservable(workerEvents(byPool.events$)).toBe('-------(xs)', replaced);
    });
    expect(log).toEqual(['4 TimeoutError', '4 TimeoutError']);
  });

  test("frames that run out on the grace's last frame are within it: the worker is kept", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(signalTasks([], testScheduler), { scheduler: testScheduler, size: 1, duration: byArgument, cancelGrace: 3 });
      // a takes 7 frames and times out at 4: its frames are over at 7, the grace's last frame; worker 1 then runs b (7-9).
      expectObservable(cold('(ab|)', { a: 7, b: 2 }).pipe(poolMap(pool, 'listen', { timeout: 4 }), signalled)).toBe('----a----(b|)', {
        a: 'TaskTimeoutError signalled',
        b: 2,
      });
      expectObservable(workerEvents(pool.events$)).toBe('');
    });
  });
});
