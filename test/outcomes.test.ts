// Outcomes: every request yields exactly one, a result or a failure; results(), errors() and splitOutcomes() route them.
import { from, range } from 'rxjs';
import { isResult, type TaskError } from '../src';
import { poolMap, splitOutcomes } from '../operators';
import { closePools, collect, tasksPool } from './helpers';

afterEach(closePools);

describe('outcomes on real workers', () => {
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

  test('falsy results arrive as results, not dropped', async () => {
    const pool = tasksPool({ size: 1 });
    const kinds = ['zero', 'empty', 'false', 'null', 'undefined'] as const;
    const outcomes = await collect(from(kinds).pipe(poolMap(pool, 'falsy')));
    expect(outcomes.every(isResult)).toBe(true);
    expect(outcomes.map((outcome) => outcome.ok && outcome.value)).toEqual([0, '', false, null, undefined]);
  });
});
