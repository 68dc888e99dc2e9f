// What a task's failure looks like: a TaskError whose cause keeps what the task threw (class name, message,
// code, stack, extra fields, a thrown value that is not an Error), told apart from a crash by class and code.
import { from, map } from 'rxjs';
import { TaskError, workRequest } from '../src';
import { errors, poolMap, results } from '../operators';
import { closePools, collect, faultsPool, tasksPool } from './helpers';

afterEach(closePools);

describe('a task that throws', () => {
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

  test.each([
    ['string', 'plain string'],
    ['undefined', undefined],
    ['object', { reason: 'an object', n: 3 }],
    ['number', 42],
  ] as const)('a thrown %s arrives as TaskError with the value preserved', async (kind, value) => {
    const pool = faultsPool({ size: 1 });
    const [outcome] = await collect(from([kind]).pipe(poolMap(pool, 'throwValue')));
    const error = !outcome.ok && (outcome.error as TaskError);
    expect(error).toBeInstanceOf(TaskError);
    expect(error && error.thrown).toEqual({ value });
  });

  test('an Error with an empty message arrives as TaskError keeping its class name', async () => {
    const pool = faultsPool({ size: 1 });
    const [outcome] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'throwEmptyMessage')));
    const error = !outcome.ok && (outcome.error as TaskError);
    expect(error).toBeInstanceOf(TaskError);
    expect(error && error.cause).toMatchObject({ name: 'TypeError', message: '' });
    expect(error && error.message).toContain('TypeError');
  });

  test("a task's own error class name, message, stack and extra fields survive; a crash is told apart by class and code", async () => {
    const pool = faultsPool({ size: 1 });
    const [own] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'throwDetailed')));
    const error = !own.ok && (own.error as TaskError);
    expect(error).toBeInstanceOf(TaskError);
    expect(error && error.code).toBe('ERR_TASK_FAILED');
    expect(error && error.cause).toMatchObject({
      name: 'DetailedError',
      message: 'config not found',
      code: 'E_CONFIG',
      details: { path: '/etc/app.json', attempts: 3 },
    });
    expect(error && error.cause.stack).toMatch(/throwDetailed/);
    const [crash] = await collect(from([1]).pipe(poolMap(pool, 'exit'), errors()));
    expect(crash.error).not.toBeInstanceOf(TaskError);
    expect(crash.error).toMatchObject({ code: 'ERR_WORKER_CRASHED' });
  });
});
