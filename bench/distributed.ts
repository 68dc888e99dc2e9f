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
 *   runs one thread (two hosts: two cores). The serial time is measured
 *   each round, and the median taken.
 *
 * Flags: `--rounds N`, `--tiny-count N`, `--json`; `--systems a,b` and
 * `--workloads tiny,cpu` run only those (a system by the end of its name);
 * `--cost` prints, instead of throughput, the CPU each measured run took per
 * job in this process, the hosts and Redis, and Redis commands per job
 * (`--commands`: per command), for the tiny runs (the cpu ones too when
 * `--workloads` names them).
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { lastValueFrom, from, toArray } from 'rxjs';
import { poolMap } from '../operators';
import { createQueuePool } from '../src/bullmq';
import { startRedis } from '../test/redis/server';
import { hostArguments, startHost, stopHosts } from './hosts';
import { argument, calibrate, median } from './measure';
import { burn } from './tasks';
import type { Tasks } from './workers/ours.worker';

type SystemName = 'poolMap over BullMQ' | 'poolMap over BullMQ batch:1' | 'plain BullMQ c8' | 'plain BullMQ c64';
const systems: readonly SystemName[] = ['poolMap over BullMQ', 'poolMap over BullMQ batch:1', 'plain BullMQ c8', 'plain BullMQ c64'];
type Workload = 'tiny' | 'cpu';

/** Called just before and just after the measured run (the `--cost` probe). */
type Around = () => Promise<() => Promise<void>>;

/** Runs `workload` through `runAll` after a warm-up; resolves with the measured run's wall time in ms. */
async function timeWorkload(
  runAll: (op: 'inc' | 'burn', inputs: number[]) => Promise<void>,
  workload: Workload,
  count: number,
  iterations: number,
  around?: Around,
): Promise<number> {
  const [op, warmUp, measured] =
    workload === 'tiny'
      ? (['inc', Array.from({ length: 1000 }, (_, i) => i), Array.from({ length: count }, (_, i) => i)] as const)
      : // Warm-up: every host's thread (or process) runs the task a few times at full size, so the JIT has optimized it.
        (['burn', Array.from({ length: 8 }, () => iterations), Array.from({ length: 64 }, () => iterations)] as const);
  await runAll(op, warmUp);
  const after = await around?.();
  const start = performance.now();
  await runAll(op, measured);
  const ms = performance.now() - start;
  await after?.();
  return ms;
}

async function runOurs(url: string, queue: string, batch: 'auto' | 1, workload: Workload, count: number, iterations: number, around?: Around): Promise<number> {
  const pool = createQueuePool<Tasks>({ connection: url, queue });
  try {
    await pool.ready;
    const runAll = async (op: 'inc' | 'burn', inputs: number[]): Promise<void> => {
      const outcomes = await lastValueFrom(from(inputs).pipe(poolMap(pool, op, { batch }), toArray()));
      const failed = outcomes.find((outcome) => !outcome.ok);
      if (failed && !failed.ok) throw failed.error;
    };
    return await timeWorkload(runAll, workload, count, iterations, around);
  } finally {
    await pool.close();
  }
}

async function runPlain(url: string, queue: string, workload: Workload, count: number, iterations: number, around?: Around): Promise<number> {
  const { hostname, port } = new URL(url);
  const connection = { host: hostname, port: Number(port), maxRetriesPerRequest: null };
  // Every job is added at once, and writes 4 events: with BullMQ's default stream length (10,000) a lagging
  // reader misses completions and the run never ends (the same terrain createQueuePool reconciles).
  const q = new Queue(queue, { connection, streams: { events: { maxLen: 8 * Math.max(count, 1000) } } });
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
    return await timeWorkload(runAll, workload, count, iterations, around);
  } finally {
    await events.close();
    await q.close();
  }
}

/** CPU time (ms) a process has used so far, from /proc (Linux). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 a second on Linux).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Redis's CPU time (ms) and commands run so far: all of them, and by command (XADD: BullMQ writes 4 events a job). */
async function redisCounters(redis: Redis): Promise<{ cpuMs: number; commands: number; calls: Map<string, number> }> {
  const [cpu, stats] = await Promise.all([redis.info('cpu'), redis.info('commandstats')]);
  const number = (text: string, name: string): number => Number(new RegExp(`${name}:([0-9.]+)`).exec(text)?.[1] ?? 0);
  let commands = 0;
  const calls = new Map<string, number>();
  for (const match of stats.matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g)) {
    commands += Number(match[2]);
    calls.set(match[1], Number(match[2]));
  }
  return { calls, cpuMs: (number(cpu, 'used_cpu_sys') + number(cpu, 'used_cpu_user')) * 1000, commands };
}

/**
 * `--cost`: where the CPU goes during the measured tiny run, per request and
 * per job (jobs counted as Redis XADDs / 4): this process, the two hosts
 * and Redis.
 */
