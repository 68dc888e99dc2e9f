// poolPipe (real workers): stream tasks, one instance per key in the worker that owns it: outputs equal the same
// operator per key on the main thread, flushing on completion, a poisoned key, unsubscribing, a worker killed
// mid-stream, 100,000 keys with keyIdleTimeout.
import { rmSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { from, groupBy, lastValueFrom, map, mergeMap, Subject, take, toArray } from 'rxjs';
import type { StreamOutcome } from '../src';
import { poolPipe, pullFrom, results } from '../operators';
import { type Event, finalizeLog, runningSums } from './fixtures/streams.worker';
import { closePools, collect, logLines, streamsPool, waitFor } from './helpers';
import { streamCloseProblem, streamEndedProblem, streamOutputProblem, streamRunProblem } from '../src/wire';

afterEach(closePools);

const byKey = (event: Event): string => event.key;

/** `perKey` events for each of `keys` keys, interleaved irregularly (a fixed shuffle). */
function events(keys: number, perKey: number, extra: (key: number, i: number) => Partial<Event> = () => ({})): Event[] {
  const out: Event[] = [];
  const left = Array.from({ length: keys }, (_, key) => key);
  const next = new Array<number>(keys).fill(0);
  let seed = 99;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  while (left.length > 0) {
    const at = Math.floor(random() * left.length);
    const key = left[at];
    const i = next[key]++;
    out.push({ key: `k${key}`, n: (key * 31 + i * 7) % 101, ...extra(key, i) });
    if (next[key] === perKey) left.splice(at, 1);
  }
  return out;
}

/** Each key's values, in order of emission. */
function byKeyValues(outcomes: readonly StreamOutcome<unknown>[]): Map<unknown, unknown[]> {
  const map = new Map<unknown, unknown[]>();
  for (const outcome of outcomes) if (outcome.ok) map.set(outcome.key, [...(map.get(outcome.key) ?? []), outcome.value]);
  return map;
}

describe('poolPipe on real workers', () => {
  test('200 keys, irregular interleaving: per key, the outputs equal the same operator run per key on the main thread', async () => {
    const pool = streamsPool({ size: 2 });
    const input = events(200, 12);
    const inWorkers = await collect(from(input).pipe(poolPipe(pool, 'sums', { key: byKey })));
    expect(inWorkers.every((outcome) => outcome.ok)).toBe(true);
    const onMainThread = await lastValueFrom(
      from(input).pipe(
        groupBy(byKey),
        mergeMap((group$) => runningSums(group$).pipe(map((value) => ({ ok: true as const, key: group$.key, value })))),
        toArray(),
      ),
    );
    expect(byKeyValues(inWorkers)).toEqual(byKeyValues(onMainThread));
  });

  test('when the source completes every instance flushes (reduce), and the output completes after the last', async () => {
    const pool = streamsPool({ size: 2 });
    const input = events(30, 5);
    const totals = await collect(from(input).pipe(poolPipe(pool, 'total', { key: byKey }), results()));
    const expected = new Map<string, number>();
    for (const event of input) expected.set(event.key, (expected.get(event.key) ?? 0) + event.n);
    expect(new Map(totals.map(({ key, value }) => [key, value]))).toEqual(expected);
  });

  test('one poisoned key among many: one TaskError outcome for it, its instance ends; the others, and its later values, go on', async () => {
    const pool = streamsPool({ size: 2 });
    const input = events(20, 6, (key, i) => (key === 7 && i === 2 ? { poison: true } : {}));
    const outcomes = await collect(from(input).pipe(poolPipe(pool, 'picky', { key: byKey })));
    const failures = outcomes.filter((outcome) => !outcome.ok);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ ok: false, key: 'k7', error: { code: 'ERR_TASK_FAILED', key: 'k7', cause: { name: 'RangeError' } } });
    expect(!failures[0].ok && failures[0].error.message).toContain('"k7"');
    // Every other value came out (k7's poisoned one is the failure): a fresh instance took k7's later values.
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(input.length - 1);
  });

  test('unsubscribing mid-stream unsubscribes every instance inside its worker (finalize runs there)', async () => {
    const log = finalizeLog(process.pid);
    rmSync(log, { force: true });
    const pool = streamsPool({ size: 2 });
    const source = new Subject<Event>();
    const seen: StreamOutcome<number>[] = [];
    const subscription = source.pipe(poolPipe(pool, 'picky', { key: byKey })).subscribe((outcome) => seen.push(outcome));
    for (const event of events(10, 1)) source.next(event);
    await waitFor(() => seen.length === 10, 'the first value of each of 10 keys to come out');
    subscription.unsubscribe();
    await waitFor(() => logLines(log).length === 10, 'finalize of the 10 instances, in the workers');
    const lines = logLines(log);
    expect(new Set(lines.map((line) => line.split(' ')[1]))).toEqual(new Set(events(10, 1).map((event) => event.key)));
    // They ran in worker threads, not on the main thread (thread 0).
    expect(lines.every((line) => Number(line.split(' ')[2]) > 0)).toBe(true);
    rmSync(log, { force: true });
  });

  test('a worker killed mid-stream: one WorkerCrashedError per key it held, counting what it had; later values start fresh instances; nothing lost', async () => {
    const pool = streamsPool({ size: 2 });
    // k3's 6th value exits its worker.
    const input = events(8, 10, (key, i) => (key === 3 && i === 5 ? { exit: true } : {}));
    const outcomes = await collect(from(input).pipe(poolPipe(pool, 'count', { key: byKey })));
    const crashed = outcomes.filter((outcome) => !outcome.ok);
    expect(crashed.length).toBeGreaterThanOrEqual(1);
    for (const outcome of crashed) expect(!outcome.ok && outcome.error).toMatchObject({ code: 'ERR_WORKER_CRASHED', stream: { key: outcome.key } });
    // Every value reached an instance (counted by its outputs) or is counted in its instance's crash outcome.
    const submitted = new Map<string, number>();
    for (const event of input) submitted.set(event.key, (submitted.get(event.key) ?? 0) + 1);
    const accounted = new Map<unknown, number>();
    const open = new Map<unknown, number>();
    for (const outcome of outcomes) {
      const count = accounted.get(outcome.key) ?? 0;
      if (outcome.ok) {
        const value = outcome.value as number;
        if (value === 1 && (open.get(outcome.key) ?? 0) > 0) accounted.set(outcome.key, count + open.get(outcome.key)!);
        open.set(outcome.key, value);
      } else if (outcome.error.code === 'ERR_WORKER_CRASHED' && outcome.error.stream) {
        // The crashed instance's outputs are replaced by what it was sent.
        accounted.set(outcome.key, count + outcome.error.stream.fed);
        open.set(outcome.key, 0);
      }
    }
    for (const [key, value] of open) accounted.set(key, (accounted.get(key) ?? 0) + value);
    expect(accounted).toEqual(submitted);
  });

  test('150,000 keys (three runs of 50,000) with keyIdleTimeout: instances end as they idle, and what the main thread keeps does not grow with the keys', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const pool = streamsPool({ size: 2 });
    function* keyed(offset: number): Generator<Event> {
      for (let i = offset; i < offset + 50_000; i++) yield { key: `key-${i}`, n: 1 };
    }
    const run = (offset: number): Promise<number> =>
      lastValueFrom(pullFrom(keyed(offset)).pipe(poolPipe(pool, 'total', { key: byKey, keyIdleTimeout: 20 }), results(), toArray())).then(
        (totals) => totals.length,
      );
    expect(await run(0)).toBe(50_000);
    // Two more runs, measured together: what a run leaves for good adds up over both (100,000 instance records would
    // be 10 MB and more), while one measurement alone swings by about ±4.5 MB either way (when the collector last
    // moved things), and the swings of the two runs cancel.
    gc();
    const before = process.memoryUsage().heapUsed;
    for (const offset of [50_000, 100_000]) expect(await run(offset)).toBe(50_000);
    gc();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(5 * 1024 * 1024);
  }, 90_000);

  test('take() on the output stops the stream: its instances are unsubscribed, and the pool serves the next pipeline', async () => {
    const pool = streamsPool({ size: 1 });
    const firstThree = await collect(from(events(5, 20)).pipe(poolPipe(pool, 'sums', { key: byKey }), take(3)));
    expect(firstThree).toHaveLength(3);
    const after = await collect(
      from([1, 2]).pipe(
        map((n) => ({ key: 'x', n })),
        poolPipe(pool, 'sums', { key: byKey }),
      ),
    );
    expect(after.map((outcome) => outcome.ok && outcome.value)).toEqual(['1/1', '3/2']);
  });
});

