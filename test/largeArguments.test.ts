// Requests with large arguments: a batch of them travels one message per request (so the worker runs the
// first while the main thread copies the next), its requests still run one after another, each yields its
// own outcome, and 'auto' sizes their batches by the worker's own time.
import { from } from 'rxjs';
import { DataCloneError, workRequest } from '../src';
import { poolMap } from '../operators';
import { Batch, BatchWire } from '../src/workerExecutor/batchWire';
import { copyBytes, PART_BYTES } from '../src/workerExecutor/copyBytes';
import { RUN, type RunMessage } from '../src/messages';
import type { Job } from '../src/executor';
import { closePools, collect, featuresPool, tasksPool } from './helpers';

afterEach(closePools);

const large = (): Uint8Array => new Uint8Array(PART_BYTES).fill(1);

describe('how many bytes a request copies (copyBytes)', () => {
  test('counts typed arrays, buffers, data views and strings, among the arguments and one level into them', () => {
    expect(copyBytes([1, 'abc', new Float64Array(4)], undefined)).toBe(3 + 32);
    expect(copyBytes([new ArrayBuffer(10), new DataView(new ArrayBuffer(8), 2, 4)], undefined)).toBe(14);
    expect(copyBytes([{ data: new Uint8Array(100), name: 'x' }, [new Uint8Array(50)]], undefined)).toBe(151);
    // Two levels down is not looked at.
    expect(copyBytes([{ deep: { data: new Uint8Array(100) } }], undefined)).toBe(0);
  });

  test('does not count what moves (the transfer list) or is shared', () => {
    const moved = new Float64Array(1000);
    expect(copyBytes([moved], [moved.buffer])).toBe(0);
    expect(copyBytes([new Uint8Array(new SharedArrayBuffer(1000))], undefined)).toBe(0);
  });

  test('never throws on a hostile value: what it counted before stands', () => {
    const throwing = {
      get data(): never {
        throw new Error('no');
      },
    };
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    expect(copyBytes([new Uint8Array(10), throwing], undefined)).toBe(10);
    expect(copyBytes([new Uint8Array(10), revoked.proxy], undefined)).toBe(10);
  });
});

describe('a batch of large requests on the wire (BatchWire)', () => {
  const jobs = (args: readonly unknown[][]): Job[] => args.map((each, i) => ({ id: i + 1, task: 'overlap', args: each }));
  const posted = (batchArgs: readonly unknown[][]): RunMessage[] => {
    const messages: RunMessage[] = [];
    const port = {
      post: (message: unknown) => void messages.push(message as RunMessage),
      hold: () => undefined,
      kill: () => undefined,
    };
    new BatchWire(port, 1, false).send(new Batch(jobs(batchArgs), () => undefined, undefined));
    return messages;
  };

  test('small requests travel in one message', () => {
    const messages = posted([[1], ['a'], [new Uint8Array(100)]]);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ type: RUN });
    expect(messages[0].args).toHaveLength(3);
    expect(messages[0].follows).toBeUndefined();
  });

  test('large ones travel one per message, each following the one before; small ones go with the one before them', () => {
    const messages = posted([[large()], [1], [2], [large()], [large()]]);
    expect(messages.map((message) => message.args.length)).toEqual([3, 1, 1]);
    expect(messages[0].follows).toBeUndefined();
    for (let i = 1; i < messages.length; i++) expect(messages[i].follows).toBe(messages[i - 1].batch);
  });
});

describe('large requests on real workers', () => {
  test('a batch of them runs its requests one after another, async tasks too (no two at once in a worker)', async () => {
    const pool = tasksPool({ size: 1 });
    const requests = Array.from({ length: 6 }, () => workRequest([large(), 5]));
    const outcomes = await collect(from(requests).pipe(poolMap(pool, 'overlap', { batch: 6 })));
    expect(outcomes.map((outcome) => outcome.ok && outcome.value)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  test('one that cannot be cloned fails alone; its large batch-mates run', async () => {
    const pool = tasksPool({ size: 1 });
    const big = new Float64Array(PART_BYTES / 8).fill(1);
    const requests = [workRequest([big]), workRequest([big, () => 0] as unknown as [Float64Array]), workRequest([big])];
    const outcomes = await collect(from(requests).pipe(poolMap(pool, 'sum', { batch: 3 })));
    expect(outcomes.map((outcome) => outcome.ok && outcome.value)).toEqual([PART_BYTES / 8, false, PART_BYTES / 8]);
    expect(!outcomes[1].ok && outcomes[1].error).toBeInstanceOf(DataCloneError);
  });

  test('progress reaches the request that yielded it, whichever message carried it', async () => {
    const pool = featuresPool({ size: 1 });
    const items = await collect(from([3, 2, 4].map((n) => workRequest([n, large()]))).pipe(poolMap(pool, 'countUpWith', { batch: 3, progress: true })));
    const progress = items.flatMap((item) => ('progress' in item ? [[item.request.args[0], item.progress]] : []));
    expect(progress).toEqual([
      [3, 0],
      [3, 1],
      [3, 2],
      [2, 0],
      [2, 1],
      [4, 0],
      [4, 1],
      [4, 2],
      [4, 3],
    ]);
    expect(items.flatMap((item) => ('ok' in item && item.ok ? [item.value] : []))).toEqual([3, 2, 4]);
  });

  test("'auto' batches fast tasks on large arrays, and every request yields its outcome", async () => {
    const pool = tasksPool({ size: 2 });
    const arrays = Array.from({ length: 120 }, (_, i) => new Float64Array(PART_BYTES / 8).fill(i));
    const outcomes = await collect(from(arrays).pipe(poolMap(pool, 'sum')));
    // Outcomes come as they complete: compare them by request.
    const byInput = outcomes
      .map((outcome) => [(outcome.request.args[0] as Float64Array)[0], outcome.ok && outcome.value])
      .sort(([a], [b]) => Number(a) - Number(b));
    expect(byInput).toEqual(arrays.map((_, i) => [i, (i * PART_BYTES) / 8]));
    expect(pool.stats.completed).toBe(120);
  });
});
