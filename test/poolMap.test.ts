import { from, range, Subject, map, take } from 'rxjs';
import { isResult, makeRequests, type TaskError, workRequest } from '../src';
import { errors, poolMap, results, splitOutcomes } from '../operators';
import { closePools, collect, tasksPool } from './helpers';

afterEach(closePools);

describe('poolMap on threads.js workers', () => {
  test('thousands of requests with a share failing: each id ends in exactly one of the two streams', async () => {
    const pool = tasksPool({ size: 2 });
    const total = 3000;
    const { results$, errors$ } = splitOutcomes(range(0, total).pipe(poolMap(pool, 'failIfOdd')));
    const [failures, successes] = await Promise.all([collect(errors$), collect(results$)]);

    expect(successes).toHaveLength(total / 2);
    expect(failures).toHaveLength(total / 2);
    const ids = [...successes, ...failures].map(({ request }) => request.id);
    expect(new Set(ids).size).toBe(total);
    for (const { request, value } of successes) expect(value).toBe(request.args[0]);
    for (const { request, error } of failures) {
      expect(request.args[0] % 2).toBe(1);
      expect((error as TaskError).code).toBe('ERR_TASK_FAILED');
    }
    expect(pool.stats).toMatchObject({ completed: total / 2, failed: total / 2, queued: 0, busy: 0 });
  });

  test('a task error keeps the worker error name, message, code and stack', async () => {
    const pool = tasksPool({ size: 1 });
    const [failure] = await collect(from([7]).pipe(poolMap(pool, 'failIfOdd'), errors()));
    const error = failure.error as TaskError;
    expect(error.code).toBe('ERR_TASK_FAILED');
    expect(error.task).toBe('failIfOdd');
    expect(error.requestId).toBe(failure.request.id);
    expect(error.cause).toMatchObject({ name: 'CodedError', message: 'odd: 7', code: 'E_ODD' });
    expect(error.cause.stack).toContain('tasks.worker.ts');
    expect(error.stack).toContain('tasks.worker.ts');
  });

  test('async tasks resolve and reject like sync ones', async () => {
    const pool = tasksPool({ size: 2 });
    const resolved = await collect(
      from([5, 1]).pipe(
        poolMap(pool, 'delayed'),
        results(),
        map(({ value }) => value),
      ),
    );
    expect(resolved.sort()).toEqual(['waited 1', 'waited 5']);
    const [rejected] = await collect(from(['nope']).pipe(poolMap(pool, 'rejectWith'), errors()));
    expect((rejected.error as TaskError).cause).toMatchObject({ name: 'RangeError', message: 'nope' });
  });

  test('falsy results arrive as results, not dropped', async () => {
    const pool = tasksPool({ size: 1 });
    const kinds = ['zero', 'empty', 'false', 'null', 'undefined'] as const;
    const outcomes = await collect(from(kinds).pipe(poolMap(pool, 'falsy')));
    expect(outcomes.every(isResult)).toBe(true);
    expect(outcomes.map((outcome) => outcome.ok && outcome.value)).toEqual([0, '', false, null, undefined]);
  });

  test('WorkRequests from makeRequests keep their ids and spread their arguments', async () => {
    const pool = tasksPool({ size: 2 });
    const requests = makeRequests([
      [1, 2],
      [10, 20],
      [100, 200],
    ]);
    const outcomes = await collect(from(requests).pipe(poolMap(pool, 'add'), results()));
    const byId = new Map(outcomes.map(({ request, value }) => [request.id, value]));
    expect(byId).toEqual(
      new Map([
        [requests[0].id, 3],
        [requests[1].id, 30],
        [requests[2].id, 300],
      ]),
    );
    const sent = new Set<unknown>(requests);
    expect(outcomes.every(({ request }) => sent.has(request))).toBe(true);
  });

  test('plain values get unique request ids', async () => {
    const pool = tasksPool({ size: 2 });
    const outcomes = await collect(range(0, 200).pipe(poolMap(pool, 'double')));
    expect(new Set(outcomes.map(({ request }) => request.id)).size).toBe(200);
  });

  test('runs requests on every worker at once', async () => {
    const pool = tasksPool({ size: 2 });
    // Both workers up first: under load one can take a second to start, and the other alone would run everything.
    await pool.ready;
    const ids = await collect(
      range(0, 8).pipe(
        map(() => 50),
        poolMap(pool, 'spin'),
        results(),
      ),
    );
    expect(ids).toHaveLength(8);
    const threads = await collect(
      range(0, 40).pipe(
        map(() => workRequest([])),
        poolMap(pool, 'threadId'),
        results(),
        map(({ value }) => value),
      ),
    );
    expect(new Set(threads).size).toBe(2);
  });

  test('unsubscribing cancels queued requests: they never start, and the pool serves the next pipeline', async () => {
    const pool = tasksPool({ size: 1 });
    await pool.ready;
    const source = new Subject<number>();
    const first = collect(source.pipe(poolMap(pool, 'delayed'), take(1)));
    for (let i = 0; i < 50; i++) source.next(20);
    expect(pool.stats.queued).toBe(49);
    await first;
    expect(pool.stats.queued).toBe(0);
    expect(source.observed).toBe(false);
    const next = await collect(
      from([1, 2, 3]).pipe(
        poolMap(pool, 'double'),
        results(),
        map(({ value }) => value),
      ),
    );
    expect(next.sort()).toEqual([2, 4, 6]);
    expect(pool.stats.completed).toBeLessThanOrEqual(5);
  });

  test('the stream completes only after the source completes and every outcome is out', async () => {
    const pool = tasksPool({ size: 2 });
    const source = new Subject<number>();
    let completed = false;
    const outcomes: unknown[] = [];
    source.pipe(poolMap(pool, 'delayed')).subscribe({ next: (outcome) => outcomes.push(outcome), complete: () => (completed = true) });
    source.next(30);
    source.next(30);
    source.complete();
    expect(completed).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(completed).toBe(false);
    await new Promise<void>((resolve) => {
      const check = (): void => (completed ? resolve() : void setTimeout(check, 5));
      check();
    });
    expect(outcomes).toHaveLength(2);
  });

  test('a source error is passed on', async () => {
    const pool = tasksPool({ size: 1 });
    const source = new Subject<number>();
    const result = collect(source.pipe(poolMap(pool, 'double')));
    source.next(1);
    source.error(new Error('source broke'));
    await expect(result).rejects.toThrow('source broke');
  });

  test('stats$ publishes work as it goes', async () => {
    const pool = tasksPool({ size: 2 });
    await pool.ready;
    const seen: number[] = [];
    const subscription = pool.stats$.subscribe((stats) => seen.push(stats.busy));
    await collect(
      range(0, 20).pipe(
        map(() => 5),
        poolMap(pool, 'spin'),
      ),
    );
    subscription.unsubscribe();
    expect(Math.max(...seen)).toBe(2);
    const stats = pool.stats;
    expect(stats).toMatchObject({ workers: 2, busy: 0, queued: 0, completed: 20, failed: 0, pipelines: [] });
    // Timing was recorded while stats$ was watched: 20 runs of a 5 ms spin.
    expect(stats.run.count).toBe(20);
    expect(stats.run.p50).toBeGreaterThanOrEqual(3);
  });
});
