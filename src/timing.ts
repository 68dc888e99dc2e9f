/**
 * Timing statistics: how long requests waited in the queue and ran, as
 * percentiles over a sliding window of the latest requests, and the share of
 * worker time that was busy. Recorded only while someone subscribes to
 * `stats$`, so a pool nobody watches pays nothing for them.
 *
 * @module
 */

/**
 * A running measure that follows recent samples: the first sample as it is,
 * then 70% of the previous measure and 30% of the new sample.
 */
export function smoothed(previous: number | undefined, sample: number): number {
  return previous === undefined ? sample : 0.7 * previous + 0.3 * sample;
}

/**
 * A distribution over the window: `count` samples (0 when none yet), in ms.
 *
 * @category Pools
 */
export interface Percentiles {
  /** How many samples the window holds (at most 1000; 0 before any, and then every field is 0). */
  readonly count: number;
  /** The median, in ms. */
  readonly p50: number;
  /** The 99th percentile, in ms. */
  readonly p99: number;
  /** The largest sample, in ms. */
  readonly max: number;
}

/** Requests per window (the latest this many). */
export const TIMING_WINDOW = 1000;
/** Utilization is measured over about this many ms. */
export const UTILIZATION_WINDOW_MS = 5000;

const none: Percentiles = { count: 0, p50: 0, p99: 0, max: 0 };

/** The latest {@link TIMING_WINDOW} samples. */
export class SampleWindow {
  private readonly values = new Float64Array(TIMING_WINDOW);
  private next = 0;
  private filled = 0;

  push(value: number, times = 1): void {
    for (let i = 0; i < times; i++) {
      this.values[this.next] = value;
      this.next = (this.next + 1) % TIMING_WINDOW;
      if (this.filled < TIMING_WINDOW) this.filled++;
    }
  }

  summary(): Percentiles {
    if (this.filled === 0) return none;
    const sorted = this.values.slice(0, this.filled).sort();
    const at = (share: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)];
    return { count: sorted.length, p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted[sorted.length - 1]) };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** The timings of a pool or of one pipeline. */
export class Timings {
  readonly wait = new SampleWindow();
  readonly run = new SampleWindow();
}

/** Busy worker time, for utilization: finished batches' intervals and the running ones' starts. */
export class BusyTime {
  private readonly finished: { start: number; end: number }[] = [];
  private readonly running = new Map<object, number>();

  started(batch: object, now: number): void {
    this.running.set(batch, now);
  }

  ended(batch: object, now: number): void {
    const start = this.running.get(batch);
    if (start === undefined) return;
    this.running.delete(batch);
    this.finished.push({ start, end: now });
    // Forget intervals that ended before the window.
    if (this.finished.length > 4096 || this.finished[0].end < now - UTILIZATION_WINDOW_MS) {
      const from = now - UTILIZATION_WINDOW_MS;
      let drop = 0;
      while (drop < this.finished.length && this.finished[drop].end < from) drop++;
      this.finished.splice(0, Math.max(drop, this.finished.length - 4096));
    }
  }

  /** Share of `capacity` workers' time that was busy over the window ending `now` (since `since`, if later). */
  utilization(now: number, capacity: number, since: number): number {
    const from = Math.max(now - UTILIZATION_WINDOW_MS, since);
    const span = now - from;
    if (span <= 0 || capacity <= 0) return 0;
    let busy = 0;
    for (const { start, end } of this.finished) if (end > from) busy += end - Math.max(start, from);
    for (const start of this.running.values()) busy += now - Math.max(start, from);
    return Math.min(1, Math.round((busy / (span * capacity)) * 1000) / 1000);
  }

  /** `batch` did not start after all: it was never busy. */
  forget(batch: object): void {
    this.running.delete(batch);
  }

  clear(): void {
    this.finished.length = 0;
    this.running.clear();
  }
}
