/**
 * `npm run bench -- --scaling [--quick] [--json] [--only requests,payload,pipelines,taskTime,poolSize]`:
 * how cost grows. Five sweeps (requests in one pipeline, payload size,
 * pipelines on one pool, task time, pool size), rxjs-threadpool (auto and
 * `batch: 1`) against piscina's best unbatched configuration and the main
 * thread, every point in a fresh process (scalingCase.ts). Writes
 * `bench/results/scaling.json` and one SVG chart per sweep, plus one for
 * memory, to `docs/bench/` (`--quick`: fewer, shorter points, written to
 * `bench/results/scaling-quick.json` and `bench/results/quick/`). `--only`
 * re-measures the series it names and keeps the others from the saved JSON;
 * `--render` only redraws the charts from it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Figure, formatBytes, type Line, type LineStyle, renderFigure } from './chart';
import { argument, calibrate } from './measure';
import { type PointInput, type PointOutput, type ScalingSeries, type ScalingSystem, scalingSystems } from './scalingCase';

/** One measured point as the JSON document holds it. */
export interface ScalingPoint {
  readonly series: ScalingSeries;
  readonly system: ScalingSystem;
  readonly x: number;
  readonly metrics: Record<string, number>;
  readonly peakRssMB: number;
  readonly reps: number;
  readonly seconds: number;
  /** CPUs the rest of the machine used on average during the point (absent without /proc/stat). */
  readonly othersCpus?: number;
}

interface SeriesPlan {
  readonly series: ScalingSeries;
  readonly xs: readonly number[];
  readonly systems: (x: number) => readonly ScalingSystem[];
}

const KiB = 1024;
const MiB = 1024 * KiB;
const size = availableParallelism();
/** A point during which the rest of the machine used more CPUs than this (on average) is drawn hollow. */
const DISTURBED_CPUS = 0.3;
/** USER_HZ, the unit of /proc/stat (asked once, when the first point runs). */
let clockTicks: number | undefined;
function userHz(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}
/** The clock the points used: schedstat unless a point reported the fallback. */
let cpuClock: PointOutput['cpuClock'] = 'schedstat';
const pools = scalingSystems.filter((system) => system !== 'main thread');

function plans(quick: boolean): SeriesPlan[] {
  const every = (): readonly ScalingSystem[] => scalingSystems;
  return [
    { series: 'requests', xs: quick ? [1e3, 1e4, 1e5] : [1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6], systems: every },
    {
      series: 'payload',
      xs: quick ? [KiB, 64 * KiB, 4 * MiB] : [KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB, 16 * MiB],
      systems: every,
    },
    { series: 'pipelines', xs: quick ? [1, 30, 1000] : [1, 3, 10, 30, 100, 300, 1000], systems: () => pools },
    { series: 'taskTime', xs: quick ? [10, 300, 10_000] : [10, 30, 100, 300, 1000, 3000, 10_000], systems: every },
    {
      series: 'poolSize',
      // 1 → the CPU count, and one oversubscribed point (twice the CPUs) to show what more threads than cores do.
      xs: quick ? [1, size] : [...Array.from({ length: size }, (_, i) => i + 1), 2 * size],
      systems: (x) => (x === 1 ? scalingSystems : pools),
    },
  ];
}

function runPoint(input: PointInput): PointOutput {
  const stdout = execFileSync(process.execPath, ['--expose-gc', join(__dirname, 'scalingCase.js'), JSON.stringify(input)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 300_000,
    maxBuffer: 16 * MiB,
  });
  return JSON.parse(stdout.trim().split('\n').pop() as string) as PointOutput;
}

const styles: readonly LineStyle[] = [
  { name: 'rxjs-threadpool', color: '#0b62c4', marker: 'circle' },
  { name: 'rxjs-threadpool batch:1', color: '#d9730d', marker: 'square' },
  { name: 'piscina best', color: '#1a8f4a', marker: 'triangle' },
  { name: 'main thread', color: '#6b6b6b', marker: 'diamond' },
];
const ideal: LineStyle = { name: 'ideal', color: '#111111', marker: 'none', dashed: true };

function line(points: readonly ScalingPoint[], series: ScalingSeries, system: string, y: (point: ScalingPoint) => number | undefined): Line {
  return {
    name: system,
    points: points
      .filter((point) => point.series === series && point.system === system)
      .map((point) => ({ x: point.x, y: y(point) ?? Number.NaN, hollow: (point.othersCpus ?? 0) > DISTURBED_CPUS }))
      .sort((a, b) => a.x - b.x),
  };
}

