/**
 * The queue pool's and the host's options are checked at the door (range,
 * type, unknown names with the option most likely meant), `ready` of a pool
 * closed at once rejects, and the `rxjs-threadpool-serve` command line.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { InvalidOptionError, PoolClosedError } from '../src';
import { createQueuePool, serveTasks } from '../src/bullmq';
import { parseArguments } from '../src/bullmq/cliArguments';
import type { QueueTasks } from './fixtures/queue.worker';
import { queueWorker, testRedisUrl, uniqueQueue } from './redis/hosts';
import { freePort } from './redis/server';

const base = { connection: 'redis://127.0.0.1:1', queue: 'q' };
const MAX = 2 ** 31 - 1;

describe('createQueuePool options', () => {
  test.each([
    ['taskTimeout', 2 ** 31],
    ['taskTimeout', 0],
    ['taskTimeout', 1.5],
    ['connectTimeout', MAX + 1],
    ['connectTimeout', Infinity],
    ['reconcileInterval', 2 ** 40],
    ['reconcileInterval', 5],
    ['maxInFlight', 0],
    ['maxInFlight', 100_001],
    ['maxInFlight', 1e300],
    ['attempts', 1001],
    ['attempts', '3'],
    ['eventsMaxLen', 10],
    ['backoff', -1],
    ['backoff', 2 ** 31],
    ['backoff', { type: 'fixed', delay: 2 ** 31 }],
    ['backoff', { type: 'linear', delay: 10 }],
    ['id', ''],
    ['id', 'a.b'],
    ['id', 'x'.repeat(65)],
    ['id', 5],
  ])('%s: %p is refused with InvalidOptionError naming it', (option, value) => {
    let thrown: unknown;
    try {
      createQueuePool<QueueTasks>({ ...base, [option]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect((thrown as InvalidOptionError).option).toMatch(new RegExp(`^${option}`));
  });

  test('an unknown field of backoff is refused, naming it', () => {
    expect(() => createQueuePool<QueueTasks>({ ...base, backoff: { type: 'fixed', delay: 10, jitter: 0.5 } as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'jitter', message: expect.stringContaining('one of backoff: type, delay') }),
    );
  });

  test.each([
    ['concurrency', 'maxInFlight'],
    ['timeout', 'taskTimeout'],
    ['poolId', 'id'],
    ['maxInflight', 'maxInFlight'],
  ])('an unknown option (%s) is refused, naming the one it most likely meant (%s)', (option, meant) => {
    expect(() => createQueuePool<QueueTasks>({ ...base, [option]: 1 } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', option, hint: `Did you mean "${meant}"?` }),
    );
  });

  test('the largest values in range are accepted', async () => {
    const port = await freePort();
    const pool = createQueuePool<QueueTasks>({
      connection: `redis://127.0.0.1:${port}`,
      queue: 'q',
      id: 'A-b_9',
      taskTimeout: MAX,
      connectTimeout: 50,
      reconcileInterval: MAX,
      maxInFlight: 100_000,
      attempts: 1000,
      backoff: { type: 'exponential', delay: MAX },
    });
    await expect(pool.ready).rejects.toMatchObject({ code: 'ERR_QUEUE_CONNECTION' });
    await pool.close();
  });

  test('15.7: ready of a pool closed right after it was created rejects with PoolClosedError', async () => {
    const pool = createQueuePool<QueueTasks>({ connection: testRedisUrl(), queue: uniqueQueue('closed') });
    const closed = pool.close();
    await expect(pool.ready).rejects.toBeInstanceOf(PoolClosedError);
    await closed;
    // Also while the start check is still waiting for an answer (a port where nothing listens).
    const port = await freePort();
    const unreachable = createQueuePool<QueueTasks>({ connection: `redis://127.0.0.1:${port}`, queue: 'q', connectTimeout: 200 });
    const closing = unreachable.close();
    await expect(unreachable.ready).rejects.toBeInstanceOf(PoolClosedError);
    await closing;
  });
});

describe('serveTasks options', () => {
  test.each([
    ['threads', 0],
    ['threads', 1025],
    ['threads', 2 ** 53],
    ['concurrency', 0],
    ['concurrency', 65_537],
    ['lockDuration', 2 ** 31],
    ['stalledInterval', 0],
    ['maxStalledCount', -1],
    ['connectTimeout', 2 ** 31],
    ['maxJobBytes', 100],
    ['maxJobBytes', 2 ** 30],
    ['maxJobRequests', 0],
    ['maxJobRequests', 65_537],
    ['log', 'stderr'],
    ['prefix', ''],
  ])('%s: %p is refused with InvalidOptionError naming it, before Redis is reached', async (option, value) => {
    await expect(serveTasks(queueWorker, { ...base, [option]: value })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', option });
  });

  test.each([
    ['size', 'threads'],
    ['maxInFlight', 'concurrency'],
    ['maxJobSize', 'maxJobBytes'],
  ])('an unknown option (%s) is refused, naming the one it most likely meant (%s)', async (option, meant) => {
    await expect(serveTasks(queueWorker, { ...base, [option]: 1 } as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
      option,
      hint: `Did you mean "${meant}"?`,
    });
  });
});

describe('rxjs-threadpool-serve arguments', () => {
  test('flags, in both forms, become serveTasks options', () => {
    expect(parseArguments(['w.js', '--queue', 'q', '--threads=2', '--max-job-bytes', '4096', '--max-job-requests', '10', '--redis', 'rediss://h:1'])).toEqual({
      kind: 'serve',
      module: expect.stringMatching(/w\.js$/),
      options: { connection: 'rediss://h:1', queue: 'q', threads: 2, maxJobBytes: 4096, maxJobRequests: 10 },
    });
    expect(parseArguments(['--help'])).toEqual({ kind: 'help' });
    expect(parseArguments(['-h', 'w.js'])).toEqual({ kind: 'help' });
    expect(parseArguments(['--version'])).toEqual({ kind: 'version' });
  });

  test.each([
    [['w.js', '--queue', 'q', '--threads', 'two'], /--threads must be a whole number, got "two"/],
    [['w.js', '--queue', 'q', '--threads', '-1'], /--threads/],
    [['w.js', '--queue', 'q', '--nope', '1'], /Unknown option '--nope'/],
    [['w.js', '--queue'], /--queue/],
    [['w.js'], /--queue is required/],
    [['--queue', 'q'], /expected one worker module, got 0/],
    [['--help=yes'], /--help/],
  ])('%p is a usage error: %p', (argv, message) => {
    expect(() => parseArguments(argv)).toThrow(message);
    expect(() => parseArguments(argv)).toThrow(/usage: rxjs-threadpool-serve/);
  });

  const repo = join(__dirname, '..');
  const run = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(repo, 'src', 'bullmq', 'cli.ts'), ...args], { cwd: repo });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });

  test('--help prints the usage and --version the version, and each exits 0; an option out of range exits 2', async () => {
    const [help, version, bad] = await Promise.all([run(['--help']), run(['--version']), run([queueWorker, '--queue', 'q', '--threads', '0'])]);
    expect(help).toMatchObject({ code: 0, stdout: expect.stringContaining('--max-job-bytes N') });
    expect(version).toEqual({ code: 0, stdout: `${(require('../package.json') as { version: string }).version}\n`, stderr: '' });
    expect(bad).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/Invalid option "threads": expected an integer from 1 to 1024, got 0 \(number\)[\s\S]*usage:/),
    });
  }, 30_000);
});
