/**
 * A producer restarted with the same pool `id` (issue 19, "Also"): its
 * predecessor, SIGKILLed with hundreds of jobs still waiting, leaves them to
 * nobody; the new one removes them when it starts, and its own requests
 * (whose ids start at 1 again in the new process) each get exactly one
 * outcome, their own, never a result of the old jobs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { type Host, startHost, stopHosts, testRedisUrl, uniqueQueue } from './redis/hosts';

const repo = join(__dirname, '..');
const script = join(repo, 'test', 'fixtures', 'queue.producer.ts');

interface Line {
  readonly id: number;
  readonly i: number;
  readonly ok: boolean;
  readonly value: unknown;
  readonly code: string | null;
}

/** A producer process (test/fixtures/queue.producer.ts): its outcome lines so far, and a way to wait for a line. */
function producer(
  url: string,
  queue: string,
  id: string,
  count: number,
  offset: number,
  ms: number,
): { child: ChildProcess; lines: () => string[]; waitFor: (test: (lines: string[]) => boolean) => Promise<void>; exited: Promise<unknown> } {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', script, url, queue, id, String(count), String(offset), String(ms)], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  let errors = '';
  const waiters = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (const waiter of [...waiters]) waiter();
  });
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const lines = (): string[] => text.split('\n').filter((line) => line !== '');
  const waitFor = (test: (lines: string[]) => boolean): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!test(lines())) return;
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      void exited.then(() => {
        if (!waiters.has(check)) return;
        waiters.delete(check);
        if (test(lines())) resolve();
        else reject(new Error(`the producer exited first:\n${text}\n${errors}`));
      });
      check();
    });
  return { child, lines, waitFor, exited };
}

describe('a producer restarted with the same pool id', () => {
  let host: Host | undefined;
  let redis: Redis | undefined;
  const children: ChildProcess[] = [];

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await stopHosts(host ? [host] : []);
    redis?.disconnect();
  });

  test("removes its SIGKILLed predecessor's waiting jobs at start; each of its own requests gets exactly one outcome", async () => {
    const url = testRedisUrl();
    const queue = uniqueQueue('restart-producer');
    redis = new Redis(url);
    const waiting = async (): Promise<string[]> => [
      ...(await redis!.lrange(`bull:${queue}:wait`, 0, -1)),
      ...(await redis!.zrange(`bull:${queue}:prioritized`, '0', '-1')),
      ...(await redis!.zrange(`bull:${queue}:delayed`, '0', '-1')),
    ];
    // One thread, two jobs at once: most of the first producer's 300 jobs of 15 ms are still waiting when it dies.
    host = await startHost(url, queue, ['--threads', '1', '--concurrency', '2']);

    const first = producer(url, queue, 'ingest', 300, 1_000_000, 15);
    children.push(first.child);
    await first.waitFor((lines) => lines.filter((line) => line.startsWith('{')).length >= 5);
    first.child.kill('SIGKILL');
    await first.exited;
    const left = (await waiting()).filter((jobId) => jobId.startsWith('ingest.'));
    expect(left.length).toBeGreaterThan(100);
    // Job ids: the stable id, this start's epoch, the requests' ids.
    const epochs = new Set(left.map((jobId) => jobId.split('_')[0]));
    expect([...epochs]).toEqual([expect.stringMatching(/^ingest\.[0-9a-f]{8}$/)]);
    const [old] = epochs;

    const second = producer(url, queue, 'ingest', 100, 0, 1);
    children.push(second.child);
    await second.waitFor((lines) => lines.includes('ready'));
    expect((await waiting()).filter((jobId) => jobId.startsWith(`${old}_`))).toEqual([]);
    await second.waitFor((lines) => lines.includes('done'));
    const outcomes = second
      .lines()
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Line);
    expect(outcomes.length).toBe(100);
    expect(new Set(outcomes.map((outcome) => outcome.id)).size).toBe(100);
    expect(new Set(outcomes.map((outcome) => outcome.i))).toEqual(new Set(Array.from({ length: 100 }, (_, i) => i)));
    for (const outcome of outcomes) {
      // Its own result (the old jobs' values are ≥ 1,000,000), or its task's own failure.
      if (outcome.i % 20 === 7) expect(outcome).toMatchObject({ ok: false, code: 'ERR_TASK_FAILED' });
      else expect(outcome).toMatchObject({ ok: true, value: outcome.i });
    }
  }, 90_000);
});