function lines(
  points: readonly ScalingPoint[],
  series: ScalingSeries,
  y: (point: ScalingPoint) => number | undefined,
  systems: readonly ScalingSystem[] = scalingSystems,
): Line[] {
  return systems.map((system) => line(points, series, system, y));
}

const usLabel = (value: number): string => (value >= 1000 ? `${value / 1000} ms` : `${value} µs`);

/** The figures, keyed by file name (without `.svg`). */
function figures(
  points: readonly ScalingPoint[],
  subtitle: string,
  workMs: number,
  pipelineTotal: number,
  poolSizeTaskUs: number,
  size: number,
): Record<string, Figure> {
  const metric = (name: string) => (point: ScalingPoint) => point.metrics[name];
  const cpuNote =
    'Main-thread CPU: the main thread’s own CPU time (Linux /proc/self/task/<pid>/schedstat) over the measured part, divided by the work done. ' +
    'Each point is a fresh process; rates are the median of repetitions run for at least the point’s minimum time.';
  const result: Record<string, Figure> = {};
  const inlineRates = points.filter((p) => p.series === 'requests' && p.system === 'main thread').map((p) => p.metrics.requestsPerSecond);
  const inline = inlineRates.length ? `${fmt(Math.min(...inlineRates) / 1e6)}–${fmt(Math.max(...inlineRates) / 1e6)} million` : 'not measured,';
  result.requests = {
    title: `Requests: N tiny requests (x + 1) into one poolMap · pool of ${size}`,
    subtitle,
    styles: styles.slice(0, 3),
    panels: [
      {
        title: 'Throughput',
        x: { label: 'requests N', scale: 'log' },
        y: { label: 'requests / s', scale: 'log' },
        lines: lines(points, 'requests', metric('requestsPerSecond'), pools),
      },
      {
        title: 'Main-thread CPU per request',
        x: { label: 'requests N', scale: 'log' },
        y: { label: 'µs / request', scale: 'log' },
        lines: lines(points, 'requests', metric('mainCpuUsPerRequest'), pools),
      },
    ],
    notes: [
      `piscina best: concurrentTasksPerWorker 8, at most 64 calls outstanding. Not drawn: the main thread running x + 1 inline, ${inline} requests/s (the JIT all but removes the loop). ${cpuNote}`,
    ],
  };
  result.memory = {
    title: `Memory: N tiny requests queued at once · pool of ${size}`,
    subtitle,
    styles: [...styles.slice(0, 2), { name: 'piscina (N run() calls)', color: '#7b3fb5', marker: 'triangle' }, ...styles.slice(2)],
    panels: [
      {
        title: 'Bytes retained per queued request',
        x: { label: 'requests queued N', scale: 'log' },
        y: { label: 'bytes / request', scale: 'log' },
        lines: [
          ...lines(points, 'requests', metric('bytesPerQueuedRequest'), ['rxjs-threadpool', 'rxjs-threadpool batch:1']),
          { ...line(points, 'requests', 'piscina best', metric('bytesPerQueuedRequest')), name: 'piscina (N run() calls)' },
        ],
      },
      {
        title: 'Peak RSS of the throughput run',
        x: { label: 'requests N', scale: 'log' },
        y: { label: 'peak RSS, MB', scale: 'log' },
        lines: [
          ...lines(points, 'requests', (point) => point.peakRssMB, ['rxjs-threadpool', 'rxjs-threadpool batch:1']),
          line(points, 'requests', 'piscina best', (point) => point.peakRssMB),
          line(points, 'requests', 'main thread', (point) => point.peakRssMB),
        ],
      },
    ],
    notes: [
      'Left: V8 heap + external memory after a forced full GC with all N requests submitted (one synchronous loop, no result back yet), minus the same before, divided by N. ' +
        'piscina is given all N calls at once here (its own queue); in the throughput runs (right) piscina best keeps 64 outstanding, so its backlog is the caller’s array. ' +
        'Right: the process’s peak RSS after the throughput run of N requests.',
    ],
  };
  result.payload = {
    title: `Payload: one copied Float64Array per request, summed · pool of ${size}`,
    subtitle,
    styles,
    panels: [
      {
        title: 'Throughput',
        x: { label: 'bytes per request', scale: 'log', ticks: [KiB, 16 * KiB, 256 * KiB, 4 * MiB, 16 * MiB], format: formatBytes },
        y: { label: 'MB / s (MB = 2²⁰ B)', scale: 'log' },
        lines: lines(points, 'payload', metric('megabytesPerSecond')),
      },
      {
        title: 'Main-thread CPU per MB',
        x: { label: 'bytes per request', scale: 'log', ticks: [KiB, 16 * KiB, 256 * KiB, 4 * MiB, 16 * MiB], format: formatBytes },
        y: { label: 'ms / MB', scale: 'log' },
        lines: lines(points, 'payload', metric('mainCpuMsPerMB')),
      },
    ],
    notes: [`Each point runs about its minimum time (a probe sizes the request count). Main thread: the sum inline, no copy. ${cpuNote}`],
  };
  result.pipelines = {
    title: `Pipelines: ${pipelineTotal.toLocaleString('en-US')} tiny requests split among N pipelines · pool of ${size}`,
    subtitle,
    styles: styles.slice(0, 3),
    panels: [
      {
        title: 'Throughput',
        x: { label: 'concurrent pipelines (piscina: callers)', scale: 'log' },
        y: { label: 'requests / s', scale: 'log' },
        lines: lines(points, 'pipelines', metric('requestsPerSecond'), pools),
      },
      {
        title: 'Main-thread CPU per request',
        x: { label: 'concurrent pipelines (piscina: callers)', scale: 'log' },
        y: { label: 'µs / request', scale: 'log' },
        lines: lines(points, 'pipelines', metric('mainCpuUsPerRequest'), pools),
      },
    ],
    notes: [
      `rxjs-threadpool: N poolMap subscriptions on one pool, each fed its share synchronously. piscina: N callers, each keeping 64 calls outstanding. ${cpuNote}`,
    ],
  };
  result.taskTime = {
    title: `Task time: CPU-bound tasks of 10 µs to 10 ms · pool of ${size}`,
    subtitle,
    styles: [...styles, ideal],
    panels: [
      {
        title: 'Speedup over the main thread',
        x: { label: 'time per task', scale: 'log', format: usLabel },
        y: { label: '× the main thread’s rate', scale: 'linear', min: 0, max: size + 0.3 },
        lines: [
          ...lines(points, 'taskTime', metric('speedup')),
          { name: 'ideal', points: points.filter((p) => p.series === 'taskTime' && p.system === 'main thread').map((p) => ({ x: p.x, y: size })) },
        ],
      },
      {
        title: 'Main-thread CPU per request',
        x: { label: 'time per task', scale: 'log', format: usLabel },
        y: { label: 'µs / request', scale: 'log' },
        lines: lines(points, 'taskTime', metric('mainCpuUsPerRequest')),
      },
    ],
    notes: [
      `${workMs} ms of work per point (burn, calibrated). Speedup: the system’s requests/s over the main thread’s doing the same tasks inline, one after another; ideal is the pool size. ${cpuNote}`,
    ],
  };
  const serial = points.find((p) => p.series === 'poolSize' && p.system === 'main thread')?.metrics.requestsPerSecond;
  const sizes = [...new Set(points.filter((p) => p.series === 'poolSize').map((p) => p.x))].sort((a, b) => a - b);
  result.poolSize = {
    title: `Pool size: ${usLabel(poolSizeTaskUs)} CPU-bound tasks`,
    subtitle,
    styles: [...styles.slice(0, 3), { ...ideal, name: `ideal (main thread × min(size, ${size} CPUs))` }],
    panels: [
      {
        title: 'Throughput',
        x: { label: 'pool size (threads)', scale: 'linear', ticks: sizes, min: 0.7, max: (sizes[sizes.length - 1] ?? 1) + 0.3 },
        y: { label: 'requests / s', scale: 'linear', min: 0 },
        lines: [
          ...lines(points, 'poolSize', metric('requestsPerSecond'), pools),
          { name: `ideal (main thread × min(size, ${size} CPUs))`, points: serial ? sizes.map((x) => ({ x, y: serial * Math.min(x, size) })) : [] },
        ],
      },
      {
        title: 'Main-thread CPU per request',
        x: { label: 'pool size (threads)', scale: 'linear', ticks: sizes, min: 0.7, max: (sizes[sizes.length - 1] ?? 1) + 0.3 },
        y: { label: 'µs / request', scale: 'log' },
        lines: lines(points, 'poolSize', metric('mainCpuUsPerRequest'), pools),
      },
    ],
    notes: [`${workMs} ms of work per point. ${sizes.includes(2 * size) ? 'The last size is twice the CPU count (oversubscribed). ' : ''}${cpuNote}`],
  };
  return result;
}

