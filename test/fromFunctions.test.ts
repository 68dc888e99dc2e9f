// createPool.fromFunctions: inline tasks on real workers, without a worker file.
import { from, map } from 'rxjs';
import { createPool, InvalidOptionError, makeRequests, type Pool, type TaskError, type TaskMap, workRequest } from '../src';
import { errors, poolMap, progress, results } from '../operators';
import { closePools, collect, track } from './helpers';

afterEach(closePools);

/** `createPool.fromFunctions`, with the pool closed after the test. */
function inlinePool<T extends TaskMap>(tasks: T & ThisType<T>, size = 1): Pool<T> {
  return track(createPool.fromFunctions<T>(tasks, { size }));
}

const helperOutside = (n: number): number => n + 1;
const offset = 100;
const keyOutside = 'computedOutside';

describe('createPool.fromFunctions on real workers', () => {
  test('typed results through poolMap; this.fib recurses', async () => {
    const pool = inlinePool(
      {
        fib(n: number): number {
          return n < 2 ? n : this.fib(n - 1) + this.fib(n - 2);
        },
      },
      2,
    );
    const values = await collect(
      from([10, 20, 25]).pipe(
        poolMap(pool, 'fib', { ordered: true }),
        results(),
        map(({ value }) => value),
      ),
    );
    const typed: number[] = values;
    expect(typed).toEqual([55, 6765, 75025]);
  });

  test('method shorthand, function expressions, arrows, async and generator functions all run', async () => {
    const pool = inlinePool({
      shorthand(n: number) {
        return n * 2;
      },
      expression: function (n: number) {
        return n * 3;
      },
      named: function factorial(n: number): number {
        return n <= 1 ? 1 : n * factorial(n - 1); // a named function expression sees its own name
      },
      arrow: (n: number) => n * 4,
      arrowBare: (s: string) => s.toUpperCase(),
      asyncArrow: async (n: number) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return n * 5;
      },
      async asyncMethod(text: string): Promise<string> {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return `async ${text}`;
      },
      *countUp(n: number): Generator<number, number> {
        for (let i = 0; i < n; i++) yield i;
        return n;
      },
      async *ticks(n: number): AsyncGenerator<string, string> {
        for (let i = 0; i < n; i++) yield `tick ${i}`;
        return 'done';
      },
      ['computed key'](a: number, b: number) {
        return a - b;
      },
    });
    const first = async (items: Promise<{ value: unknown }[]>): Promise<unknown> => (await items)[0].value;
    expect(await first(collect(from([2]).pipe(poolMap(pool, 'shorthand'), results())))).toBe(4);
    expect(await first(collect(from([2]).pipe(poolMap(pool, 'expression'), results())))).toBe(6);
    expect(await first(collect(from([5]).pipe(poolMap(pool, 'named'), results())))).toBe(120);
    expect(await first(collect(from([2]).pipe(poolMap(pool, 'arrow'), results())))).toBe(8);
    expect(await first(collect(from([2]).pipe(poolMap(pool, 'asyncArrow'), results())))).toBe(10);
    const [upper] = await collect(from(['abc']).pipe(poolMap(pool, 'arrowBare'), results()));
    expect(upper.value).toBe('ABC');
    const [asyncMethod] = await collect(from(['x']).pipe(poolMap(pool, 'asyncMethod'), results()));
    expect(asyncMethod.value).toBe('async x');
    const counted = await collect(from([3]).pipe(poolMap(pool, 'countUp', { progress: true })));
    expect(counted.map((item) => (item.ok === undefined ? item.progress : item.ok && item.value))).toEqual([0, 1, 2, 3]);
    const ticked = await collect(from([2]).pipe(poolMap(pool, 'ticks', { progress: true }), progress()));
    expect(ticked.map((item) => item.progress)).toEqual(['tick 0', 'tick 1']);
    const [computed] = await collect(from(makeRequests([[10, 3] as [number, number]])).pipe(poolMap(pool, 'computed key'), results()));
    expect(computed.value).toBe(7);
  });

  test('this is the object of the tasks: a method calls its siblings', async () => {
    const pool = inlinePool({
      square(n: number): number {
        return n * n;
      },
      sumOfSquares(a: number, b: number): number {
        return this.square(a) + this.square(b);
      },
      async later(n: number): Promise<number> {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return this.sumOfSquares(n, n);
      },
    });
    const [sum] = await collect(from([workRequest([3, 4] as [number, number])]).pipe(poolMap(pool, 'sumOfSquares'), results()));
    expect(sum.value).toBe(25);
    const [later] = await collect(from([2]).pipe(poolMap(pool, 'later'), results()));
    expect(later.value).toBe(8);
  });

  test("the worker's globals and require() of Node's built-ins work", async () => {
    const pool = inlinePool({
      digest(text: string): { sha: string; base64: string; max: number; json: string; random: boolean } {
        const { createHash } = require('node:crypto') as typeof import('node:crypto');
        return {
          sha: createHash('sha256').update(text).digest('hex'),
          base64: Buffer.from(text).toString('base64'),
          max: Math.max(1, 7, 3),
          json: JSON.stringify({ text }),
          random: typeof crypto.randomUUID() === 'string',
        };
      },
      async waits(ms: number): Promise<number> {
        const started = performance.now();
        await new Promise((resolve) => setTimeout(resolve, ms));
        return Math.round(performance.now() - started) >= ms - 1 ? 1 : 0;
      },
    });
    const [digest] = await collect(from(['abc']).pipe(poolMap(pool, 'digest'), results()));
    expect(digest.value).toEqual({
      sha: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      base64: 'YWJj',
      max: 7,
      json: '{"text":"abc"}',
      random: true,
    });
    const [waited] = await collect(from([5]).pipe(poolMap(pool, 'waits'), results()));
    expect(waited.value).toBe(1);
  });

  test('a task error arrives as TaskError with the cause', async () => {
    const pool = inlinePool({
      failIfOdd(n: number): number {
        if (n % 2 === 1) throw Object.assign(new RangeError(`odd: ${n}`), { code: 'E_ODD' });
        return n;
      },
      async rejects(text: string): Promise<never> {
        throw new TypeError(text);
      },
    });
    const outcomes = await collect(from([2, 3]).pipe(poolMap(pool, 'failIfOdd', { ordered: true })));
    expect(outcomes[0]).toMatchObject({ ok: true, value: 2 });
    const error = !outcomes[1].ok && (outcomes[1].error as TaskError);
    expect(error).toMatchObject({ code: 'ERR_TASK_FAILED', task: 'failIfOdd' });
    expect((error as TaskError).cause).toMatchObject({ name: 'RangeError', message: 'odd: 3', code: 'E_ODD' });
    // The worker's stack names the task's code.
    expect((error as TaskError).cause.stack).toContain('rxjs-threadpool:inline-task/0/failIfOdd');
    const [rejected] = await collect(from(['nope']).pipe(poolMap(pool, 'rejects'), errors()));
    expect((rejected.error as TaskError).cause).toMatchObject({ name: 'TypeError', message: 'nope' });
  });

  test('a task that uses an outside variable fails with a clear error naming it, and the pool keeps serving', async () => {
    const pool = inlinePool(
      {
        usesHelper(n: number): number {
          return helperOutside(n);
        },
        async usesOffsetLater(n: number): Promise<number> {
          await new Promise((resolve) => setTimeout(resolve, 1));
          return n + offset;
        },
        [keyOutside](n: number): number {
          return n; // the computed key itself is outside
        },
        usesImport(n: number): number {
          return workRequest([n]).args[0];
        },
        viaSibling(n: number): number {
          return this.usesHelper(n);
        },
        fine(n: number): number {
          return n + 1;
        },
      },
      2,
    );
    const [helper] = await collect(from([1]).pipe(poolMap(pool, 'usesHelper'), errors()));
    const error = helper.error as TaskError;
    expect(error.code).toBe('ERR_TASK_FAILED');
    expect(error.message).toContain('task "usesHelper" uses `helperOutside`, which is defined outside it');
    expect(error.message).toContain('inline tasks must be self-contained');
    expect(error.cause).toMatchObject({
      name: 'ReferenceError',
      code: 'ERR_INLINE_TASK_OUTSIDE_REFERENCE',
      task: 'usesHelper',
      identifier: 'helperOutside',
    });
    // After an await too.
    const [later] = await collect(from([1]).pipe(poolMap(pool, 'usesOffsetLater'), errors()));
    expect((later.error as TaskError).cause).toMatchObject({ task: 'usesOffsetLater', identifier: 'offset' });
    expect(later.error.message).toContain('task "usesOffsetLater" uses `offset`');
    // Called through a sibling: the request's task fails, the cause names the task whose code uses it.
    const [sibling] = await collect(from([1]).pipe(poolMap(pool, 'viaSibling'), errors()));
    expect(sibling.error).toMatchObject({ task: 'viaSibling', cause: { task: 'usesHelper', identifier: 'helperOutside' } });
    // An import compiles to a module object (`src_1.workRequest`): the message says so.
    const [imported] = await collect(from([1]).pipe(poolMap(pool, 'usesImport'), errors()));
    expect((imported.error as TaskError).cause).toMatchObject({ task: 'usesImport', identifier: 'src_1' });
    expect(imported.error.message).toContain('is what a compiler makes of an import');
    const [computed] = await collect(from([1]).pipe(poolMap(pool, 'computedOutside'), errors()));
    expect((computed.error as TaskError).cause).toMatchObject({ task: 'computedOutside', identifier: 'keyOutside' });
    // The workers stay, and other tasks run.
    const fine = await collect(
      from([1, 2, 3, 4]).pipe(
        poolMap(pool, 'fine'),
        results(),
        map(({ value }) => value),
      ),
    );
    expect(fine.sort()).toEqual([2, 3, 4, 5]);
    expect(pool.stats).toMatchObject({ workers: 2, failed: 5 });
  });

  test('a ReferenceError the task throws itself, or not about a missing name, is left as it is', async () => {
    const pool = inlinePool({
      tdz(): number {
        const read = (): number => late;
        read();
        const late = 1;
        return late;
      },
    });
    const [tdz] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'tdz'), errors()));
    expect((tdz.error as TaskError).cause).toMatchObject({ name: 'ReferenceError', message: expect.stringMatching(/before initialization/) });
    expect((tdz.error as TaskError).cause).not.toHaveProperty('code');
  });
});

