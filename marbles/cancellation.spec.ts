// Cancellation (marbles): unsubscribing (explicitly, by take or takeUntil) drops queued requests; cancel: 'terminate' frees the worker at once,
// unless its task reads its signal: then the signal aborts, and the worker is kept if the task's frames run out within cancelGrace.
import { map, take } from 'rxjs';
import type { Outcome, TaskContext } from '../src';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { doubled, framesByArgument, n, recording, sameAsMergeMap, show, signalTasks, testScheduler, useVirtualTime, workerEvents } from './specHelpers';

useVirtualTime();

describe('poolMap: unsubscription', () => {
  test('unsubscribing drops queued requests (they never start) and frees the pool for the next pipeline', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const { calls, tasks: recorded } = recording();
      const pool = createVirtualPool(recorded, { scheduler: testScheduler, size: 1, duration: 3 });
      const queued: number[] = [];
      // scheduled first, so these run before anything else on their frame
      testScheduler.schedule(() => void queued.push(pool.stats.queued), 4);
      testScheduler.schedule(() => void queued.push(pool.stats.queued), 5);
      const source = cold('abcdef|', n);
      const sub = '        ^---!  ';
      // a 0-3; b starts at 3 and still runs when we leave at 4; c and d were queued
      expectObservable(source.pipe(poolMap(pool, 'double'), show), sub).toBe('---a', doubled);
      expectSubscriptions(source.subscriptions).toBe(sub);
      // the next pipeline, from 5: the worker is free once b is done (6)
      const next = cold('     x|     ', { x: 10 });
      expectObservable(next.pipe(poolMap(pool, 'double'), show), '-----^').toBe('---------(x|)', { x: 20 });
      expectSubscriptions(next.subscriptions).toBe('-----^!');
      testScheduler.flush();
      expect(queued).toEqual([2, 0]);
      expect(calls).toEqual([1, 2, 10]);
      expect(pool.stats).toMatchObject({ workers: 1, busy: 0, queued: 0, completed: 3, failed: 0 });
    });
  });

  test('take(n) downstream unsubscribes and the remaining requests never run', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const { calls, tasks: recorded } = recording();
      const pool = createVirtualPool(recorded, { scheduler: testScheduler, size: 2, duration: 2 });
      const source = cold('abcdef|', n);
      expectObservable(source.pipe(poolMap(pool, 'double'), take(3), show)).toBe('--ab(c|)', doubled);
      expectSubscriptions(source.subscriptions).toBe('^---!');
      testScheduler.flush();
      // d was already running when c arrived; e was queued and dropped
      expect(calls).toEqual([1, 2, 3, 4]);
      expect(pool.stats.queued).toBe(0);
    });
  });
});

describe('mergeMap contract: unsubscription chains', () => {
  test('an explicit unsubscription marble is passed up through map → poolMap → map to the source', () => {
    testScheduler.run((helpers) => {
      const { pool, started, referenceStarted } = sameAsMergeMap(helpers, {
        size: 2,
        duration: 6,
        source: () => helpers.hot('-a---b---c---d---e---|', n),
        around: (stage) => (source) =>
          source.pipe(
            map((x) => x),
            stage,
            map((x) => x),
          ),
        // a 1-7, b 5-11, c 9-15, d 13-19: c and d are running when the output is unsubscribed at 14
        expected: '                -------a---b---        ',
        unsub: '                   ^-------------!        ',
        values: doubled,
        subs: '                    ^-------------!        ',
      });
      helpers.flush();
      expect(started).toEqual([1, 2, 3, 4]);
      expect(started).toEqual(referenceStarted);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test('unsubscribing while requests are queued and running: no outcome after it, the queued ones never start', () => {
    testScheduler.run((helpers) => {
      const { pool, started, referenceStarted } = sameAsMergeMap(helpers, {
        size: 1,
        duration: 3,
        source: () => helpers.cold('abcdef|', n),
        // a 0-3; b runs from 3 when the output leaves at 4; c and d wait
        expected: '                 ---a   ',
        unsub: '                    ^---!   ',
        values: doubled,
        subs: '                     ^---!   ',
      });
      // at 5 c and d are gone from the queue while b still holds the worker (poolMap lets it finish, unseen)
      let atFrame5: object | undefined;
      testScheduler.schedule(() => void (atFrame5 = { queued: pool.stats.queued, busy: pool.stats.busy }), 5);
      helpers.flush();
      expect(started).toEqual([1, 2]);
      expect(started).toEqual(referenceStarted);
      expect(atFrame5).toEqual({ queued: 0, busy: 1 });
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });

  test('take(n) downstream unsubscribes the source on the frame of the n-th outcome', () => {
    testScheduler.run((helpers) => {
      const { pool, started, referenceStarted } = sameAsMergeMap(helpers, {
        size: 2,
        duration: 2,
        source: () => helpers.cold('abcdef|', n),
        around: (stage) => (source) => source.pipe(stage, take(3)),
        expected: '                 --ab(c|)',
        values: doubled,
        subs: '                     ^---!   ',
      });
      helpers.flush();
      // d was running when c came out; e had just been queued and never starts
      expect(started).toEqual([1, 2, 3, 4]);
      expect(started).toEqual(referenceStarted);
      expect(pool.stats).toMatchObject({ queued: 0, busy: 0, pipelines: [] });
    });
  });
});

describe('cancel (marbles)', () => {
  const tasks = { wait: (frames: number): number => frames };
  /** Each request takes as many frames as its argument. */
  const byArgument = (_task: string, args: readonly unknown[]): number => args[0] as number;
  const show = map((outcome: Outcome<readonly unknown[], unknown>) => (outcome.ok ? outcome.value : outcome.error.name));

  test("cancel: 'terminate' frees the worker at unsubscription; 'abandon' lets the running request finish first", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const terminating = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: byArgument });
      const abandoning = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: byArgument });
      // The first pipeline runs a 10-frame request and is unsubscribed at frame 2; the next starts at frame 3.
      expectObservable(cold('a', { a: 10 }).pipe(poolMap(terminating, 'wait', { cancel: 'terminate' })), '--!').toBe('');
      expectObservable(cold('---(b|)', { b: 2 }).pipe(poolMap(terminating, 'wait'), show)).toBe('-----(b|)', { b: 2 });
      expectObservable(cold('a', { a: 10 }).pipe(poolMap(abandoning, 'wait')), '--!').toBe('');
      expectObservable(cold('---(b|)', { b: 2 }).pipe(poolMap(abandoning, 'wait'), show)).toBe('------------(b|)', { b: 2 });
    });
  });
});