/** Adds the figures computed across points: speedups over the main thread, and the RSS slope per request. */
function derive(points: ScalingPoint[]): void {
  const find = (series: ScalingSeries, system: ScalingSystem, x: number): ScalingPoint | undefined =>
    points.find((p) => p.series === series && p.system === system && p.x === x);
  for (const point of points) {
    if (point.series === 'taskTime') {
      const serial = find('taskTime', 'main thread', point.x)?.metrics.requestsPerSecond;
      if (serial) point.metrics.speedup = point.metrics.requestsPerSecond / serial;
    }
    if (point.series === 'poolSize') {
      const serial = find('poolSize', 'main thread', 1)?.metrics.requestsPerSecond;
      if (serial) point.metrics.speedup = point.metrics.requestsPerSecond / serial;
    }
    if (point.series === 'requests') {
      const smallest = Math.min(...points.filter((p) => p.series === 'requests').map((p) => p.x));
      const base = find('requests', point.system, smallest);
      if (base && point.x > smallest) {
        point.metrics.rssSlopeBytesPerRequest = ((point.peakRssMB - base.peakRssMB) * MiB) / (point.x - smallest);
        if (point.metrics.queuedBytes !== undefined && base.metrics.queuedBytes !== undefined) {
          point.metrics.queuedBytesSlopePerRequest = (point.metrics.queuedBytes - base.metrics.queuedBytes) / (point.x - smallest);
        }
      }
    }
  }
}

