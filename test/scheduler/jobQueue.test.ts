import { JobQueue, QueuedJob } from '../../src/scheduler/jobQueue';
import { workRequest } from '../../src/requests';

const queueOf = (n: number): JobQueue => {
  const queue = new JobQueue('task');
  for (let i = 0; i < n; i++) queue.push(workRequest([i]), i, 'task', undefined);
  return queue;
};
const job = (n: number): QueuedJob => new QueuedJob('task', workRequest([n]), n, undefined);
const ids = (jobs: readonly QueuedJob[]): unknown[] => jobs.map((j) => j.args[0]);

describe('JobQueue', () => {
  it('takes jobs first in, first out, up to the size asked', () => {
    const queue = queueOf(5);
    expect(ids(queue.take(2))).toEqual([0, 1]);
    expect(queue.length).toBe(3);
    expect(ids(queue.take(10))).toEqual([2, 3, 4]);
    expect(queue.length).toBe(0);
    expect(queue.shift()).toBeUndefined();
  });

  it('gives each job its request, ticket, task and transfer list as pushed', () => {
    const queue = new JobQueue('usual');
    const buffer = new ArrayBuffer(8);
    const plain = workRequest([1]);
    const own = workRequest([2]);
    queue.push(plain, 10, 'usual', undefined);
    queue.push(own, 11, 'other', [buffer], 5);
    const [first, second] = queue.take(2);
    expect(first).toMatchObject({ request: plain, id: plain.id, args: [1], ticket: 10, task: 'usual', transfer: undefined, queuedAt: 0 });
    expect(second).toMatchObject({ request: own, id: own.id, args: [2], ticket: 11, task: 'other', transfer: [buffer], queuedAt: 5 });
  });

  it("a queue without a task of its own (a ThreadPool's) gives each job the task it was pushed with, before and after it empties", () => {
    const queue = new JobQueue('');
    queue.push(workRequest([0]), 0, 'a', undefined);
    queue.push(workRequest([1]), 1, 'b', undefined);
    queue.push(workRequest([2]), 2, 'a', undefined);
    expect(queue.take(1).map((j) => j.task)).toEqual(['a']);
    queue.push(workRequest([3]), 3, 'b', undefined);
    expect(queue.take(10).map((j) => [j.task, j.ticket])).toEqual([
      ['b', 1],
      ['a', 2],
      ['b', 3],
    ]);
    queue.push(workRequest([4]), 4, 'c', undefined);
    queue.push(workRequest([5]), 5, 'c', undefined);
    expect(queue.drain().map((j) => [j.task, j.ticket])).toEqual([
      ['c', 4],
      ['c', 5],
    ]);
  });

  it('cuts a batch before a rerun job, and sends a rerun job alone', () => {
    const queue = queueOf(0);
    const rerun = job(2);
    rerun.rerun = true;
    queue.putBack([job(0), job(1), rerun, job(3)]);
    expect(queue.nextIsRerun()).toBe(false);
    expect(ids(queue.take(10))).toEqual([0, 1]);
    expect(queue.nextIsRerun()).toBe(true);
    expect(ids(queue.take(10))).toEqual([2]);
    expect(ids(queue.take(10))).toEqual([3]);
  });

  it('puts taken jobs back at the front, in order, keeping their tickets', () => {
    const queue = queueOf(4);
    const taken = queue.take(2);
    queue.putBack(taken);
    expect(queue.take(4).map((j) => j.ticket)).toEqual([0, 1, 2, 3]);
    // Back in front of jobs that were never taken, even when the queue had been emptied meanwhile.
    queue.push(workRequest([9]), 9, 'task', undefined);
    queue.putBack([job(7), job(8)]);
    expect(queue.drain().map((j) => [j.args[0], j.ticket])).toEqual([
      [7, 7],
      [8, 8],
      [9, 9],
    ]);
  });

  it('shifts the oldest job and drains the rest', () => {
    const queue = queueOf(3);
    expect(queue.shift()?.args[0]).toBe(0);
    expect(ids(queue.drain())).toEqual([1, 2]);
    expect(queue.shift()).toBeUndefined();
    expect(queue.length).toBe(0);
  });

  it('keeps order and tickets over a long life of pushes, takes and put-backs (the consumed prefix is dropped now and then)', () => {
    const queue = queueOf(0);
    let next = 0;
    const seen: unknown[] = [];
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++, next++) queue.push(workRequest([next]), next, 'task', undefined);
      const taken = queue.take(60);
      queue.putBack(taken.slice(40));
      seen.push(...taken.slice(0, 40).map((j) => [j.args[0], j.ticket]));
    }
    seen.push(...queue.drain().map((j) => [j.args[0], j.ticket]));
    expect(seen).toEqual(Array.from({ length: next }, (_, i) => [i, i]));
  });
});
