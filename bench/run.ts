/**
 * `npm run bench -- --scaling [--quick] [--json]`: the scaling section instead (scaling.ts).
 *
 * `npm run bench [-- --json] [-- --rounds N] [-- --only workload,...] [-- --clicks N]` (workloads: tiny, cpu,
 * payload copy, payload transfer, startup, stream, keyed tiny, keyed stream, distributed):
 * every system on every workload, each measurement in a fresh process, systems
 * alternating within each round; prints each system's median, min–max and its
 * ratio to rxjs-threadpool (on keyed tiny, to rxjs-threadpool keyed; on keyed
 * stream, to rxjs-threadpool poolPipe), and the workload's own ratios and
 * ceilings, if it has any (tiny: rxjs-threadpool's child processes over the
 * best of the peers' child processes; cpu: rxjs-threadpool's child processes
 * over its threads; keyed tiny: keyed/unkeyed and keyed/hand-routed
 * piscina; keyed stream: poolPipe over groupBy on the main thread and over a
 * hand-routed piscina, and poolPipe's event-loop delay p99), against their
 * targets. `--clicks`: the keyed stream workload's clicks (default 300,000).
 * The keyed stream workload's systems must all make the same sessions: a
 * case whose digest differs from the first one's stops the bench
 * (SESSIONS DIFFER).
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { CaseInput, CaseOutput, Workload } from './case';
import { type KeyedSystemName, processSystemNames, type SessionSystemName, type SystemName, systemNames } from './systems';
import { argument, calibrate, median, sessionsFile } from './measure';
import { runScaling } from './scaling';

type BenchSystem = SystemName | KeyedSystemName | SessionSystemName;

interface Plan {
  readonly workload: Workload;
  readonly systems: readonly BenchSystem[];
  /** The metric the table ranks by, and whether higher is better. */
  readonly metric: string;
  readonly higherIsBetter: boolean;
  /** The system every row's ratio is to (default rxjs-threadpool). */
  readonly reference?: BenchSystem;
  /**
   * Ratios the workload exists to show: `of`'s median over `over`'s, oriented so that > 1 means `of` is better;
   * `over` several systems: over the best of their medians.
   */
  readonly ratios?: readonly {
    readonly name: string;
    readonly of: BenchSystem;
    readonly over: BenchSystem | readonly BenchSystem[];
    readonly target: number;
  }[];
  /** Metrics the workload exists to keep low: `system`'s median of `metric`, against a target it should stay below. */
  readonly ceilings?: readonly {
    readonly name: string;
    readonly system: BenchSystem;
    readonly metric: string;
    readonly below: number;
    readonly unit: string;
  }[];
}

const peers = systemNames.filter((name) => name !== 'main thread');
const plans: readonly Plan[] = [
  {
    workload: 'tiny',
    systems: [...systemNames, ...processSystemNames],
    metric: 'requestsPerSecond',
    higherIsBetter: true,
    ratios: [{ name: 'process/best peer process', of: 'rxjs-threadpool process', over: ['workerpool process', 'tinypool process'], target: 5 }],
  },
  {
    // Over wall time, process/thread is the process speedup over the thread speedup.
    workload: 'cpu',
    systems: [...systemNames, ...processSystemNames],
    metric: 'wallMs',
    higherIsBetter: false,
    ratios: [{ name: 'process/thread speedup', of: 'rxjs-threadpool process', over: 'rxjs-threadpool', target: 0.95 }],
  },
  { workload: 'payload copy', systems: peers, metric: 'megabytesPerSecond', higherIsBetter: true },
  { workload: 'payload transfer', systems: peers, metric: 'megabytesPerSecond', higherIsBetter: true },
  { workload: 'startup', systems: [...peers, ...processSystemNames], metric: 'firstResultMs', higherIsBetter: false },
  { workload: 'stream', systems: ['rxjs-threadpool', 'rxjs-threadpool batch:1', 'piscina', 'piscina best'], metric: 'latencyP99Ms', higherIsBetter: false },
  {
    // 100,000 tiny requests over 1,000 keys, each key's count kept in a worker; plain rxjs-threadpool runs `tiny` for comparison.
    workload: 'keyed tiny',
    systems: ['rxjs-threadpool keyed', 'rxjs-threadpool', 'piscina hand-routed'],
    metric: 'requestsPerSecond',
    higherIsBetter: true,
    reference: 'rxjs-threadpool keyed',
    ratios: [
      { name: 'keyed/unkeyed', of: 'rxjs-threadpool keyed', over: 'rxjs-threadpool', target: 0.7 },
      { name: 'keyed/hand-routed piscina', of: 'rxjs-threadpool keyed', over: 'piscina hand-routed', target: 5 },
    ],
  },
  {
    // The sessions example at scale: `clickCount` clicks over 10,000 users cut into sessions per user, by poolPipe's
    // stream task, by groupBy on the main thread, and by a hand-routed piscina; every system's sessions compared.
    workload: 'keyed stream',
    systems: ['rxjs-threadpool poolPipe', 'main thread groupBy', 'piscina hand-routed'],
    metric: 'eventsPerSecond',
    higherIsBetter: true,
    reference: 'rxjs-threadpool poolPipe',
    ratios: [
      { name: 'poolPipe/main thread groupBy', of: 'rxjs-threadpool poolPipe', over: 'main thread groupBy', target: 1.6 },
      { name: 'poolPipe/piscina hand-routed', of: 'rxjs-threadpool poolPipe', over: 'piscina hand-routed', target: 1 },
    ],
    ceilings: [{ name: 'poolPipe event-loop delay p99', system: 'rxjs-threadpool poolPipe', metric: 'eventLoopDelayP99Ms', below: 20, unit: 'ms' }],
  },
];

