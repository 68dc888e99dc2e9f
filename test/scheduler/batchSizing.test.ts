import { AUTO_BATCH_MAX, batchSize, type Sizable, withinSpread } from '../../src/scheduler/batchSizing';

const pipeline = (over: Partial<Sizable>): Sizable => ({
  batch: 'auto',
  timeout: undefined,
  queued: 100,
  batchesRunning: 0,
  msPerJob: undefined,
  workMsPerJob: undefined,
  bytesPerJob: undefined,
  ...over,
});

describe('batch sizing', () => {
  it("'auto' sends one request at a time until it has measured the task", () => {
    expect(batchSize(pipeline({}), 4)).toBe(1);
  });

  it("'auto' batches a fast task to about 4 ms of work, at most a fair share of the queue per worker", () => {
    expect(batchSize(pipeline({ msPerJob: 0.01, queued: 10_000 }), 2)).toBe(400);
    expect(batchSize(pipeline({ msPerJob: 0.01, queued: 100 }), 4)).toBe(25);
    expect(batchSize(pipeline({ msPerJob: 0, queued: 100_000 }), 1)).toBe(AUTO_BATCH_MAX);
  });

  it("'auto' does not batch a task of 1 ms or more, nor a pipeline with a timeout", () => {
    expect(batchSize(pipeline({ msPerJob: 1 }), 2)).toBe(1);
    expect(batchSize(pipeline({ msPerJob: 0.01, timeout: 50 }), 2)).toBe(1);
    expect(batchSize(pipeline({ batch: 8, timeout: 50 }), 2)).toBe(1);
  });

  it('a fixed batch takes up to its size of what is queued', () => {
    expect(batchSize(pipeline({ batch: 8, queued: 3 }), 2)).toBe(3);
    expect(batchSize(pipeline({ batch: 8, queued: 30 }), 2)).toBe(8);
  });

  it("sizes by the slots' own clock when the executor asks for it", () => {
    const tuning = { maxJobMs: 5, targetMs: 50, byWorkTime: true, spread: 4 };
    expect(batchSize(pipeline({ msPerJob: 10, workMsPerJob: 0.5, queued: 1000 }), 64, tuning)).toBe(100);
    expect(batchSize(pipeline({ msPerJob: 10, queued: 1000 }), 64, tuning)).toBe(1);
  });

  it("sizes requests that copy large arguments by the slots' own clock, others by the scheduler's", () => {
    // 1 MiB arrays: 1.3 ms each as the scheduler saw them (copying included), 0.2 ms of work on the thread.
    const tuning = { maxJobMs: 1, targetMs: 4, largeRequestBytes: 64 * 1024 };
    expect(batchSize(pipeline({ msPerJob: 1.3, workMsPerJob: 0.2, bytesPerJob: 1024 * 1024, queued: 200 }), 2, tuning)).toBe(20);
    expect(batchSize(pipeline({ msPerJob: 1.3, workMsPerJob: 0.2, bytesPerJob: 1024, queued: 200 }), 2, tuning)).toBe(1);
    // A slow task on large arguments travels two to a batch (one runs while the next is copied), never more.
    expect(batchSize(pipeline({ msPerJob: 30, workMsPerJob: 25, bytesPerJob: 1024 * 1024, queued: 200 }), 2, tuning)).toBe(2);
    expect(batchSize(pipeline({ msPerJob: 30, workMsPerJob: 25, bytesPerJob: 1024 * 1024, queued: 1 }), 2, tuning)).toBe(1);
    expect(batchSize(pipeline({ msPerJob: 30, workMsPerJob: 25, bytesPerJob: 1024, queued: 200 }), 2, tuning)).toBe(1);
  });

  it("keeps a fast 'auto' pipeline within the executor's spread, and no other", () => {
    const tuning = { maxJobMs: 5, targetMs: 50, spread: 2 };
    expect(withinSpread(pipeline({ batchesRunning: 1 }), tuning)).toBe(true);
    expect(withinSpread(pipeline({ batchesRunning: 2 }), tuning)).toBe(false);
    expect(withinSpread(pipeline({ batchesRunning: 2, msPerJob: 0.1 }), tuning)).toBe(false);
    expect(withinSpread(pipeline({ batchesRunning: 2, msPerJob: 10 }), tuning)).toBe(true);
    expect(withinSpread(pipeline({ batchesRunning: 2, batch: 4 }), tuning)).toBe(true);
    expect(withinSpread(pipeline({ batchesRunning: 9 }), undefined)).toBe(true);
  });
});
