/**
 * The distributed section of `npm run bench` (also `node dist/bench/distributed.js [--rounds N]`):
 * poolMap over BullMQ against plain BullMQ, on a redis-server started here
 * (Debian's, random loopback port, no persistence) with two worker host
 * processes per run, each a separate `node`.
 *
 * - tiny: `x + 1` requests, requests per second. poolMap over BullMQ with
 *   default options (`batch: 'auto'`) and with `batch: 1`, against plain
 *   BullMQ (`Queue.addBulk`, each host a `Worker` at concurrency 8 and 64;
 *   its best counts).
 * - cpu: 64 requests of about 22 ms of arithmetic, wall time, and the
 *   speedup over running them one after another in this process. Each host
 *   runs one thread (two hosts: two cores).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Queue, QueueEvents } from 'bullmq';
import { lastValueFrom, from, toArray } from 'rxjs';
import { poolMap } from '../operators';
import { createQueuePool } from '../src/bullmq';
import { startRedis } from '../test/redis/server';
import { argument, calibrate, median } from './measure';
import { burn } from './tasks';
import type { Tasks } from './workers/ours.worker';

type SystemName = 'poolMap over BullMQ' | 'poolMap over BullMQ batch:1' | 'plain BullMQ c8' | 'plain BullMQ c64';
const systems: readonly SystemName[] = ['poolMap over BullMQ', 'poolMap over BullMQ batch:1', 'plain BullMQ c8', 'plain BullMQ c64'];
type Workload = 'tiny' | 'cpu';

/** The compiled tree (dist/), where this file runs from. */
const root = join(__dirname, '..');



/** Starts a host process and resolves once it serves. */
function startHost(args: readonly string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('serving')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`host exited (${code}) before serving:\n${text}`)));
  });
}

async function stopHosts(hosts: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    hosts.map(
      (host) =>
        new Promise<void>((resolve) => {
          if (host.exitCode !== null) return resolve();
          host.once('exit', () => resolve());
          host.kill('SIGKILL');
        }),
    ),
  );
}

/** Runs `workload` through `runAll` after a warm-up; resolves with the measured run's wall time in ms. */
async function timeWorkload(runAll: (op: 'inc' | 'burn', inputs: number[]) => Promise<void>, workload: Workload, count: number, iterations: number): Promise<number> {
  const [op, warmUp, measured] =
    workload === 'tiny'
      ? (['inc', Array.from({ length: 1000 }, (_, i) => i), Array.from({ length: count }, (_, i) => i)] as const)
      : // Warm-up: every host's thread (or process) runs the task a few times at full size, so the JIT has optimized it.
        (['burn', Array.from({ length: 8 }, () => iterations), Array.from({ length: 64 }, () => iterations)] as const);
  await runAll(op, warmUp);
  const start = performance.now();
  await runAll(op, measured);
  return performance.now() - start;
}

async function runOurs(url: string, queue: string, batch: 'auto' | 1, workload: Workload, count: number, iterations: number): Promise<number> {
  const pool = createQueuePool<Tasks>({ connection: url, queue });
  try {
    await pool.ready;
    const runAll = async (op: 'inc' | 'burn', inputs: number[]): Promise<void> => {
      const outcomes = await lastValueFrom(from(inputs).pipe(poolMap(pool, op, { batch }), toArray()));
      const failed = outcomes.find((outcome) => !outcome.ok);
      if (failed && !failed.ok) throw failed.error;
    };
    return await timeWorkload(runAll, workload, count, iterations);
  } finally {
    await pool.close();
  }
}

async function runPlain(url: string, queue: string, workload: Workload, count: number, iterations: number): Promise<number> {
  const { hostname, port } = new URL(url);
  const connection = { host: hostname, port: Number(port), maxRetriesPerRequest: null };
  const q = new Queue(queue, { connection });
  const events = new QueueEvents(queue, { connection });
  await Promise.all([q.waitUntilReady(), events.waitUntilReady()]);
  let completed = 0;
  let target = Infinity;
  let finish: () => void = () => undefined;
  events.on('completed', () => {
    if (++completed >= target) finish();
  });
  events.on('failed', ({ failedReason }) => console.error(`plain BullMQ job failed: ${failedReason}`));
  const runAll = async (op: 'inc' | 'burn', inputs: number[]): Promise<void> => {
    completed = 0;
    target = inputs.length;
    const done = new Promise<void>((resolve) => (finish = resolve));
    for (let at = 0; at < inputs.length; at += 1000) {
      await q.addBulk(inputs.slice(at, at + 1000).map((x) => ({ name: op, data: { op, x }, opts: { removeOnComplete: true, removeOnFail: true } })));
    }
    await done;
  };
  try {
    return await timeWorkload(runAll, workload, count, iterations);
  } finally {
    await events.close();
    await q.close();
  }
}


