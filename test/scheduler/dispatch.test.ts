import { PoolClosedError, WorkerCrashedError } from '../../src/errors';
import type { BatchStart, Done, Executor, ExecutorHost, Job, RunningBatch } from '../../src/executor';
import type { Outcome } from '../../src/outcomes';
import { workRequest } from '../../src/requests';
import { Scheduler } from '../../src/scheduler/dispatch';

/** A batch the fake executor holds until the test answers it. */
interface Held {
  readonly jobs: readonly Job[];
  readonly done: Done;
  readonly alone: boolean;
  cancelled: boolean;
  abandoned: boolean;
}

/** An executor with `slots` slots whose batches the test answers by hand. */
class HandExecutor implements Executor {
  host!: ExecutorHost;
  readonly held: Held[] = [];
  readonly ready = Promise.resolve();
  readonly tasks = undefined;
  /** Answer inside `start`, before it returns, with these values. */
  answerAtOnce: ((jobs: readonly Job[]) => unknown[]) | undefined;
  holdWhileQueued = true;

  constructor(public slots: number) {}

  attach(host: ExecutorHost): void {
    this.host = host;
  }
  get capacity(): number {
    return this.slots;
  }
  /** Workers are up at once. */
  readonly starting = 0;

  get busy(): number {
    return this.held.length;
  }
  /** Calls of `start`, taken or not. */
  starts = 0;
  start({ jobs, alone }: BatchStart, done: Done): RunningBatch | undefined {
    this.starts++;
    if (this.held.length >= this.slots) return undefined;
    if (this.answerAtOnce) {
      done({ values: this.answerAtOnce(jobs) }, 1);
      return { slot: undefined, cancel: () => undefined };
    }
    const held: Held = { jobs, done, alone, cancelled: false, abandoned: false };
    this.held.push(held);
    return { slot: undefined, cancel: () => (held.cancelled = true), abandon: () => (held.abandoned = true) };
  }
  /** Answers the oldest held batch: each job's value is its argument times 10, unless `errors` says otherwise. */
  answer(errors?: (job: Job) => WorkerCrashedError | undefined): void {
    const held = this.held.shift()!;
    const errs = errors ? held.jobs.map(errors) : undefined;
    held.done({ values: held.jobs.map((job) => (job.args[0] as number) * 10), errors: errs }, 1);
  }
  createWorkers(n: number): Promise<void> {
    this.slots += n;
    this.host.wake();
    return Promise.resolve();
  }
  dismissWorkers(n: number): { count: number; gone: Promise<void> } {
    this.slots -= n;
    this.host.wake();
    return { count: n, gone: Promise.resolve() };
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function setUp(slots: number): { executor: HandExecutor; scheduler: Scheduler } {
  const executor = new HandExecutor(slots);
  const scheduler = new Scheduler(executor, () => undefined);
  executor.attach(scheduler);
  return { executor, scheduler };
}

const values = (outcomes: Outcome<readonly unknown[]>[]): unknown[] => outcomes.map((o) => (o.ok ? o.value : o.error.name));

describe('Scheduler (the dispatch loop, over an executor answered by hand)', () => {
  it("counts each request once: queued, running, then ended, and the pool's totals are the pipelines' sum", () => {
    const { executor, scheduler } = setUp(1);
    const outcomes: Outcome<readonly unknown[]>[] = [];
    const a = scheduler.openPipeline('t', (o) => outcomes.push(o), { batch: 1 });
    const b = scheduler.openPipeline('t', (o) => outcomes.push(o), { batch: 1 });
    for (let i = 1; i <= 3; i++) a.submit(workRequest([i]));
    b.submit(workRequest([4]));
    expect([a.queued, a.running, a.pending, b.pending, scheduler.queued, scheduler.tally.running]).toEqual([2, 1, 3, 1, 3, 1]);
    while (executor.held.length > 0) executor.answer();
    // 1 started at once; then a (queued first) and b take turns: 2, 4, 3.
    expect(values(outcomes)).toEqual([10, 20, 40, 30]);
    expect([a.pending, b.pending, scheduler.queued, scheduler.tally.running]).toEqual([0, 0, 0, 0]);
    expect([a.tally.completed, b.tally.completed, scheduler.tally.completed]).toEqual([3, 1, 4]);
  });

  it('a pipeline is pending until its last outcome of a batch is delivered', () => {
    const { executor, scheduler } = setUp(0);
    const pendingSeen: number[] = [];
    const pipeline = scheduler.openPipeline('t', () => pendingSeen.push(pipeline.pending), { batch: 3 });
    for (let i = 1; i <= 3; i++) pipeline.submit(workRequest([i]));
    void executor.createWorkers(1);
    expect(executor.held[0].jobs).toHaveLength(3);
    executor.answer();
    expect(pendingSeen).toEqual([2, 1, 0]);
  });

  it('reruns a request alone when its worker died under it; a second death is its own fault', () => {
    const { executor, scheduler } = setUp(0);
    const outcomes: Outcome<readonly unknown[]>[] = [];
    const pipeline = scheduler.openPipeline('t', (o) => outcomes.push(o), { batch: 3 });
    for (let i = 1; i <= 3; i++) pipeline.submit(workRequest([i]));
    void executor.createWorkers(1);
    const crash = (job: Job): WorkerCrashedError | undefined => (job.args[0] === 2 ? new WorkerCrashedError(job.id, 'exit code 1') : undefined);
    executor.answer(crash);
    expect(values(outcomes)).toEqual([10, 30]);
    expect(executor.held).toHaveLength(1);
    expect(executor.held[0].alone).toBe(true);
    expect(executor.held[0].jobs.map((job) => job.args[0])).toEqual([2]);
    executor.answer(crash);
    expect(values(outcomes)).toEqual([10, 30, 'WorkerCrashedError']);
    expect(scheduler.tally).toMatchObject({ running: 0, completed: 2, failed: 1 });
  });

  it('leaves the queue as it was when no slot takes a batch, and starts it when one is free', () => {
    const { executor, scheduler } = setUp(0);
    const outcomes: Outcome<readonly unknown[]>[] = [];
    const pipeline = scheduler.openPipeline('t', (o) => outcomes.push(o), { batch: 2 });
    for (let i = 1; i <= 3; i++) pipeline.submit(workRequest([i]));
    expect([pipeline.queued, pipeline.running]).toEqual([3, 0]);
    void executor.createWorkers(1);
    expect([pipeline.queued, pipeline.running]).toEqual([1, 2]);
    executor.answer();
    executor.answer();
    expect(values(outcomes)).toEqual([10, 20, 30]);
  });

  it('does not offer batches to an executor whose every slot is busy until it wakes or a batch ends', () => {
    const { executor, scheduler } = setUp(1);
    const pipeline = scheduler.openPipeline('t', () => undefined, { batch: 1 });
    for (let i = 1; i <= 100; i++) pipeline.submit(workRequest([i]));
    expect(executor.starts).toBe(2); // the first request started; the second found the slot busy
    executor.answer();
    expect(executor.starts).toBe(4); // a batch ended: the next one started at once, and the one after found the slot busy
    void executor.createWorkers(1);
    expect(executor.starts).toBe(6); // woken: the new slot took one, and the next try found both busy
    expect(pipeline.queued).toBe(97);
  });

  it('copes with an executor that answers before start returns', () => {
    const { executor, scheduler } = setUp(1);
    executor.answerAtOnce = (jobs) => jobs.map((job) => job.args[0]);
    const outcomes: Outcome<readonly unknown[]>[] = [];
    const pipeline = scheduler.openPipeline('t', (o) => outcomes.push(o), { cancel: 'terminate' });
    pipeline.submit(workRequest([1]));
    pipeline.submit(workRequest([2]));
    expect(values(outcomes)).toEqual([1, 2]);
    expect(pipeline.pending).toBe(0);
    expect(pipeline.batchesRunning).toBe(0);
  });

  it('closing a pipeline drops its queue and cancels or abandons its running batches', () => {
    const { executor, scheduler } = setUp(2);
    const terminate = scheduler.openPipeline('t', () => undefined, { batch: 1, cancel: 'terminate' });
    const abandon = scheduler.openPipeline('t', () => undefined, { batch: 1 });
    terminate.submit(workRequest([1]));
    abandon.submit(workRequest([2]));
    terminate.submit(workRequest([3]));
    terminate.close();
    abandon.close();
    expect(executor.held.map((held) => [held.cancelled, held.abandoned])).toEqual([
      [true, false],
      [false, true],
    ]);
    expect(scheduler.queued).toBe(0);
  });

  it('fail ends every queued request and every later one with the error', () => {
    const { scheduler } = setUp(0);
    const outcomes: Outcome<readonly unknown[]>[] = [];
    const pipeline = scheduler.openPipeline('t', (o) => outcomes.push(o));
    pipeline.submit(workRequest([1]));
    scheduler.fail(new PoolClosedError());
    pipeline.submit(workRequest([2]));
    expect(values(outcomes)).toEqual(['PoolClosedError', 'PoolClosedError']);
    expect(scheduler.tally.failed).toBe(2);
  });

  it('a pipeline failed with the pool is pending until the last of its queued requests has its outcome', () => {
    const { scheduler } = setUp(0);
    const pendingSeen: number[] = [];
    const pipeline = scheduler.openPipeline('t', () => pendingSeen.push(pipeline.pending));
    for (let i = 1; i <= 3; i++) pipeline.submit(workRequest([i]));
    scheduler.fail(new PoolClosedError());
    expect(pendingSeen).toEqual([2, 1, 0]);
  });

  it('holds the process while requests wait on an executor with no slot, and lets go when they end', () => {
    const { scheduler } = setUp(0);
    const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    const pipeline = scheduler.openPipeline('t', () => undefined);
    pipeline.submit(workRequest([1]));
    expect(timers()).toBe(before + 1);
    pipeline.close();
    expect(timers()).toBe(before);
  });
});
