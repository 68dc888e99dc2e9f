/**
 * The queue's envelope (src/bullmq/wire.ts) around the one wire format
 * (src/wire.ts), which both ends check: job data on hosts, job results on
 * producers; and a failure's trip from a host (`failureOf`) to a producer
 * (`decodeOutcomes`) through JSON. Plain function tests; the test files
 * bullmq.untrusted*.test.ts throw the same shapes at real hosts and a real
 * producer.
 */
import { DataCloneError, type FailureError, TaskError, TaskTimeoutError, UnknownTaskError, WorkerCrashedError } from '../src';
import { jobBytesProblem, jobDataProblem, jobResultProblem } from '../src/bullmq/wire';
import { decodeOutcomes, encodeBatch, failureOf } from '../src/wire';

const error = { name: 'Error', message: 'boom' };

describe('job data', () => {
  test('what a producer sends is well-formed', () => {
    const one = encodeBatch([{ task: 'inc', args: [1] }]);
    const mixed = encodeBatch([
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
    expect(jobResultProblem({ values: [null], failures: [{ at: 0, kind: 'uncloneable', error }] }, 1)).toBeUndefined();
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
    [
      { values: [null, null], failures: [{ at: 0, kind: 'weird', error }] },
      /failures\[0\]\.kind must be one of task, unknown-task, uncloneable, timeout, crashed, other/,
    ],
    [{ values: [null] }, /values has 1 items for 2 requests/],
  ])('%p is refused: %p', (result, reason) => {
    expect(jobResultProblem(result, 2)).toMatch(reason);
  });
});

describe('failures from a host to a producer', () => {
  const jobs = [
    { id: 11, task: 'inc' },
    { id: 12, task: 'nope' },
    { id: 13, task: 'inc' },
    { id: 14, task: 'slow' },
    { id: 15, task: 'inc' },
  ];
  /** What a host's pool ends each request with (request ids are the host's own), and what the producer must read. */
  const onHost: [FailureError, (decoded: FailureError) => void][] = [
    [
      new TaskError('inc', 1, { name: 'RangeError', message: 'too big', code: 'E_BIG' }),
      (decoded) =>
        expect(decoded).toMatchObject({
          code: 'ERR_TASK_FAILED',
          task: 'inc',
          requestId: 11,
          cause: { name: 'RangeError', message: 'too big', code: 'E_BIG' },
        }),
    ],
    [
      new UnknownTaskError('nope', ['inc', 'slow']),
      (decoded) => expect(decoded).toMatchObject({ code: 'ERR_UNKNOWN_TASK', task: 'nope', known: ['inc', 'slow'] }),
    ],
    [
      new DataCloneError(3, 'result', new Error('could not be cloned'), 0),
      (decoded) => expect(decoded).toMatchObject({ code: 'ERR_DATA_CLONE', requestId: 13, what: 'result', position: 0 }),
    ],
    [new TaskTimeoutError('slow', 4, 250), (decoded) => expect(decoded).toMatchObject({ code: 'ERR_TASK_TIMEOUT', task: 'slow', requestId: 14, timeout: 250 })],
    [new WorkerCrashedError(5, 'exited with code 1'), (decoded) => expect(decoded).toMatchObject({ code: 'ERR_WORKER_CRASHED', requestId: 15 })],
  ];

  test("each typed error a host encodes is well-formed on the wire, and decodes to the same kind of error for the producer's request", () => {
    const result = JSON.parse(JSON.stringify({ values: [null, null, null, null, null], failures: onHost.map(([error], at) => failureOf(at, error)) }));
    expect(result.failures.map((failure: { kind: string }) => failure.kind)).toEqual(['task', 'unknown-task', 'uncloneable', 'timeout', 'crashed']);
    expect(jobResultProblem(result, jobs.length)).toBeUndefined();
    const { errors } = decodeOutcomes(jobs, result);
    onHost.forEach(([, check], at) => check(errors![at]!));
  });
});