function costProbe(url: string, hosts: readonly ChildProcess[], requests: number, label: string): Around {
  return async () => {
    const redis = new Redis(url);
    const hostsBefore = hosts.map((host) => processCpuMs(host.pid ?? 0));
    const redisBefore = await redisCounters(redis);
    const producerBefore = process.cpuUsage();
    return async () => {
      const producer = process.cpuUsage(producerBefore);
      const hostMs = hosts.reduce((total, host, i) => total + processCpuMs(host.pid ?? 0) - hostsBefore[i], 0);
      const redisAfter = await redisCounters(redis);
      await redis.quit();
      const jobs = ((redisAfter.calls.get('xadd') ?? 0) - (redisBefore.calls.get('xadd') ?? 0)) / 4;
      const producerMs = (producer.user + producer.system) / 1000;
      const redisMs = redisAfter.cpuMs - redisBefore.cpuMs;
      if (process.argv.includes('--commands')) {
        const lines = [...redisAfter.calls].map(([name, n]) => [name, (n - (redisBefore.calls.get(name) ?? 0)) / jobs] as const).filter(([, n]) => n > 0.01);
        console.log(
          `    ${lines
            .sort((a, b) => b[1] - a[1])
            .map(([name, n]) => `${name} ${n.toFixed(2)}`)
            .join(', ')}`,
        );
      }
      const us = (ms: number, per: number): string => `${((ms * 1000) / per).toFixed(1)}`.padStart(6);
      console.log(
        `  ${label.padEnd(28)} ${Math.round(jobs)} jobs; µs per job: producer ${us(producerMs, jobs)} hosts ${us(hostMs, jobs)} redis ${us(redisMs, jobs)} total ${us(producerMs + hostMs + redisMs, jobs)}; ` +
          `redis commands per job ${((redisAfter.commands - redisBefore.commands) / jobs).toFixed(1)}; µs per request ${us(producerMs + hostMs + redisMs, requests)}`,
      );
    };
  };
}

async function main(): Promise<void> {
  const rounds = Number(argument('rounds') ?? 3);
  const count = Number(argument('tiny-count') ?? 100_000);
  const json = process.argv.includes('--json');
  const cost = process.argv.includes('--cost');
  const only = argument('systems')?.split(',');
  const workloads = argument('workloads')?.split(',');
  const iterations = calibrate(22);
  // The serial time is measured again before each round's cpu runs: a shared machine's speed drifts over minutes.
  const serialSamples: number[] = [];
  const serial = (): void => {
    const start = performance.now();
    for (let i = 0; i < 64; i++) burn(iterations);
    serialSamples.push(performance.now() - start);
  };
  const redis = await startRedis();
  const samples = new Map<string, number[]>();
  const log = (text: string): void => {
    if (!json) process.stderr.write(text);
  };
  try {
    for (let round = 0; round < rounds; round++) {
      for (const workload of ['tiny', 'cpu'] as const) {
        if (workload === 'cpu' && !cost && (!workloads || workloads.includes('cpu'))) serial();
        const order = systems.map((_, i) => systems[(i + round) % systems.length]);
        for (const system of order) {
          if (only && !only.some((name) => system.endsWith(name))) continue;
          // --cost measures the tiny runs, and the cpu runs only when asked for by name (--workloads cpu).
          if ((cost && workload === 'cpu' && !workloads?.includes('cpu')) || (workloads && !workloads.includes(workload))) continue;
          log(`\rdistributed · round ${round + 1}/${rounds} · ${workload} · ${system}`.padEnd(80));
          const queue = `bench-${round}-${workload}-${system.replace(/[^a-z0-9]+/gi, '_')}`;
          const ours = system.startsWith('poolMap');
          const hostArgs = hostArguments(ours ? 'ours' : 'plain', redis.url, queue, system.endsWith('c8') ? 8 : 64);
          const hosts = await Promise.all([startHost(hostArgs), startHost(hostArgs)]);
          try {
            const around = cost ? costProbe(redis.url, hosts, workload === 'cpu' ? 64 : count, system) : undefined;
            const ms = ours
              ? await runOurs(redis.url, queue, system.endsWith('batch:1') ? 1 : 'auto', workload, count, iterations, around)
              : await runPlain(redis.url, queue, workload, count, iterations, around);
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
  if (cost) return;
  const serialMs = median(serialSamples);
  // NaN for a system or workload left out with --systems / --workloads.
  const tiny = (system: SystemName): number => count / (median(samples.get(`tiny|${system}`) ?? [NaN]) / 1000);
  const cpu = (system: SystemName): number => median(samples.get(`cpu|${system}`) ?? [NaN]);
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
  console.log(
    `\n## distributed (BullMQ on redis-server, 2 host processes; ${rounds} rounds, median; ${count} tiny requests; cpu: 64 × 22 ms${Number.isNaN(serialMs) ? '' : `, serial ${Math.round(serialMs)} ms`})`,
  );
  const shown = (value: number, text: string): string => (Number.isNaN(value) ? '—' : text);
  for (const system of systems) {
    const t = result.tiny[system];
    const c = result.cpu[system];
    if (Number.isNaN(t.requestsPerSecond) && Number.isNaN(c.wallMs)) continue;
    const tinyText = shown(
      t.requestsPerSecond,
      `${Math.round(t.requestsPerSecond).toLocaleString('en-US')} req/s  ×${t.ratioToPlainBest.toFixed(2)} plain BullMQ's best`,
    );
    const cpuText = shown(
      c.wallMs,
      `${Math.round(c.wallMs)} ms, speedup ${c.speedup.toFixed(2)}, ×${(cpu('plain BullMQ c8') / c.wallMs).toFixed(2)} plain c8's speed`,
    );
    console.log(`  ${system.padEnd(28)} tiny ${tinyText.padStart(44)}   cpu ${cpuText}`);
  }
  console.log(
    `  targets: tiny (default) ≥ 10× plain best: ${result.tiny['poolMap over BullMQ'].ratioToPlainBest.toFixed(1)}×; tiny (batch:1) ≥ 0.8×: ${result.tiny['poolMap over BullMQ batch:1'].ratioToPlainBest.toFixed(2)}×; cpu speedup ≥ 1.85: ${result.cpu['poolMap over BullMQ'].speedup.toFixed(2)}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