describe('the stream wire (src/wire.ts), checked at both ends', () => {
  test('a run message’s stream field, checked by the worker', () => {
    expect(streamRunProblem({ session: 3, idle: 100, unkeyed: true })).toBeUndefined();
    expect(streamRunProblem({ session: 0 })).toMatch(/stream.session must be a session number/);
    expect(streamRunProblem({ session: 1, idle: 2 ** 31 })).toMatch(/stream.idle must be a whole number of ms/);
    expect(streamRunProblem({ session: 1, unkeyed: 'yes' })).toMatch(/stream.unkeyed must be true/);
    expect(streamRunProblem([1])).toMatch(/stream must be an object/);
  });

  test('outputs and ends, checked by the master; closes, checked by the worker', () => {
    expect(streamOutputProblem({ session: 1, keys: ['a', 2], keyRuns: [2, 1], values: [1, 2, 3] })).toBeUndefined();
    expect(streamOutputProblem({ session: 1, values: [1] })).toMatch(/keys must be an array/);
    expect(streamOutputProblem({ session: 1, keys: ['a'], keyRuns: [2], values: [1] })).toMatch(/more requests than the 1/);
    expect(streamOutputProblem({ session: 1, keys: ['a'], keyRuns: [1], values: [] })).toMatch(/values has 0 items/);
    expect(streamEndedProblem({ session: 1, key: 'a' })).toBeUndefined();
    expect(streamEndedProblem({ session: 1 })).toBeUndefined(); // drained
    expect(streamEndedProblem({ session: 1, error: { name: 'Error', message: 'x' } })).toMatch(/error must be a serialized error of a key/);
    expect(streamEndedProblem({ session: 1, key: {} })).toMatch(/key must be a string or a finite number/);
    expect(streamCloseProblem({ session: 1, keys: ['a'], cancel: true })).toBeUndefined();
    expect(streamCloseProblem({ session: 1, keys: [null] })).toMatch(/keys\[0\] must be a string or a finite number/);
    expect(streamCloseProblem({ session: -1 })).toMatch(/session must be a session number/);
  });
});

