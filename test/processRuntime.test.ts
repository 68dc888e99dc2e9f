// runtime: 'process': the same worker module in child processes. What only a process has or lacks is tested here;
// the pool's core promises (exactly once, crashes, timeouts, close, recycling) run on both runtimes in their own suites.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { filter, firstValueFrom, from, take, toArray } from 'rxjs';
import { createPool, InvalidOptionError, type PoolEvent, WorkerCrashedError, workRequest } from '../src';
import { poolMap, poolPipe, results } from '../operators';
import { logFile } from './fixtures/features.worker';
import type { StreamTasks } from './fixtures/streams.worker';
import type { Tasks } from './fixtures/tasks.worker';
import { resolveProcessRuntime } from '../src/threads/platform';
import { closePools, collect, faultsPool, featuresPool, fixture, keyedPool, tasksPool, track } from './helpers';

afterEach(closePools);

describe("runtime: 'process'", () => {
  test('each worker is a child process of its own, with env, argv and execArgv, its replacements too', async () => {
    const pool = featuresPool({
      runtime: 'process',
      size: 2,
      env: { ...process.env, POOL_TEST_VARIABLE: 'from the pool' },
      argv: ['--mode', 'test'],
      execArgv: ['--no-warnings'],
      maxTasksPerWorker: 1,
    });
    const first = await pool.run('threadId');
    const second = await pool.run('threadId');
    expect(first).not.toBe(process.pid);
    // maxTasksPerWorker: 1 replaced the first process: the second request ran in another.
    expect(second).not.toBe(first);
    const started = await pool.run('startedWith', 'POOL_TEST_VARIABLE');
    expect(started.value).toBe('from the pool');
    expect(started.argv.slice(-2)).toEqual(['--mode', 'test']);
    expect(started.execArgv).toContain('--no-warnings');
    expect(process.env.POOL_TEST_VARIABLE).toBeUndefined();
  });

  test("setup runs in each process before its first request, teardown when it is stopped idle; stdout: 'events' captures its lines", async () => {
    rmSync(logFile(), { force: true });
    const pool = featuresPool({ runtime: 'process', size: 1, stdout: 'events' });
    const lines = firstValueFrom(
      pool.events$.pipe(
        filter((event): event is Extract<PoolEvent, { type: 'workerOutput' }> => event.type === 'workerOutput'),
        take(2),
        toArray(),
      ),
    );
    const pid = await pool.run('threadId');
    expect(await pool.run('modelName')).toBe(`tiny-model (loaded by ${pid})`);
    expect(await pool.run('say', 'hello')).toBe('hello');
    expect((await lines).map((line) => line.text)).toEqual(['hello', 'second line of hello']);
    await pool.close();
    // Only this pool's process: a worker another test's pool recycled may still be tearing down (see the closing note).
    const ours = readFileSync(logFile(), 'utf8')
      .trim()
      .split('\n')
      .filter((line) => line.endsWith(` ${pid}`));
    expect(ours).toEqual([`setup ${pid}`, `teardown ${pid}`]);
    rmSync(logFile(), { force: true });
  });

  test('a transfer list is copied, not moved: the sender keeps its buffer, and the result is the same', async () => {
    const pool = tasksPool({ runtime: 'process', size: 1 });
    const values = new Float64Array([1, 2, 3.5]);
    const [sum] = await collect(from([values]).pipe(poolMap(pool, 'sum', { transfer: (sent) => [sent.buffer] }), results()));
    expect(sum.value).toBe(6.5);
    expect(values.buffer.byteLength).toBe(24);
  });

  test('resourceLimits.maxOldGenerationSizeMb bounds each process: a task past it fails alone with WorkerCrashedError, and the pool goes on', async () => {
    const pool = faultsPool({ runtime: 'process', size: 1, resourceLimits: { maxOldGenerationSizeMb: 48 } });
    const [crashed] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'allocate', { rerunOnCrash: false })));
    expect(!crashed.ok && crashed.error).toBeInstanceOf(WorkerCrashedError);
    expect(!crashed.ok && crashed.error.message).toMatch(/out of memory/);
    expect(await pool.run('echo', 3)).toBe(3);
  });

  test('a key keeps its order and its state in its process; stream tasks run in processes too', async () => {
    const keyed = keyedPool({ runtime: 'process', size: 2 });
    const visits = Array.from({ length: 40 }, (_, seq) => ({ key: `k${seq % 4}`, seq }));
    const seen = await collect(from(visits).pipe(poolMap(keyed, 'visit', { key: (visit) => visit.key }), results()));
    const byKey = new Map<unknown, { seq: number; previous: number | undefined }[]>();
    for (const { value } of seen) byKey.set(value.key, [...(byKey.get(value.key) ?? []), value]);
    expect(byKey.size).toBe(4);
    for (const [key, answers] of byKey) {
      const sent = visits.filter((visit) => visit.key === key).map((visit) => visit.seq);
      expect(answers.map((answer) => answer.seq)).toEqual(sent);
      // The state the process keeps for the key: each request saw the one before it.
      expect(answers.map((answer) => answer.previous)).toEqual([undefined, ...sent.slice(0, -1)]);
    }
    const streams = track(createPool<StreamTasks>(fixture('streams.worker.ts'), { runtime: 'process', size: 2 }));
    const events = [
      { key: 'a', n: 1 },
      { key: 'b', n: 2 },
      { key: 'a', n: 3 },
    ];
    const outputs = await collect(from(events).pipe(poolPipe(streams, 'sums', { key: (event) => event.key })));
    const outputsOf = (key: string): unknown[] => outputs.flatMap((outcome) => (outcome.ok && outcome.key === key ? [outcome.value] : []));
    expect(outputsOf('a')).toEqual(['1/1', '4/2']);
    expect(outputsOf('b')).toEqual(['2/1']);
  });

  test('killing an idle child keeps this process alive until the child has exited (an idle child does not)', async () => {
    // Child processes this process is kept alive for (the test Redis server may be one).
    const children = (): number => process.getActiveResourcesInfo().filter((resource) => resource === 'ProcessWrap').length;
    const others = children();
    const runtime = resolveProcessRuntime(fixture('tasks.worker.ts'));
    let ended = 0;
    const worker = runtime.start({ message: () => undefined, ended: () => void ended++ });
    expect(children()).toBe(others + 1);
    worker.hold(false);
    expect(children()).toBe(others);
    // Unheld while it exits, this process could end first and never hear of it: a close() that never resolves.
    const killed = worker.kill();
    expect(children()).toBe(others + 1);
    await killed;
    // Killed by the executor: not reported as an end of its own.
    expect(ended).toBe(0);
  });

  test.each([
    ['workerData', { workerData: { model: 'tiny' } }, 'workerData'],
    ['name', { name: 'worker' }, 'name'],
    ['a resource limit other than maxOldGenerationSizeMb', { resourceLimits: { stackSizeMb: 8 } }, 'resourceLimits.stackSizeMb'],
  ])('%s is refused with InvalidOptionError naming it', (_case, options, option) => {
    expect(() => createPool<Tasks>(fixture('tasks.worker.ts'), { runtime: 'process', ...options })).toThrow(
      expect.objectContaining({ name: 'InvalidOptionError', option }) as never,
    );
  });

  test('a runtime that is not one, a factory, and inline tasks are refused with InvalidOptionError naming runtime', () => {
    for (const make of [
      () => createPool<Tasks>(fixture('tasks.worker.ts'), { runtime: 'child_process' as never }),
      () => createPool(() => new Worker(fixture('tasks.worker.ts')) as never, { runtime: 'process' }),
      () => createPool.fromFunctions({ double: (n: number) => n * 2 }, { runtime: 'process' } as never),
    ]) {
      expect(make).toThrow(InvalidOptionError);
      expect(make).toThrow(expect.objectContaining({ option: 'runtime' }) as never);
    }
    expect(existsSync(fixture('tasks.worker.ts'))).toBe(true);
  });
});
