/**
 * A producer restart, measured from outside (docs/scaling.md, "Restarting a
 * producer"): `node dist/bench/restart.js [--rounds N]` after
 * `npx tsc -p tsconfig.bench.json`.
 *
 * On a redis-server started here, two hosts (`rxjs-threadpool-serve`, one
 * thread each) serve a task that writes down each run. A producer process
 * sends 3,000 requests of about 5 ms, one job each (`batch: 1`), and is
 * SIGKILLed once it has 858 outcomes; a new producer then resends the
 * requests the first got no outcome for, and runs them to the end. Counted
 * from the hosts' run log once the queue is empty: the requests run twice
 * (or more), and the runs in all. Done twice per
 * round: producers without an `id` (the old jobs stay and run for nobody)
 * and with the same `id` (the new one withdraws the old jobs still waiting
 * when it starts).
 *
 * `node dist/bench/restart.js --producer <url> <queue> <id|-> <numbers file>` is the producer.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { from } from 'rxjs';
import { makeRequests } from '../src';
import { createQueuePool } from '../src/bullmq';
import { poolMap } from '../operators';
import { startRedis } from '../test/redis/server';
import { root, startHost, stopHosts } from './hosts';
import { argument, median } from './measure';
import type { RestartTasks } from './workers/restart.worker';

const REQUESTS = 3_000;
const KILL_AFTER = 858;
const TASK_MS = 5;

/** The producer: sends the requests `numbers` and prints each outcome's request number, then `done`. */
async function produce(url: string, queue: string, id: string, numbers: readonly number[]): Promise<void> {
  const pool = createQueuePool<RestartTasks>({ connection: url, queue, ...(id === '-' ? {} : { id }) });
  await pool.ready;
  from(makeRequests(numbers.map((i) => [i, TASK_MS] as const)))
    .pipe(poolMap(pool, 'mark', { batch: 1 }))
    .subscribe({
      next: (outcome) => process.stdout.write(`${outcome.ok ? outcome.value : `failed ${outcome.request.args[0]}`}\n`),
      complete: () => void pool.close().then(() => process.stdout.write('done\n')),
    });
}

/** A producer process: the request numbers it has outcomes for, and a wait for a number of them. */
function startProducer(
  url: string,
  queue: string,
  id: string,
  numbers: readonly number[],
): { child: ChildProcess; outcomes: () => number[]; until: (test: (count: number, done: boolean) => boolean) => Promise<void> } {
  const file = join(tmpdir(), `rxjs-threadpool-restart-${process.pid}-${queue}-${numbers.length}.json`);
  writeFileSync(file, JSON.stringify(numbers));
  const child = spawn(process.execPath, [join(root, 'bench/restart.js'), '--producer', url, queue, id, file], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.once('exit', () => rmSync(file, { force: true }));
  let text = '';
  const waiters = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (const waiter of [...waiters]) waiter();
  });
  const lines = (): string[] => text.split('\n').filter((line) => line !== '');
  const outcomes = (): number[] =>
    lines()
      .filter((line) => /^\d+$/.test(line))
      .map(Number);
  const until = (test: (count: number, done: boolean) => boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (!test(outcomes().length, lines().includes('done'))) return;
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      child.once('exit', () => {
        if (!waiters.delete(check)) return;
        if (test(outcomes().length, lines().includes('done'))) resolve();
        else reject(new Error(`the producer exited first:\n${text.slice(-500)}`));
      });
      check();
    });
  return { child, outcomes, until };
}

interface RestartResult {
  /** Requests the new producer resent (those the first had no outcome for). */
  readonly resent: number;
  /** Requests run more than once on the hosts. */
  readonly ranTwice: number;
  /** Runs on the hosts in all. */
  readonly runs: number;
}