describe('stream tasks meet a draining close', () => {
  test('close({ drain: true }) with instances open: each ends with one PoolClosedError outcome for its key; later values are refused; the output completes with the source', async () => {
    const pool = streamsPool({ size: 2 });
    await pool.ready;
    const source = new Subject<Event>();
    const outcomes: StreamOutcome[] = [];
    let completed = false;
    source.pipe(poolPipe(pool, 'total', { key: byKey })).subscribe({ next: (outcome) => outcomes.push(outcome), complete: () => (completed = true) });
    source.next({ key: 'a', n: 1 });
    source.next({ key: 'b', n: 2 });
    // Both values fed (the pipeline has nothing pending): the drain ends at once and the workers stop under the instances.
    await pool.close({ drain: true });
    await waitFor(() => outcomes.length >= 2, 'an outcome for each open instance');
    source.next({ key: 'a', n: 3 });
    source.complete();
    await waitFor(() => completed, 'the output to complete');
    const failures = outcomes.map((outcome) => [outcome.key, !outcome.ok && outcome.error.code]);
    expect(failures.slice(0, 2).sort()).toEqual([
      ['a', 'ERR_POOL_CLOSED'],
      ['b', 'ERR_POOL_CLOSED'],
    ]);
    expect(failures.slice(2)).toEqual([['a', 'ERR_POOL_CLOSED']]);
  });
});