describe('createPool.fromFunctions refuses bad input, synchronously', () => {
  const refused = (tasks: unknown, option: string, expected: RegExp): void => {
    let thrown: unknown;
    try {
      track(createPool.fromFunctions(tasks as TaskMap, { size: 1 }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect(thrown).toMatchObject({ code: 'ERR_INVALID_OPTION', option });
    expect((thrown as Error).message).toMatch(expected);
  };

  test.each([
    ['not an object', 42, 'tasks', /an object of task functions/],
    ['null', null, 'tasks', /an object of task functions/],
    ['an array', [() => 1], 'tasks', /an object of task functions/],
    ['an empty object', {}, 'tasks', /at least one task function/],
    ['a value that is not a function', { fine: () => 1, broken: 'nope' }, 'tasks.broken', /a function/],
    ['a built-in function', { max: Math.max }, 'tasks.max', /native code/],
    [
      'a bound function',
      {
        bound: function (this: unknown) {
          return this;
        }.bind(null),
      },
      'tasks.bound',
      /native code/,
    ],
    ['a class', { Klass: class Klass {} }, 'tasks.Klass', /not a class/],
  ])('%s', (_case, tasks, option, expected) => refused(tasks, option, expected));

  test('a source that does not parse in strict mode', () => {
    // A sloppy-mode function (with), made at run time so this file stays strict.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const sloppy = new Function('o', 'with (o) { return x; }');
    refused({ sloppy }, 'tasks.sloppy', /parses in strict mode.*(with|strict)/i);
  });

  test('a bad option, as createPool', () => {
    expect(() => createPool.fromFunctions({ one: () => 1 }, { size: 0 })).toThrow(InvalidOptionError);
    expect(() => createPool.fromFunctions({ one: () => 1 }, { resourceLimits: 5 as never })).toThrow(/resourceLimits/);
  });

  test('outside Node', () => {
    const versions = Object.getOwnPropertyDescriptor(process, 'versions') as PropertyDescriptor;
    Object.defineProperty(process, 'versions', { ...versions, value: { ...process.versions, node: undefined } });
    try {
      refused({ one: () => 1 }, 'createPool.fromFunctions', /Node\.js/);
    } finally {
      Object.defineProperty(process, 'versions', versions);
    }
    expect(typeof process.versions.node).toBe('string');
  });
});