const units: Record<ScalingSeries, string> = {
  requests: 'requests',
  payload: 'bytes per request',
  pipelines: 'concurrent pipelines',
  taskTime: 'µs per task',
  poolSize: 'threads',
};

function summary(document: ScalingDocument): string {
  const out: string[] = [];
  const columns: Record<ScalingSeries, string[]> = {
    requests: ['requestsPerSecond', 'mainCpuUsPerRequest', 'bytesPerQueuedRequest'],
    payload: ['megabytesPerSecond', 'mainCpuMsPerMB'],
    pipelines: ['requestsPerSecond', 'mainCpuUsPerRequest'],
    taskTime: ['requestsPerSecond', 'speedup', 'mainCpuUsPerRequest'],
    poolSize: ['requestsPerSecond', 'speedup', 'mainCpuUsPerRequest'],
  };
  for (const series of Object.keys(columns) as ScalingSeries[]) {
    const rows = document.points.filter((p) => p.series === series);
    if (!rows.length) continue;
    out.push(`\n## ${series} (x: ${units[series]})`);
    for (const p of rows) {
      const cells = columns[series].filter((name) => p.metrics[name] !== undefined).map((name) => `${name} ${fmt(p.metrics[name])}`);
      out.push(`  ${fmt(p.x).padStart(9)}  ${p.system.padEnd(24)} ${cells.join('   ')}   peak RSS ${Math.round(p.peakRssMB)} MB`);
    }
  }
  return out.join('\n');
}

function fmt(value: number): string {
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(3);
}

/** The commit measured, and whether the library's sources (src/, operators/) differed from it. */
function libraryVersion(root: string): { commit: string; uncommittedChanges: boolean } | undefined {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: git('rev-parse', 'HEAD'), uncommittedChanges: git('status', '--porcelain', '--', 'src', 'operators') !== '' };
  } catch {
    return undefined;
  }
}

/** What scaling.json holds. */
export interface ScalingDocument {
  readonly date: string;
  readonly machine: { cpus: number; model: string; memoryGiB: number; node: string; platform: string };
  readonly library?: { commit: string; uncommittedChanges: boolean };
  readonly quick: boolean;
  readonly wallSeconds: number;
  readonly method: Record<string, unknown> & {
    readonly minMs: number;
    readonly workMs: number;
    readonly pipelineTotal: number;
    readonly poolSizeTaskUs: number;
  };
  /** Notes on a series' figures (e.g. a disturbed run), shown under its chart; written by hand. */
  readonly caveats?: Partial<Record<ScalingSeries | 'memory', string>>;
  /** When each series was measured, when they differ (after a run with `--only`). */
  readonly seriesDates?: Partial<Record<ScalingSeries, string>>;
  readonly points: ScalingPoint[];
}

/**
 * Runs the scaling benchmark (see the module comment): every point of every
 * selected sweep in a fresh process, systems rotating within each point;
 * progress on stderr. Writes the JSON document and the SVG charts; with
 * `--json` prints the document on stdout (one document), otherwise a summary.
 * `--render` measures nothing: it redraws the charts from the saved JSON.
 */
