// Requests (marbles): one outcome per request; plain values get new requests, WorkRequests keep theirs.
import { map, Observable, tap } from 'rxjs';
import { makeRequests, type Outcome, workRequest } from '../src';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { n, poolMapTasks, testScheduler, useVirtualTime } from './specHelpers';

useVirtualTime();
const tasks = poolMapTasks;

describe('poolMap: requests', () => {
  test('each request yields exactly one outcome, and plain values get unique increasing request ids', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 3, duration: (_task, args) => 7 - (args[0] as number) });
      const idOf = new Map<number, number>();
      const out = cold('(abcdef|)', n).pipe(
        poolMap(pool, 'failIfOdd'),
        tap(({ request }) => idOf.set(request.args[0], request.id)),
        map(({ request }) => request.args[0]),
      );
      // value x takes 7 - x frames: a, b, c run first and end at 6, 5, 4; then d, e, f all end at 7
      expectObservable(out).toBe('----cba(def|)', n);
      testScheduler.flush();
      const ids = [1, 2, 3, 4, 5, 6].map((x) => idOf.get(x) as number);
      expect(new Set(ids).size).toBe(6);
      for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
    });
  });

  test('WorkRequests from makeRequests keep their ids and spread their arguments', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 2, duration: 1 });
      const [p, q, r] = makeRequests([
        [1, 2],
        [3, 4],
        [10, 20],
      ] as [number, number][]);
      const outcomes: Observable<Outcome<[number, number], number>> = cold('pqr|', { p, q, r }).pipe(poolMap(pool, 'add'));
      expectObservable(outcomes).toBe('-pq(r|)', {
        p: { ok: true, request: p, value: 3 },
        q: { ok: true, request: q, value: 7 },
        r: { ok: true, request: r, value: 30 },
      });
    });
  });

  test('plain values and WorkRequests mix in one stream: a request keeps its identity, a value gets a new request', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pool = createVirtualPool(tasks, { scheduler: testScheduler, size: 1, duration: 1 });
      const r = workRequest([21] as [number]);
      const out = cold('rx|', { r, x: 4 }).pipe(
        poolMap(pool, 'double'),
        map((o) => (o.request === r ? `r:${o.ok && o.value}` : `new:${o.request.args[0]}:${o.ok && o.value}:${o.request.id > r.id}`)),
      );
      expectObservable(out).toBe('-r(x|)', { r: 'r:42', x: 'new:4:8:true' });
    });
  });
});
