import { Tally } from '../../src/scheduler/tally';

describe('Tally', () => {
  it("rolls every change of a pipeline's tally up into the pool's", () => {
    const pool = new Tally();
    const a = new Tally(pool);
    const b = new Tally(pool);
    a.started(3);
    b.started(2);
    expect(pool.running).toBe(5);
    a.ended(1, 1, 1); // one result, one error, one back to the queue
    expect(a).toMatchObject({ running: 0, completed: 1, failed: 1 });
    b.refused(2);
    expect(b).toMatchObject({ running: 2, completed: 0, failed: 2 });
    expect(pool).toMatchObject({ running: 2, completed: 1, failed: 3 });
  });

  it('takes back a start that did not happen', () => {
    const pool = new Tally();
    const a = new Tally(pool);
    a.started(4);
    a.started(-4);
    expect(pool.running).toBe(0);
    expect(a.running).toBe(0);
  });
});
