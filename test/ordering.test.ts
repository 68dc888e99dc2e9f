// ordered: outcomes in request order instead of completion order.
import { from } from 'rxjs';
import { poolMap } from '../operators';
import { closePools, collect, tasksPool } from './helpers';

afterEach(closePools);

describe('ordered output on real workers', () => {
  test('ordered: true emits in request order even when later requests finish first', async () => {
    const pool = tasksPool({ size: 2 });
    const delays = [60, 5, 40, 1, 20, 1, 1, 30];
    const outcomes = await collect(from(delays).pipe(poolMap(pool, 'delayed', { ordered: true })));
    expect(outcomes.map((outcome) => outcome.ok && outcome.value)).toEqual(delays.map((ms) => `waited ${ms}`));
  });
});
