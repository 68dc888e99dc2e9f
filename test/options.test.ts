// Bad options and bad input are refused, naming them: createPool's and poolMap's options, unknown task names, resize counts.
import { from } from 'rxjs';
import { createPool, InvalidOptionError, makeRequests, type Pool, UnknownTaskError } from '../src';
import { poolMap } from '../operators';
import type { Tasks } from './fixtures/tasks.worker';
import { closePools, collect, faultsPool, fixture, tasksPool } from './helpers';

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

  test('an unknown task name at run time lists the tasks the worker has', async () => {
    const pool = faultsPool({ size: 1 });
    const [outcome] = await collect(from([1]).pipe(poolMap(pool as unknown as Pool<{ nope(n: number): number }>, 'nope')));
    expect(!outcome.ok && outcome.error).toMatchObject({ code: 'ERR_UNKNOWN_TASK', message: expect.stringContaining('throwDetailed') });
  });

  test('poolMap refuses what is not a pool, and a task that is not a name', () => {
    expect(() => poolMap({} as never, 'double')).toThrow(InvalidOptionError);
    expect(() => poolMap(tasksPool({ size: 1 }), 42 as never)).toThrow('"task"');
  });

  test('makeRequests refuses what is not iterable', () => {
    expect(() => makeRequests(5 as never)).toThrow(/argsList/);
  });
});

/** The InvalidOptionError that `attempt` throws. */
function thrownBy(attempt: () => unknown): InvalidOptionError {
  try {
    attempt();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError);
    return error as InvalidOptionError;
  }
  throw new Error('nothing was thrown');
}

describe('unknown options are refused, naming the key and what was most likely meant', () => {
  const file = fixture('tasks.worker.ts');
  test.each([
    ['minThreads', { minThreads: 2 }, /Did you mean "size"\?/],
    ['maxThreads', { maxThreads: 2 }, /Did you mean "size"\?/],
    ['concurrentTasksPerWorker', { concurrentTasksPerWorker: 2 }, /Did you mean "tasksPerWorker"\?/],
    ['maxQueueSize', { maxQueueSize: 5 }, /Did you mean "maxQueue"\?/],
    ['stdin', { stdin: true }, /createPool\(\(\) => new Worker\(file, \{ \.\.\. \}\)\)/],
    ['trackUnmanagedFds', { trackUnmanagedFds: false }, /factory/],
    ['szie', { szie: 2 }, /Did you mean "size"\?/],
  ])('createPool refuses %s', (key, options, hint) => {
    const error = thrownBy(() => createPool<Tasks>(file, options as never));
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', option: key });
    expect(error.message).toMatch(hint);
    expect(error.message).toContain('tasksPerWorker');
  });

  test.each([
    ['batchSize', { batchSize: 10 }, 'batch'],
    ['order', { order: true }, 'ordered'],
    ['timeoutMs', { timeoutMs: 5 }, 'timeout'],
    ['abortSignal', { abortSignal: new AbortController().signal }, 'signal'],
  ])('poolMap refuses %s, pointing at %p', (key, options, meant) => {
    const error = thrownBy(() => poolMap(tasksPool({ size: 1 }), 'double', options as never));
    expect(error).toMatchObject({ option: key, hint: `Did you mean "${meant}"?` });
  });

  test('poolMap refuses concurrency, saying the pool size is the concurrency', () => {
    expect(thrownBy(() => poolMap(tasksPool({ size: 1 }), 'double', { concurrency: 4 } as never)).message).toMatch(/createPool\(\{ size \}\)/);
  });

  test('unknown keys inside queue, ordered and resourceLimits, and in the other option objects, are refused', () => {
    const pool = tasksPool({ size: 1 });
    expect(thrownBy(() => poolMap(pool, 'double', { queue: { size: 2, overflw: 'error' } as never }))).toMatchObject({
      option: 'overflw',
      hint: 'Did you mean "overflow"?',
    });
    expect(thrownBy(() => poolMap(pool, 'double', { ordered: { bufer: 2 } as never }))).toMatchObject({ option: 'bufer' });
    expect(thrownBy(() => createPool<Tasks>(file, { resourceLimits: { maxOldGenSizeMb: 64 } as never }))).toMatchObject({ option: 'maxOldGenSizeMb' });
    expect(thrownBy(() => pool.dismissWorkers(0, { doJoin: true } as never))).toMatchObject({ option: 'doJoin', hint: 'Did you mean "join"?' });
  });
});

describe('numbers are checked against their real range', () => {
  const file = fixture('tasks.worker.ts');
  test.each([
    ['taskTimeout', 2 ** 31],
    ['startTimeout', 2 ** 31],
    ['idleTimeout', 1e12],
    ['terminateTimeout', 2 ** 31],
    ['size', 2 ** 53],
    ['size', 1e300],
    ['size', 1025],
    ['tasksPerWorker', 1e9],
    ['maxHeapPerWorkerMb', Infinity],
  ])('createPool refuses %s: %p', (option, value) => {
    expect(thrownBy(() => createPool<Tasks>(file, { [option]: value } as never))).toMatchObject({ option, value });
  });

  test('the longest a timer can wait (2^31-1 ms) is accepted', async () => {
    const pool = tasksPool({ size: 1, taskTimeout: 2 ** 31 - 1 });
    const [outcome] = await collect(from([2]).pipe(poolMap(pool, 'double', { timeout: 2 ** 31 - 1 })));
    expect(outcome).toMatchObject({ ok: true, value: 4 });
  });

  test('a poolMap timeout past 2^31-1 ms is refused, and a batch past the largest a worker accepts', () => {
    const pool = tasksPool({ size: 1 });
    expect(thrownBy(() => poolMap(pool, 'double', { timeout: 2 ** 31 }))).toMatchObject({ option: 'timeout' });
    expect(thrownBy(() => poolMap(pool, 'double', { batch: 1e6 }))).toMatchObject({ option: 'batch' });
  });

  test.each([
    ['stackSizeMb', Infinity],
    ['stackSizeMb', 65_536],
    ['maxOldGenerationSizeMb', -1],
    ['codeRangeSizeMb', 1e9],
    ['maxYoungGenerationSizeMb', NaN],
  ])('resourceLimits.%s = %p is refused (Node would abort the whole process for some)', (name, value) => {
    expect(thrownBy(() => createPool<Tasks>(file, { resourceLimits: { [name]: value } }))).toMatchObject({ option: `resourceLimits.${name}` });
  });

  test('createWorkers refuses to grow a pool past 1024 workers', () => {
    const pool = tasksPool({ size: 1 });
    expect(thrownBy(() => pool.createWorkers(2 ** 53))).toMatchObject({ option: 'createWorkers(n)' });
    expect(thrownBy(() => pool.createWorkers(1024))).toMatchObject({ option: 'createWorkers(n)' });
    expect(pool.size).toBe(1);
  });
});