describe('cancel of a task that reads its signal (marbles)', () => {
  const show = map((outcome: Outcome<readonly unknown[], unknown>) => (outcome.ok ? outcome.value : outcome.error.name));

  test("cancel: 'terminate' aborts its signal (AbortError) at the unsubscription, where its request ends; its worker is kept until its frames are over", () => {
    const log: string[] = [];
    let atCancel: object | undefined;
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(signalTasks(log, testScheduler), { scheduler: testScheduler, size: 1, duration: framesByArgument });
      // A 10-frame request, unsubscribed at 2; the next pipeline's request (from 3) runs on worker 1 once those frames are over (10-12).
      expectObservable(cold('a', { a: 10 }).pipe(poolMap(pool, 'listen', { cancel: 'terminate' })), '--!').toBe('');
      // scheduled after the unsubscription, on its frame: the request has its outcome (a failure) while worker 1 is still busy
      testScheduler.schedule(() => void (atCancel = { failed: pool.stats.failed, busy: pool.stats.busy }), 2);
      expectObservable(cold('---(b|)', { b: 2 }).pipe(poolMap(pool, 'wait'), show)).toBe('------------(b|)', { b: 2 });
      expectObservable(workerEvents(pool.events$)).toBe('');
    });
    expect(atCancel).toEqual({ failed: 1, busy: 1 });
    expect(log).toEqual(['2 AbortError']);
  });

  test("an aborted signal option (cancel: 'terminate') aborts it too: the stream completes on that frame, and the worker is kept", () => {
    const log: string[] = [];
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(signalTasks(log, testScheduler), { scheduler: testScheduler, size: 1, duration: framesByArgument });
      const controller = new AbortController();
      testScheduler.schedule(() => controller.abort(), 2);
      expectObservable(cold('a', { a: 10 }).pipe(poolMap(pool, 'listen', { cancel: 'terminate', signal: controller.signal }), show)).toBe('--|');
      expectObservable(cold('---(b|)', { b: 2 }).pipe(poolMap(pool, 'wait'), show)).toBe('------------(b|)', { b: 2 });
      expectObservable(workerEvents(pool.events$)).toBe('');
    });
    expect(log).toEqual(['2 AbortError']);
  });

  test('one whose frames run past cancelGrace is replaced when the grace has passed; one that never read its signal at once', () => {
    const log: string[] = [];
    testScheduler.run(({ cold, expectObservable }) => {
      const listening = createVirtualPool(signalTasks(log, testScheduler), { scheduler: testScheduler, size: 1, duration: framesByArgument });
      const ignoring = createVirtualPool(signalTasks(log, testScheduler), { scheduler: testScheduler, size: 1, duration: framesByArgument });
      // 100-frame requests unsubscribed at 2. With a grace of 3, worker 1 is terminated at 5 and worker 2 runs b (5-7).
      expectObservable(cold('a', { a: 100 }).pipe(poolMap(listening, 'listen', { cancel: 'terminate', cancelGrace: 3 })), '--!').toBe('');
      expectObservable(cold('---(b|)', { b: 2 }).pipe(poolMap(listening, 'wait'), show)).toBe('-------(b|)', { b: 2 });
      expectObservable(workerEvents(listening.events$)).toBe('-----(xs)', { x: 'exited 1 terminated', s: 'started 2' });
      // wait never read its signal: worker 1 is replaced at 2, and worker 2 runs b (3-5).
      expectObservable(cold('a', { a: 100 }).pipe(poolMap(ignoring, 'wait', { cancel: 'terminate', cancelGrace: 3 })), '--!').toBe('');
      expectObservable(cold('---(b|)', { b: 2 }).pipe(poolMap(ignoring, 'wait'), show)).toBe('-----(b|)', { b: 2 });
      expectObservable(workerEvents(ignoring.events$)).toBe('--(xs)', { x: 'exited 1 terminated', s: 'started 2' });
    });
    expect(log).toEqual(['2 AbortError']);
  });

  test('a worker dismissed while it is kept leaves when its frames are over, or is terminated past the grace; neither is replaced', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const settling = createVirtualPool(signalTasks([], testScheduler), { scheduler: testScheduler, size: 1, duration: framesByArgument });
      const overrunning = createVirtualPool(signalTasks([], testScheduler), { scheduler: testScheduler, size: 1, duration: framesByArgument });
      // 10-frame requests unsubscribed at 2, their workers dismissed at 3.
      testScheduler.schedule(() => void settling.dismissWorkers(1), 3);
      testScheduler.schedule(() => void overrunning.dismissWorkers(1), 3);
      expectObservable(cold('a', { a: 10 }).pipe(poolMap(settling, 'listen', { cancel: 'terminate' })), '--!').toBe('');
      expectObservable(workerEvents(settling.events$)).toBe('----------x', { x: 'exited 1 dismissed' });
      expectObservable(cold('a', { a: 10 }).pipe(poolMap(overrunning, 'listen', { cancel: 'terminate', cancelGrace: 3 })), '--!').toBe('');
      expectObservable(workerEvents(overrunning.events$)).toBe('-----x', { x: 'exited 1 terminated' });
    });
  });

  describe('in a batch, whose requests run one after another in virtual time', () => {
    /** A request: its frames, and whether its task reads its signal. */
    interface Step {
      readonly frames: number;
      readonly listens: boolean;
    }
    /** `step` reads its signal when its request `listens`, logging the frame, its frames and the reason when it aborts. */
    function stepTasks(log: string[]): { step(this: TaskContext, item: Step): number } {
      return {
        step(this: TaskContext, item: Step): number {
          if (item.listens) {
            const { signal } = this;
            signal.addEventListener('abort', () => log.push(`${testScheduler.now()} ${item.frames} ${(signal.reason as DOMException).name}`));
          }
          return item.frames;
        },
      };
    }
    const framesOf = (_task: string, args: readonly unknown[]): number => (args[0] as Step).frames;

    test("what counts is whether a task that has started by the cancel's frame read its signal", () => {
      const log: string[] = [];
      testScheduler.run(({ cold, expectObservable }) => {
        const early = createVirtualPool(stepTasks(log), { scheduler: testScheduler, size: 1, duration: framesOf });
        const late = createVirtualPool(stepTasks(log), { scheduler: testScheduler, size: 1, duration: framesOf });
        // w runs alone (0-1), then x and y in one batch: x (1-4) does not read its signal, y (4-7) does.
        const steps = { w: { frames: 1, listens: false }, x: { frames: 3, listens: false }, y: { frames: 3, listens: true } };
        // Unsubscribed at 3, while x runs: no task run by then read its signal, so worker 1 is replaced at once.
        expectObservable(cold('(wxy)', steps).pipe(poolMap(early, 'step', { batch: 2, cancel: 'terminate' }), show), '---!').toBe('-w', { w: 1 });
        expectObservable(workerEvents(early.events$)).toBe('---(xs)', { x: 'exited 1 terminated', s: 'started 2' });
        // Unsubscribed at 5, while y runs: y's signal aborts, and worker 1 is kept (y's frames are over at 7).
        expectObservable(cold('(wxy)', steps).pipe(poolMap(late, 'step', { batch: 2, cancel: 'terminate' }), show), '-----!').toBe('-w', { w: 1 });
        expectObservable(workerEvents(late.events$)).toBe('');
      });
      expect(log).toEqual(['5 3 AbortError']);
    });

    test('the signals of the requests after the running one abort with it: in virtual time they never ran', () => {
      const log: string[] = [];
      testScheduler.run(({ cold, expectObservable }) => {
        const pool = createVirtualPool(stepTasks(log), { scheduler: testScheduler, size: 1, duration: framesOf });
        // w runs alone (0-1), then x (1-3) and y (3-7) in one batch, both reading their signals; unsubscribed at 2, while x runs.
        const steps = { w: { frames: 1, listens: true }, x: { frames: 2, listens: true }, y: { frames: 4, listens: true } };
        expectObservable(cold('(wxy)', steps).pipe(poolMap(pool, 'step', { batch: 2, cancel: 'terminate' }), show), '--!').toBe('-w', { w: 1 });
        // x's frames are over at 3: worker 1 is kept, and takes the next pipeline's request then (3-4).
        expectObservable(cold('--(z|)', { z: { frames: 1, listens: false } }).pipe(poolMap(pool, 'step'), show)).toBe('----(z|)', { z: 1 });
        expectObservable(workerEvents(pool.events$)).toBe('');
      });
      expect(log).toEqual(['2 2 AbortError', '2 4 AbortError']);
    });
  });
});