/** One restart: the first producer killed after KILL_AFTER outcomes, the second resending the rest; both with the pool `id` (`-`: none). */
async function restart(url: string, queue: string, id: string, runLog: string): Promise<RestartResult> {
  rmSync(runLog, { force: true });
  const all = Array.from({ length: REQUESTS }, (_, i) => i);
  const firstProducer = startProducer(url, queue, id, all);
  await firstProducer.until((count) => count >= KILL_AFTER);
  firstProducer.child.kill('SIGKILL');
  await new Promise((resolve) => firstProducer.child.once('exit', resolve));
  const answered = new Set(firstProducer.outcomes());
  const rest = all.filter((i) => !answered.has(i));
  const secondProducer = startProducer(url, queue, id, rest);
  await secondProducer.until((_, done) => done);
  // Old jobs still in the queue (none withdrawn without an id; those a host had taken with one) run after the
  // new producer is done: count once the queue is empty.
  await queueEmpty(url, queue);
  const counts = new Map<number, number>();
  for (const line of readFileSync(runLog, 'utf8').split('\n')) if (line !== '') counts.set(Number(line), (counts.get(Number(line)) ?? 0) + 1);
  let ranTwice = 0;
  let runs = 0;
  for (const count of counts.values()) {
    runs += count;
    if (count > 1) ranTwice++;
  }
  return { resent: rest.length, ranTwice, runs };
}

/** Resolves once the queue has no job waiting or running (checked every 100 ms, for at most 5 minutes). */
async function queueEmpty(url: string, queue: string): Promise<void> {
  const { hostname, port } = new URL(url);
  const q = new Queue(queue, { connection: { host: hostname, port: Number(port) } });
  try {
    const deadline = Date.now() + 300_000;
    for (;;) {
      const counts = await q.getJobCounts('waiting', 'active', 'prioritized', 'delayed');
      if (Object.values(counts).every((count) => count === 0)) return;
      if (Date.now() > deadline) throw new Error(`the queue ${queue} still has jobs: ${JSON.stringify(counts)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await q.close();
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--producer') {
    const [url, queue, id, file] = process.argv.slice(3);
    await produce(url, queue, id, JSON.parse(readFileSync(file, 'utf8')) as number[]);
    return;
  }
  const rounds = Number(argument('rounds') ?? 3);
  const redis = await startRedis();
  const runLog = join(tmpdir(), `rxjs-threadpool-restart-${process.pid}.log`);
  const results: Record<string, RestartResult[]> = { 'no id': [], 'same id': [] };
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [mode, id] of [
        ['no id', '-'],
        ['same id', 'ingest'],
      ] as const) {
        const queue = `restart-${round}-${mode.replace(' ', '-')}`;
        const hosts = await Promise.all(
          [0, 1].map(() =>
            startHost(
              [join(root, 'src/bullmq/cli.js'), join(root, 'bench/workers/restart.worker.js'), '--redis', redis.url, '--queue', queue, '--threads', '1'],
              {
                RXJS_THREADPOOL_RESTART_LOG: runLog,
              },
            ),
          ),
        );
        try {
          const result = await restart(redis.url, queue, id, runLog);
          results[mode].push(result);
          process.stderr.write(`round ${round + 1}/${rounds} · ${mode}: resent ${result.resent}, ran twice ${result.ranTwice}, runs ${result.runs}\n`);
        } finally {
          await stopHosts(hosts);
        }
      }
    }
  } finally {
    await redis.stop();
    rmSync(runLog, { force: true });
  }
  process.stdout.write(
    `\n## producer restart (${REQUESTS} requests of ${TASK_MS} ms, batch: 1, killed after ${KILL_AFTER} outcomes, 2 hosts of one thread; ${rounds} rounds)\n`,
  );
  for (const [mode, list] of Object.entries(results)) {
    const twice = list.map((result) => result.ranTwice);
    process.stdout.write(
      `${mode.padEnd(8)} resent ${median(list.map((result) => result.resent))}, ran twice: median ${median(twice)} (${Math.min(...twice)}–${Math.max(...twice)})\n`,
    );
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
