/**
 * The queue's wire schema (src/bullmq/wire.ts), the one both ends check:
 * job data on hosts, job results on producers. Plain function tests; the
 * test files bullmq.untrusted*.test.ts throw the same shapes at real hosts
 * and a real producer.
 */
import { encodeRun } from '../src/protocol';
import { jobBytesProblem, jobDataProblem, jobResultProblem } from '../src/bullmq/wire';

const error = { name: 'Error', message: 'boom' };

describe('job data', () => {
  test('what a producer sends is well-formed', () => {
    const one = encodeRun(0, [{ task: 'inc', args: [1] }]);
    const mixed = encodeRun(0, [
      { task: 'inc', args: [1] },
      { task: 'work', args: [2, 3] },
    ]);
    for (const run of [one, mixed])
      expect(jobDataProblem({ v: 1, tasks: run.tasks, args: run.args, spread: run.spread, timeout: 2 ** 31 - 1 })).toBeUndefined();
  });

  test.each([
    [undefined, /job data must be an object, got undefined/],
    [{ v: 1, tasks: 'inc', args: [1], spread: false, timeout: 2 ** 31 }, /timeout must be a whole number of ms from 1 to 2147483647, got number 2147483648/],
    [{ v: 1, tasks: ['inc', 5], args: [1, 2], spread: false }, /tasks\[1\] must be a task name, got number 5/],
    [{ v: 1, tasks: 'inc', args: [[1], 2], spread: true }, /args\[1\] must be an argument list/],
    [{ v: 1, tasks: 'inc', args: [1, 2, 3], spread: false }, /3 requests in one job, more than the 2 this host accepts/],
    [JSON.parse('{"v":1,"tasks":"inc","args":[1],"spread":false,"__proto__":{}}'), /unknown field "__proto__"/],
    [{ v: 1, tasks: 'inc', args: [1], spread: false, ['k'.repeat(100)]: 1 }, /unknown field "k{37}\.\.\." in the job data/],
  ])('%p is refused: %p', (data, reason) => {
    expect(jobDataProblem(data, 2)).toMatch(reason);
  });

  test('the size is checked on the text, in UTF-8 bytes, before it is parsed', () => {
    expect(jobBytesProblem('x'.repeat(1024), 1024)).toBeUndefined();
    expect(jobBytesProblem('x'.repeat(1025), 1024)).toMatch(/^job data of at least 1025 bytes, more than the 1024/);
    expect(jobBytesProblem('€'.repeat(341), 1024)).toBeUndefined();
    expect(jobBytesProblem('€'.repeat(342), 1024)).toMatch(/^job data of 1026 bytes, more than the 1024/);
    expect(jobBytesProblem(undefined, 1024)).toBeUndefined();
  });
});

describe('job results', () => {
  test('what a host returns is well-formed', () => {
    expect(jobResultProblem({ values: [1, null], failures: [{ at: 1, kind: 'unknown-task', error, known: ['inc'] }], ms: 0.5 }, 2)).toBeUndefined();
    expect(
      jobResultProblem({ values: [null], failures: [{ at: 0, kind: 'task', error: { ...error, nonError: { value: 5 }, code: 'E', props: { x: 1 } } }] }, 1),
    ).toBeUndefined();
  });

  test.each([
    [
      {
        values: [null, null],
        failures: [
          { at: 0, kind: 'task', error },
          { at: 0, kind: 'task', error },
        ],
      },
      /failures\[1\]\.at repeats position 0/,
    ],
    [{ values: [null, null], failures: [{ at: 0.5, kind: 'task', error }] }, /failures\[0\]\.at must be a request position from 0 to 1, got number 0.5/],
    [{ values: [null, null], failures: [{ at: 0, kind: 'task', error, extra: 1 }] }, /unknown field "extra" in failures\[0\]/],
    [{ values: [null, null], extra: 1 }, /unknown field "extra" in the job result/],
    [{ values: [null, null], ms: -1 }, /ms must be a finite number ≥ 0, got number -1/],
    [{ values: [null, null], failures: [{ at: 0, kind: 'unknown-task', error, known: ['x'.repeat(1001)] }] }, /known must be an array of task names/],
  ])('%p is refused: %p', (result, reason) => {
    expect(jobResultProblem(result, 2)).toMatch(reason);
  });
});