export function runScaling(): void {
  const quick = process.argv.includes('--quick');
  const root = join(__dirname, '..', '..');
  const resultsDir = join(root, 'bench', 'results');
  const jsonPath = join(resultsDir, quick ? 'scaling-quick.json' : 'scaling.json');
  const chartDir = quick ? join(resultsDir, 'quick') : join(root, 'docs', 'bench');
  const saved = existsSync(jsonPath) ? (JSON.parse(readFileSync(jsonPath, 'utf8')) as ScalingDocument) : undefined;
  let document: ScalingDocument;
  if (process.argv.includes('--render')) {
    if (!saved) throw new Error(`--render: no ${jsonPath}`);
    document = saved;
  } else {
    document = measureAll(quick, root);
    const only = argument('only')?.split(',');
    // --only re-measures some series: the saved document keeps the others (and their dates, under `seriesDates`).
    if (only && saved) {
      const kept = saved.points.filter((p) => !only.includes(p.series));
      const caveats = Object.fromEntries(Object.entries(saved.caveats ?? {}).filter(([series]) => !only.includes(series === 'memory' ? 'requests' : series)));
      document = {
        ...document,
        caveats,
        seriesDates: Object.fromEntries(
          document.points.concat(kept).map((p) => [p.series, only.includes(p.series) ? document.date : (saved.seriesDates?.[p.series] ?? saved.date)]),
        ),
        points: [...kept, ...document.points],
      };
    }
  }
  mkdirSync(resultsDir, { recursive: true });
  mkdirSync(chartDir, { recursive: true });
  if (!process.argv.includes('--render')) writeFileSync(jsonPath, `${JSON.stringify(document, null, 2)}\n`);
  const { machine, method } = document;
  const commit = document.library ? ` · ${document.library.commit.slice(0, 7)}${document.library.uncommittedChanges ? '+changes' : ''}` : '';
  const subtitle = `${machine.cpus} CPUs (${machine.model}) · ${machine.memoryGiB} GiB · Node ${machine.node} · ${document.date.slice(0, 10)}${commit}${document.quick ? ' · quick run' : ''}`;
  const drawn = figures(document.points, subtitle, method.workMs, method.pipelineTotal, method.poolSizeTaskUs, machine.cpus);
  for (const [name, figure] of Object.entries(drawn)) {
    const series = name === 'memory' ? 'requests' : name;
    if (!document.points.some((p) => p.series === series)) continue;
    const caveat = document.caveats?.[name as ScalingSeries];
    const hollow = document.points.some((p) => p.series === series && (p.othersCpus ?? 0) > DISTURBED_CPUS);
    const notes = [
      ...(figure.notes ?? []),
      ...(hollow
        ? [`Hollow markers: points measured while the rest of the machine used more than ${DISTURBED_CPUS} CPU on average (othersCpus in the JSON).`]
        : []),
      ...(caveat ? [`⚠ ${caveat}`] : []),
    ];
    writeFileSync(join(chartDir, `${name}.svg`), renderFigure({ ...figure, notes }));
  }
  process.stderr.write(`wrote ${process.argv.includes('--render') ? '' : `${jsonPath} and `}charts in ${chartDir}\n`);
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  else console.log(summary(document));
}

/** CPU time (s) the whole machine has spent busy so far, from /proc/stat (steal included: CPU taken by other guests); undefined without /proc. */
function machineBusySeconds(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + (fields[7] ?? 0);
    return busy / userHz();
  } catch {
    return undefined;
  }
}

