// Closing a queue pool: the requests in flight end with PoolClosedError.
import { from, lastValueFrom, toArray } from 'rxjs';
import { PoolClosedError } from '../src';
import { poolMap } from '../operators';
import { statsWhere } from './helpers';
import { uniqueQueue } from './redis/hosts';
import { queueSuite } from './redis/queueSuite';

describe('closing a queue pool', () => {
  const suite = queueSuite();

  test('close ends the requests in flight with PoolClosedError', async () => {
    const pool = suite.open(uniqueQueue('close'));
    await pool.ready;
    const outcomes = lastValueFrom(from([1, 2, 3]).pipe(poolMap(pool, 'inc'), toArray()));
    await statsWhere(pool, (stats) => stats.busy === 3, 'the three requests to be in flight');
    await pool.close();
    expect((await outcomes).map((outcome) => !outcome.ok && outcome.error)).toEqual([
      expect.any(PoolClosedError),
      expect.any(PoolClosedError),
      expect.any(PoolClosedError),
    ]);
  });
});
