// transfer (marbles): a transfer callback that throws fails that request only; the stream goes on and completes. A result marked with
// transfer() whose list cannot be moved fails that request with DataCloneError, as on a thread.
import { map, tap } from 'rxjs';
import { DataCloneError, type Failure } from '../src';
import { transfer as transferResult } from '../src/worker';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { n, openPool, testScheduler, useVirtualTime } from './specHelpers';

useVirtualTime();

describe('poolMap contract: a throwing transfer option', () => {
  // mergeMap has no such option; its nearest counterpart is a project function that throws, which
  // errors mergeMap's stream. poolMap's per-request callbacks must instead end that request with a
  // failure outcome, and the stream must go on and complete.
  const transfer = (x: number): [] => {
    if (x === 2) throw new Error('no');
    return [];
  };

  // One worker, 4 frames a request. The marbles hold whether the failure is made when the request
  // arrives or when it would have started: spaced out, request 2 finds the worker free either way.
  test.each([
    // 1 runs 0-4; 2 arrives at 5 and fails; 3 runs 10-14
    ['without ordered, requests spaced out', false, 'a----b----c|      ', '----ab--------(c|)'],
    ['with ordered: true, requests spaced out', true, 'a----b----c|      ', '----ab--------(c|)'],
    // ordered over a burst: 2's failure waits for 1's outcome (4), and 3 runs 4-8
    ['with ordered: true, requests in a burst', true, '(abc|)      ', '----(ab)(c|)'],
  ] as const)(
    '%s: three outcomes, the second a failure naming transfer and its request; then completion, with no pipeline left',
    (_name, ordered, sourceMarble, expected) => {
      testScheduler.run(({ cold, expectObservable, flush }) => {
        const { pool, started } = openPool(1, 4);
        const failures: Failure<readonly unknown[]>[] = [];
        const source = cold(sourceMarble, n);
        const out = source.pipe(
          poolMap(pool, 'double', { transfer, ordered }),
          tap((outcome) => {
            if (!outcome.ok) failures.push(outcome);
          }),
          // the failure's error is checked below, not its code
          map((outcome) => (outcome.ok ? `${outcome.request.args[0]}=${outcome.value}` : `${outcome.request.args[0]}!`)),
        );
        expectObservable(out).toBe(expected, { a: '1=2', b: '2!', c: '3=6' });
        flush();
        expect(started).toEqual([1, 3]);
        expect(failures).toHaveLength(1);
        const [failure] = failures;
        expect(failure.request.args).toEqual([2]);
        expect(failure.error).toBeInstanceOf(Error);
        expect(failure.error.message).toMatch(/transfer/);
        expect(failure.error.message).toMatch(new RegExp(`\\b${failure.request.id}\\b`));
        expect(pool.stats.pipelines).toEqual([]);
      });
    },
  );
});

describe('a result marked with transfer()', () => {
  test('moves nothing in virtual time; a list that could not be moved (a typed array, not its buffer) fails that request with DataCloneError', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const tasks = {
        /** `n` bytes, their buffer listed to move; for an odd `n`, the typed array itself, which a thread cannot move. */
        bytes(count: number): Uint8Array {
          const bytes = new Uint8Array(count);
          return transferResult(bytes, [count % 2 === 1 ? bytes : bytes.buffer]);
        },
      };
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 2 });
      const out = cold('(abc|)', n).pipe(
        poolMap(pool, 'bytes'),
        map((outcome) =>
          outcome.ok
            ? `${outcome.value.length} bytes`
            : `${(outcome.error as DataCloneError).code} ${(outcome.error as DataCloneError).what} ${outcome.error instanceof DataCloneError}`,
        ),
      );
      // a (1) and c (3) list their typed arrays: each fails alone, at the end of its frames; b (2) keeps its bytes.
      expectObservable(out).toBe('--a-b-(c|)', { a: 'ERR_DATA_CLONE result true', b: '2 bytes', c: 'ERR_DATA_CLONE result true' });
    });
  });
});
