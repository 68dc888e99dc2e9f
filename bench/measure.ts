/**
 * What both benchmark scripts (run.ts and distributed.ts) share: their
 * command-line options, the cpu workload's calibration, and the median;
 * and where run.ts and its cases (case.ts) leave the keyed stream
 * workload's sessions.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { burn } from './tasks';

/** The value after `--name` on the command line, if any. */
export function argument(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

/** burn() iterations that take about `ms` here (median of a few tries). */
export function calibrate(ms: number): number {
  const probe = 2_000_000;
  burn(probe);
  const times = Array.from({ length: 5 }, () => {
    const start = performance.now();
    burn(probe);
    return performance.now() - start;
  }).sort((a, b) => a - b);
  return Math.round((probe * ms) / times[2]);
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Where a keyed stream case leaves its measured run's sorted session lines (one file per system, the last round's). */
export const sessionsFile = (system: string): string => join(tmpdir(), `rxjs-threadpool-bench-keyed-stream-${system.replace(/[^a-z0-9]+/gi, '-')}.txt`);
