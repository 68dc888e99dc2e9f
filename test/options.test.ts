import { from } from 'rxjs';
import { createPool, InvalidOptionError, makeRequests, UnknownTaskError } from '../src';
import { poolMap } from '../operators';
import type { Tasks } from './fixtures/tasks.worker';
import { closePools, collect, fixture, tasksPool } from './helpers';

afterEach(closePools);

describe('bad input', () => {
  test.each([
    ['size', { size: 0 }],
    ['size', { size: -1 }],
    ['size', { size: NaN }],
    ['size', { size: 1.5 }],
    ['size', { size: '2' }],
    ['startTimeout', { startTimeout: 0 }],
  ])('createPool throws InvalidOptionError naming "%s" for %p', (option, options) => {
    const attempt = () => createPool<Tasks>(fixture('tasks.worker.ts'), options as never);
    expect(attempt).toThrow(InvalidOptionError);
    expect(attempt).toThrow(`"${option}"`);
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', option, value: (options as Record<string, unknown>)[option] });
    }
  });

  test('a relative worker path is refused, pointing at the factory form', () => {
    expect(() => createPool<Tasks>('./fixtures/tasks.worker.ts')).toThrow(/"worker".*new Worker\("\.\/fixtures\/tasks\.worker\.ts"\)/);
  });

  test('a non-file URL or a number is refused', () => {
    expect(() => createPool<Tasks>(new URL('https://example.com/w.js'))).toThrow(InvalidOptionError);
    expect(() => createPool<Tasks>(42 as never)).toThrow(InvalidOptionError);
  });

  test('a file: URL works', async () => {
    const pool = createPool<Tasks>(new URL(`file://${fixture('tasks.worker.ts')}`), { size: 1 });
    try {
      const [outcome] = await collect(from([4]).pipe(poolMap(pool, 'double')));
      expect(outcome.ok && outcome.value).toBe(8);
    } finally {
      await pool.close();
    }
  });

  test('resize counts are checked', () => {
    const pool = tasksPool({ size: 1 });
    expect(() => pool.createWorkers(-1)).toThrow(InvalidOptionError);
    expect(() => pool.createWorkers(0.5)).toThrow('"createWorkers(n)"');
    expect(() => pool.dismissWorkers(NaN)).toThrow('"dismissWorkers(n)"');
  });

  test('an unknown task throws at once when the pool knows its tasks, and ends each request with UnknownTaskError before', async () => {
    const pool = tasksPool({ size: 1 });
    const early = collect(from([1, 2]).pipe(poolMap(pool, 'nope' as never)));
    const outcomes = await early;
    expect(outcomes).toHaveLength(2);
    for (const outcome of outcomes) expect(!outcome.ok && outcome.error).toBeInstanceOf(UnknownTaskError);
    expect(() => poolMap(pool, 'nope' as never)).toThrow(UnknownTaskError);
    expect(() => poolMap(pool, 'nope' as never)).toThrow(/"nope".*"double"/);
  });

  test('poolMap refuses what is not a pool, and a task that is not a name', () => {
    expect(() => poolMap({} as never, 'double')).toThrow(InvalidOptionError);
    expect(() => poolMap(tasksPool({ size: 1 }), 42 as never)).toThrow('"task"');
  });

  test('makeRequests refuses what is not iterable', () => {
    expect(() => makeRequests(5 as never)).toThrow(/argsList/);
  });
});