function measureAll(quick: boolean, root: string): ScalingDocument {
  const started = performance.now();
  const only = argument('only')?.split(',');
  const minMs = quick ? 150 : 800;
  const workMs = quick ? 300 : 1500;
  const pipelineTotal = quick ? 20_000 : 100_000;
  const poolSizeTaskUs = 1000;
  const burnPerMs = calibrate(20) / 20;
  const selected = plans(quick).filter((plan) => !only || only.includes(plan.series));
  const todo = selected.reduce((count, plan) => count + plan.xs.reduce((n, x) => n + plan.systems(x).length, 0), 0);
  const points: ScalingPoint[] = [];
  let turn = 0;
  for (const plan of selected) {
    for (const x of plan.xs) {
      const systems = plan.systems(x);
      // Rotate the order at every point so no system always runs first on a warm machine.
      const order = systems.map((_, i) => systems[(i + turn) % systems.length]);
      turn++;
      for (const system of order) {
        const elapsed = ((performance.now() - started) / 1000).toFixed(0);
        process.stderr.write(`\r[${points.length + 1}/${todo} · ${elapsed} s] ${plan.series} · x = ${fmt(x)} · ${system}`.padEnd(90));
        const busyBefore = machineBusySeconds();
        const ownBefore = process.cpuUsage();
        const start = performance.now();
        const output = runPoint({ series: plan.series, system, x, size, burnPerMs, minMs, pipelineTotal, workMs, poolSizeTaskUs });
        const seconds = (performance.now() - start) / 1000;
        const busyAfter = machineBusySeconds();
        const own = process.cpuUsage(ownBefore);
        // What the rest of the machine ran meanwhile, in CPUs: busy time minus the point's process and this one.
        const othersCpus =
          busyBefore === undefined || busyAfter === undefined
            ? undefined
            : (busyAfter - busyBefore - output.processCpuSeconds - (own.user + own.system) / 1e6) / seconds;
        points.push({
          series: plan.series,
          system,
          x,
          metrics: output.metrics,
          peakRssMB: output.peakRssMB,
          reps: output.reps,
          seconds,
          ...(othersCpus === undefined ? {} : { othersCpus: Math.max(0, othersCpus) }),
        });
        if (output.cpuClock !== 'schedstat') cpuClock = output.cpuClock;
      }
    }
  }
  derive(points);
  const seconds = (performance.now() - started) / 1000;
  const disturbed = points.filter((p) => (p.othersCpus ?? 0) > DISTURBED_CPUS).length;
  process.stderr.write(`\r${`scaling: ${points.length} points in ${seconds.toFixed(0)} s; ${disturbed} disturbed by other load`.padEnd(90)}\n`);
  return {
    date: new Date().toISOString(),
    machine: {
      cpus: size,
      model: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
    },
    library: libraryVersion(root),
    quick,
    wallSeconds: Math.round(seconds),
    method: {
      cpuClock,
      cpuClockNote:
        cpuClock === 'schedstat'
          ? "main-thread CPU is the main thread's own (first field of /proc/self/task/<pid>/schedstat), read after a 1 ms sleep so the kernel's figure is current"
          : 'no /proc: main-thread CPU falls back to process.cpuUsage(), which counts the worker threads too',
      othersCpusNote: `othersCpus: CPUs the rest of the machine used on average during the point (/proc/stat busy time incl. steal, minus the point's process and the driver); above ${DISTURBED_CPUS} the point is drawn hollow`,
      poolSize: size,
      minMs,
      workMs,
      pipelineTotal,
      poolSizeTaskUs,
      burnPerMs,
      systems: {
        'rxjs-threadpool': "poolMap with default options (batch 'auto')",
        'rxjs-threadpool batch:1': 'poolMap with { batch: 1 }',
        'piscina best': 'piscina, concurrentTasksPerWorker 8, at most 64 calls outstanding per caller',
        'main thread': 'the task run inline, one after another',
      },
      series: {
        requests:
          'x = N requests of inc (x + 1) pushed synchronously into one pipeline; requestsPerSecond and mainCpuUsPerRequest over repetitions of the N; ' +
          'queuedBytes = V8 heap + external after a forced full GC with all N submitted and none returned − the same before; bytesPerQueuedRequest = queuedBytes / N (what the chart shows); ' +
          'queuedBytesSlopePerRequest = (queuedBytes at N − at the smallest N) / (N − smallest N), without the per-pipeline fixed cost; piscina is given all N run() calls at once for this probe; ' +
          'rssSlopeBytesPerRequest = (peak RSS at N − peak RSS at the smallest N) / (N − smallest N), from the throughput runs (peak RSS is read before the memory probe)',
        payload: 'x = bytes of one Float64Array argument per request, copied (not transferred), sum task; a probe sizes each repetition to about minMs / 4',
        pipelines: `x = concurrent pipelines sharing one pool, ${pipelineTotal} inc requests in all split evenly; piscina: x callers each keeping 64 outstanding`,
        taskTime: `x = µs per burn task (calibrated on the main thread), ${workMs} ms of work in all; speedup = requestsPerSecond / the main thread's at the same x`,
        poolSize: `x = pool size, ${poolSizeTaskUs} µs burn tasks, ${workMs} ms of work in all; speedup = requestsPerSecond / the main thread's; the last size is twice the CPU count`,
      },
    },
    points,
  };
}
