// Requests: plain values and WorkRequests (makeRequests, workRequest); each keeps or gets a unique id.
import { from, range } from 'rxjs';
import { makeRequests } from '../src';
import { poolMap, results } from '../operators';
import { closePools, collect, tasksPool } from './helpers';

afterEach(closePools);

describe('requests on real workers', () => {
  test('WorkRequests from makeRequests keep their ids and spread their arguments', async () => {
    const pool = tasksPool({ size: 2 });
    const requests = makeRequests([
      [1, 2],
      [10, 20],
      [100, 200],
    ]);
    const outcomes = await collect(from(requests).pipe(poolMap(pool, 'add'), results()));
    const byId = new Map(outcomes.map(({ request, value }) => [request.id, value]));
    expect(byId).toEqual(
      new Map([
        [requests[0].id, 3],
        [requests[1].id, 30],
        [requests[2].id, 300],
      ]),
    );
    const sent = new Set<unknown>(requests);
    expect(outcomes.every(({ request }) => sent.has(request))).toBe(true);
  });

  test('plain values get unique request ids', async () => {
    const pool = tasksPool({ size: 2 });
    const outcomes = await collect(range(0, 200).pipe(poolMap(pool, 'double')));
    expect(new Set(outcomes.map(({ request }) => request.id)).size).toBe(200);
  });
});
