// Values that cannot cross to a worker or back (structured clone): DataCloneError for that request only; the worker is spared.
import { from } from 'rxjs';
import { DataCloneError, workRequest } from '../src';
import { poolMap, results } from '../operators';
import { closePools, collect, faultsPool, tasksPool } from './helpers';

afterEach(closePools);

describe('arguments that cannot be cloned', () => {
  test('arguments that cannot be cloned end that request with DataCloneError and spare the worker', async () => {
    const pool = tasksPool({ size: 1 });
    const [threadBefore] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'threadId'), results()));
    const [bad] = await collect(from([(() => 1) as unknown as number]).pipe(poolMap(pool, 'double')));
    expect(!bad.ok && bad.error).toMatchObject({ code: 'ERR_DATA_CLONE', what: 'arguments', requestId: bad.request.id });
    const [threadAfter] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'threadId'), results()));
    expect(threadAfter.value).toBe(threadBefore.value);
  });

  test.each([
    ['a function', () => 1, 0],
    ['a symbol', Symbol('s'), 0],
    ['an object holding a function', { nested: { fn: () => 1 } }, 0],
  ])('an argument that cannot be cloned (%s) fails that request only, naming its position', async (_case, bad, position) => {
    const pool = faultsPool({ size: 1 });
    const outcomes = await collect(from([workRequest(['fine']), workRequest([bad]), workRequest(['fine too'])]).pipe(poolMap(pool, 'echo')));
    // position: the argument's index in the request's arguments.
    const failed = outcomes.filter((outcome) => !outcome.ok);
    expect(failed).toHaveLength(1);
    const error = !failed[0].ok && (failed[0].error as DataCloneError);
    expect(error).toBeInstanceOf(DataCloneError);
    expect(error).toMatchObject({ what: 'arguments', position, requestId: failed[0].request.id });
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(2);
  });

  test('DataCloneError reads as one sentence per point, with no doubled period', async () => {
    const pool = tasksPool({ size: 1 });
    const [outcome] = await collect(from([workRequest([() => 1] as never)]).pipe(poolMap(pool, 'double')));
    expect(!outcome.ok && outcome.error.code).toBe('ERR_DATA_CLONE');
    expect(!outcome.ok && outcome.error.message).not.toContain('..');
  });
});

describe('results that cannot be cloned', () => {
  test('a result that cannot be cloned ends that request with DataCloneError', async () => {
    const pool = tasksPool({ size: 1 });
    const [bad] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'unclonable')));
    expect(!bad.ok && (bad.error as DataCloneError)).toMatchObject({ code: 'ERR_DATA_CLONE', what: 'result' });
    const [good] = await collect(from([21]).pipe(poolMap(pool, 'double'), results()));
    expect(good.value).toBe(42);
  });

  test('a result that cannot be cloned back fails that request only', async () => {
    const pool = faultsPool({ size: 1 });
    const [bad] = await collect(from([workRequest([])]).pipe(poolMap(pool, 'returnSymbol')));
    expect(!bad.ok && bad.error).toMatchObject({ code: 'ERR_DATA_CLONE', what: 'result' });
  });
});