async function main(): Promise<void> {
  const rounds = Number(argument('rounds') ?? 3);
  const count = Number(argument("tiny-count") ?? 100_000);
  const json = process.argv.includes('--json');
  const iterations = calibrate(22);
  const serialStart = performance.now();
  for (let i = 0; i < 64; i++) burn(iterations);
  const serialMs = performance.now() - serialStart;
  const redis = await startRedis();
  const samples = new Map<string, number[]>();
  const log = (text: string): void => {
    if (!json) process.stderr.write(text);
  };
  try {
    for (let round = 0; round < rounds; round++) {
      for (const workload of ['tiny', 'cpu'] as const) {
        const order = systems.map((_, i) => systems[(i + round) % systems.length]);
        for (const system of order) {
          log(`\rdistributed · round ${round + 1}/${rounds} · ${workload} · ${system}`.padEnd(80));
          const queue = `bench-${round}-${workload}-${system.replace(/[^a-z0-9]+/gi, '_')}`;
          const ours = system.startsWith('poolMap');
          const hostArgs = ours
            ? [join(root, 'src/bullmq/cli.js'), join(root, 'bench/workers/ours.worker.js'), '--redis', redis.url, '--queue', queue, '--threads', '1']
            : [join(root, 'bench/bullmqHost.js'), redis.url, queue, system.endsWith('c8') ? '8' : '64'];
          const hosts = await Promise.all([startHost(hostArgs), startHost(hostArgs)]);
          try {
            const ms = ours
              ? await runOurs(redis.url, queue, system.endsWith('batch:1') ? 1 : 'auto', workload, count, iterations)
              : await runPlain(redis.url, queue, workload, count, iterations);
            const key = `${workload}|${system}`;
            samples.set(key, [...(samples.get(key) ?? []), ms]);
          } finally {
            await stopHosts(hosts);
          }
        }
      }
    }
  } finally {
    log('\r'.padEnd(80) + '\r');
    await redis.stop();
  }
  const tiny = (system: SystemName): number => count / (median(samples.get(`tiny|${system}`) ?? []) / 1000);
  const cpu = (system: SystemName): number => median(samples.get(`cpu|${system}`) ?? []);
  const plainBest = Math.max(tiny('plain BullMQ c8'), tiny('plain BullMQ c64'));
  const result = {
    machine: { cpus: availableParallelism(), model: cpus()[0]?.model ?? 'unknown', node: process.version, rounds, tinyCount: count, serialCpuMs: serialMs },
    tiny: Object.fromEntries(systems.map((system) => [system, { requestsPerSecond: tiny(system), ratioToPlainBest: tiny(system) / plainBest }])),
    cpu: Object.fromEntries(systems.map((system) => [system, { wallMs: cpu(system), speedup: serialMs / cpu(system) }])),
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  console.log(`\n## distributed (BullMQ on redis-server, 2 host processes; ${rounds} rounds, median; ${count} tiny requests; cpu: 64 × 22 ms, serial ${Math.round(serialMs)} ms)`);
  for (const system of systems) {
    const t = result.tiny[system];
    const c = result.cpu[system];
    console.log(`  ${system.padEnd(28)} tiny ${Math.round(t.requestsPerSecond).toLocaleString('en-US').padStart(9)} req/s  ×${t.ratioToPlainBest.toFixed(2).padStart(6)} plain BullMQ's best   cpu ${Math.round(c.wallMs)} ms, speedup ${c.speedup.toFixed(2)}`);
  }
  console.log(
    `  targets: tiny (default) ≥ 10× plain best: ${result.tiny['poolMap over BullMQ'].ratioToPlainBest.toFixed(1)}×; tiny (batch:1) ≥ 0.8×: ${result.tiny['poolMap over BullMQ batch:1'].ratioToPlainBest.toFixed(2)}×; cpu speedup ≥ 1.85: ${result.cpu['poolMap over BullMQ'].speedup.toFixed(2)}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
