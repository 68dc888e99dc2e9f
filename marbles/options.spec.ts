// poolMap's options (marbles): bad options are refused at once, naming the option.
import type { TestScheduler } from 'rxjs/testing';
import { poolMap } from '../operators';
import { createVirtualPool } from './createVirtualPool';
import { newTestScheduler } from './specHelpers';

const tasks = { wait: (frames: number): number => frames };

let testScheduler: TestScheduler;
beforeEach(() => (testScheduler = newTestScheduler()));

describe('poolMap options (marbles)', () => {
  test('bad options are refused at once, naming the option', () => {
    const pool = createVirtualPool(tasks, { scheduler: testScheduler });
    expect(() => poolMap(pool, 'wait', { batch: 0 })).toThrow('"batch"');
    expect(() => poolMap(pool, 'wait', { batch: 'big' as never })).toThrow('"batch"');
    expect(() => poolMap(pool, 'wait', { ordered: { buffer: 0 } })).toThrow('"ordered.buffer"');
    expect(() => poolMap(pool, 'wait', { transfer: 5 as never })).toThrow('"transfer"');
    expect(() => poolMap(pool, 'wait', { rerunOnCrash: 'no' as never })).toThrow('"rerunOnCrash"');
    expect(() => poolMap(pool, 'wait', 7 as never)).toThrow('"poolMap options"');
  });
});
