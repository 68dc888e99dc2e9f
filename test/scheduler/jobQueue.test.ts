import { JobQueue, QueuedJob } from '../../src/scheduler/jobQueue';
import { workRequest } from '../../src/requests';

const job = (n: number): QueuedJob => new QueuedJob('task', workRequest([n]), n, undefined);
const ids = (jobs: readonly QueuedJob[]): unknown[] => jobs.map((j) => j.args[0]);

describe('JobQueue', () => {
  it('takes jobs first in, first out, up to the size asked', () => {
    const queue = new JobQueue();
    for (let i = 0; i < 5; i++) queue.push(job(i));
    expect(ids(queue.take(2))).toEqual([0, 1]);
    expect(queue.length).toBe(3);
    expect(ids(queue.take(10))).toEqual([2, 3, 4]);
    expect(queue.length).toBe(0);
    expect(queue.peek()).toBeUndefined();
  });

  it('cuts a batch before a rerun job, and sends a rerun job alone', () => {
    const queue = new JobQueue();
    const jobs = [job(0), job(1), job(2), job(3)];
    jobs[2].rerun = true;
    for (const j of jobs) queue.push(j);
    expect(ids(queue.take(10))).toEqual([0, 1]);
    expect(ids(queue.take(10))).toEqual([2]);
    expect(ids(queue.take(10))).toEqual([3]);
  });

  it('puts taken jobs back at the front, in order', () => {
    const queue = new JobQueue();
    for (let i = 0; i < 4; i++) queue.push(job(i));
    const taken = queue.take(2);
    queue.putBack(taken);
    expect(ids(queue.take(4))).toEqual([0, 1, 2, 3]);
    // Back in front of jobs that were never taken, even when the queue had been emptied meanwhile.
    queue.push(job(9));
    queue.putBack([job(7), job(8)]);
    expect(ids(queue.drain())).toEqual([7, 8, 9]);
  });

  it('shifts the oldest job and drains the rest', () => {
    const queue = new JobQueue();
    for (let i = 0; i < 3; i++) queue.push(job(i));
    expect(queue.shift()?.args[0]).toBe(0);
    expect(ids(queue.drain())).toEqual([1, 2]);
    expect(queue.shift()).toBeUndefined();
    expect(queue.length).toBe(0);
  });

  it('keeps order over a long life of pushes and takes (the consumed prefix is dropped now and then)', () => {
    const queue = new JobQueue();
    let next = 0;
    const seen: unknown[] = [];
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) queue.push(job(next++));
      seen.push(...ids(queue.take(60)));
    }
    seen.push(...ids(queue.drain()));
    expect(seen).toEqual(Array.from({ length: next }, (_, i) => i));
  });
});
