// batch (marbles): up to n queued requests travel together; 'auto' batches only a task it has measured as instant.
import { map } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { newTestScheduler, valueOrE, waitOrFailTasks } from './specHelpers';

const tasks = waitOrFailTasks;
const show = valueOrE;

let testScheduler: TestScheduler;
beforeEach(() => (testScheduler = newTestScheduler()));

describe('batching (marbles)', () => {
  test('batch: n sends up to n queued requests in one batch; each still yields its own outcome', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 1 });
      // a runs alone (nothing else queued at 0); then b, c, d travel together and answer together, 3 frames later
      const values = { a: 0, b: 1, c: 2, d: 3 };
      expectObservable(cold('(abcd|)', values).pipe(poolMap(pool, 'failIfOdd', { batch: 3 }), show)).toBe('-a--(bcd|)', { a: 0, b: 'E', c: 2, d: 'E' });
    });
  });

  test("batch: 'auto' sends requests one by one while a task takes a frame or more", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 1 });
      expectObservable(cold('(abc|)', { a: 0, b: 2, c: 4 }).pipe(poolMap(pool, 'failIfOdd'), show)).toBe('-ab(c|)', { a: 0, b: 2, c: 4 });
    });
  });

  test("batch: 'auto' batches a task it has measured as instant, splitting the queue fairly between workers", () => {
    testScheduler.run(({ cold, flush }) => {
      // `id` request 0 takes no frame (the pool measures the task as instant), the others one frame each, so a batch's
      // requests answer one frame apart on its worker; `block` holds both workers for 3 frames while six `id` wait.
      const pool = createVirtualPool(
        { id: (x: number) => x, block: (x: number) => x },
        { scheduler: testScheduler, size: 2, duration: (task, [x]) => (task === 'block' ? 3 : x === 0 ? 0 : 1) },
      );
      const seen: string[] = [];
      const record = (outcome: { ok: boolean; value?: unknown }): void => void seen.push(`${String(outcome.value)}@${testScheduler.now()}`);
      cold('a-(bcdefg|)', { a: 0, b: 1, c: 2, d: 3, e: 4, f: 5, g: 6 }).pipe(poolMap(pool, 'id')).subscribe(record);
      cold('-(xy|)', { x: 100, y: 200 })
        .pipe(poolMap(pool, 'block', { batch: 1 }))
        .subscribe(record);
      flush();
      // The workers free at frame 4 with the six queued. A batch answers as one, when its last request's frame is over:
      // the first worker takes half the queue (1, 2, 3: at frame 7), the second half of what is left (4, 5: at 6),
      // then 6 (at 7). One at a time they would answer two per frame in arrival order (1 and 2 at frame 5); all on one
      // worker, at frame 10.
      expect(seen).toEqual(['0@0', '100@4', '200@4', '4@6', '5@6', '1@7', '2@7', '3@7', '6@7']);
    });
  });
});