function runCase(input: CaseInput): CaseOutput {
  const stdout = execFileSync(process.execPath, [join(__dirname, 'case.js'), JSON.stringify(input)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 180_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop() as string) as CaseOutput;
}

interface Row {
  workload: Workload;
  system: BenchSystem;
  metrics: Record<string, { median: number; min: number; max: number }>;
  maxRssMB: number;
  /** This system's median over rxjs-threadpool's (the plan's reference's), oriented so that > 1 means better than it. */
  ratio: number;
}

/** One of a plan's own ratios, as measured. */
interface NamedRatio {
  workload: Workload;
  name: string;
  ratio: number;
  target: number;
  /** Of a ratio over several systems, the one with the best median, which the ratio is over. */
  best?: BenchSystem;
}

/** One of a plan's ceilings, as measured. */
interface NamedCeiling {
  workload: Workload;
  name: string;
  value: number;
  below: number;
  unit: string;
}

/** The first digest each workload's cases gave (keyed stream: its sessions'), with who gave it. */
const digests = new Map<Workload, { system: BenchSystem; round: number; digest: string; sessions: number }>();

/** A case's digest against its workload's first: a difference stops the bench, loudly, naming both and the files to diff. */
function checkDigest(workload: Workload, system: BenchSystem, round: number, output: CaseOutput): void {
  if (output.digest === undefined) return;
  const sessions = output.metrics.sessions;
  const first = digests.get(workload);
  if (!first) {
    digests.set(workload, { system, round, digest: output.digest, sessions });
    return;
  }
  if (first.digest === output.digest) return;
  throw new Error(
    `SESSIONS DIFFER: ${workload}: ${system} (round ${round + 1}) made ${sessions} sessions, digest ${output.digest}; ` +
      `${first.system} (round ${first.round + 1}) made ${first.sessions}, digest ${first.digest}\n` +
      `  their sorted sessions (user:start:end:clicks:dwellMs:pages): diff ${sessionsFile(first.system)} ${sessionsFile(system)}`,
  );
}

/** Runs the thread workloads; with `--json`, returns their document instead of printing the tables. */
function main(): object | undefined {
  const rounds = Number(argument('rounds') ?? 3);
  const only = argument('only')?.split(',');
  const json = process.argv.includes('--json');
  const burnIterations = calibrate(20);
  const base = { burnIterations, tinyCount: 100_000, streamRate: 20_000, streamSeconds: 5, clickCount: Number(argument('clicks') ?? 300_000) };
  const selected = plans.filter((plan) => !only || only.includes(plan.workload));
  const samples = new Map<string, CaseOutput[]>();
  const log = (text: string): void => {
    if (!json) process.stderr.write(text);
  };

  for (let round = 0; round < rounds; round++) {
    for (const plan of selected) {
      // Rotate the order each round so no system always runs first (or last) on a warm machine.
      const order = plan.systems.map((_, i) => plan.systems[(i + round) % plan.systems.length]);
      for (const system of order) {
        log(`\rround ${round + 1}/${rounds} · ${plan.workload} · ${system}`.padEnd(70));
        // threads.js Pool waits a timer before every task: a small count keeps it to seconds.
        const tinyCount = system === 'threads.js Pool' ? 2_000 : base.tinyCount;
        const output = runCase({ ...base, tinyCount, system, workload: plan.workload });
        checkDigest(plan.workload, system, round, output);
        const key = `${plan.workload}|${system}`;
        samples.set(key, [...(samples.get(key) ?? []), output]);
      }
    }
  }
  log('\r'.padEnd(70) + '\r');

  const rows: Row[] = [];
  const ratios: NamedRatio[] = [];
  const ceilings: NamedCeiling[] = [];
  for (const plan of selected) {
    const medianOf = (system: BenchSystem): number => median((samples.get(`${plan.workload}|${system}`) ?? []).map((sample) => sample.metrics[plan.metric]));
    const ours = medianOf(plan.reference ?? 'rxjs-threadpool');
    for (const system of plan.systems) {
      const outputs = samples.get(`${plan.workload}|${system}`) ?? [];
      const metrics: Row['metrics'] = {};
      for (const name of Object.keys(outputs[0]?.metrics ?? {})) {
        const values = outputs.map((output) => output.metrics[name]);
        metrics[name] = { median: median(values), min: Math.min(...values), max: Math.max(...values) };
      }
      const mine = metrics[plan.metric].median;
      rows.push({
        workload: plan.workload,
        system,
        metrics,
        maxRssMB: Math.max(...outputs.map((output) => output.maxRssMB)),
        ratio: plan.higherIsBetter ? mine / ours : ours / mine,
      });
    }
    // Of two systems, the one with the better median (the first of equals): a ratio over several is over the best.
    const better = (a: BenchSystem, b: BenchSystem): BenchSystem => ((plan.higherIsBetter ? medianOf(a) >= medianOf(b) : medianOf(a) <= medianOf(b)) ? a : b);
    for (const { name, of, over, target } of plan.ratios ?? []) {
      const against = typeof over === 'string' ? over : over.reduce(better);
      const ratio = plan.higherIsBetter ? medianOf(of) / medianOf(against) : medianOf(against) / medianOf(of);
      ratios.push({ workload: plan.workload, name, ratio, target, ...(typeof over === 'string' ? {} : { best: against }) });
    }
    for (const { name, system, metric, below, unit } of plan.ceilings ?? []) {
      const value = median((samples.get(`${plan.workload}|${system}`) ?? []).map((sample) => sample.metrics[metric]));
      ceilings.push({ workload: plan.workload, name, value, below, unit });
    }
  }
  // cpu: speedup over the main thread doing the 64 requests one after another.
  const serial = rows.find((row) => row.workload === 'cpu' && row.system === 'main thread');
  for (const row of rows) {
    if (row.workload === 'cpu' && serial) {
      const speedup = serial.metrics.wallMs.median / row.metrics.wallMs.median;
      row.metrics.speedup = { median: speedup, min: speedup, max: speedup };
    }
  }

  const machine = {
    cpus: availableParallelism(),
    model: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    rounds,
    burnIterations,
  };
  if (json) return { machine, rows, ratios, ceilings };
  console.log(
    `rxjs-threadpool benchmark · ${machine.cpus} CPUs (${machine.model}) · ${machine.memoryGiB} GiB · Node ${machine.node} · ${rounds} rounds, median (min–max)`,
  );
  console.log('ratio: the system / rxjs-threadpool, > 1 means better than rxjs-threadpool');
  for (const plan of selected) {
    console.log(`\n## ${plan.workload}${plan.reference ? ` (ratio: the system / ${plan.reference})` : ''}`);
    const lines = rows
      .filter((row) => row.workload === plan.workload)
      .map((row) => {
        const cells = Object.entries(row.metrics).map(([name, value]) => `${name} ${format(value.median)} (${format(value.min)}–${format(value.max)})`);
        return `  ${row.system.padEnd(24)} ratio ${row.ratio.toFixed(2).padStart(6)}   ${cells.join('   ')}   peak RSS ${Math.round(row.maxRssMB)} MB`;
      });
    console.log(lines.join('\n'));
    const own = ratios
      .filter((ratio) => ratio.workload === plan.workload)
      .map(
        ({ name, ratio, target, best }) =>
          `${name} ${ratio.toFixed(2)}×${best ? ` (over ${best})` : ''} (target ≥ ${target}×${ratio >= target ? '' : ', BELOW TARGET'})`,
      );
    if (own.length > 0) console.log(`  ${own.join('   ')}`);
    const kept = ceilings
      .filter((ceiling) => ceiling.workload === plan.workload)
      .map(({ name, value, below, unit }) => `${name} ${format(value)} ${unit} (target < ${below} ${unit}${value < below ? '' : ', ABOVE TARGET'})`);
    if (kept.length > 0) console.log(`  ${kept.join('   ')}`);
  }
  return undefined;
}

function format(value: number): string {
  if (value >= 1000) return Math.round(value).toLocaleString('en-US');
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/**
 * The distributed section (poolMap over BullMQ against plain BullMQ, on a
 * redis-server it starts): in its own process, after the thread tables.
 * Skipped, with a note, when Debian's redis-server is not installed.
 */
function distributed(): object | undefined {
  const only = argument('only')?.split(',');
  if (only && !only.includes('distributed')) return undefined;
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    console.error('\n## distributed: skipped (no redis-server; apt-get install -y redis-server)');
    return { skipped: 'no redis-server' };
  }
  const json = process.argv.includes('--json');
  const args = [join(__dirname, 'distributed.js'), '--rounds', argument('rounds') ?? '3', ...(json ? ['--json'] : [])];
  if (!json) {
    execFileSync(process.execPath, args, { stdio: 'inherit', timeout: 1_800_000 });
    return undefined;
  }
  const text = execFileSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], timeout: 1_800_000, encoding: 'utf8' });
  return JSON.parse(text) as object;
}

if (process.argv.includes('--scaling')) {
  runScaling();
} else {
  // With --json, one document: the thread workloads under `local`, the queue section under `distributed`.
  const local = argument('only') === 'distributed' ? undefined : main();
  const queue = distributed();
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ local, distributed: queue }, null, 2)}\n`);
}
