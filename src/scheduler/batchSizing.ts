/**
 * How many queued requests of a pipeline travel to a worker together, and
 * whether a pipeline may start another batch now (`poolMap`'s `batch`
 * option, `'auto'` in particular).
 *
 * @module
 */
import type { AutoBatchTuning } from '../executor.js';

/**
 * How many queued requests travel to a worker together (`poolMap`'s `batch`
 * option): a fixed number, or `'auto'`, which sends one at a time until it
 * has measured the task, then batches only tasks that take under 1 ms each
 * (`AUTO_BATCH_MAX_JOB_MS`), sized to about 4 ms of work
 * (`AUTO_BATCH_TARGET_MS`), at most 2048 requests, and to a fair share of
 * the queue per worker, so batching never idles a worker or delays a slow
 * task's outcome. Requests whose arguments copy 64 KiB or more each travel
 * one per message and are timed by the worker's own clock (their copying
 * overlaps the work); they go at least two to a batch, so a worker runs one
 * while the next is copied.
 */
export type BatchSize = number | 'auto';

/** `'auto'` batches only tasks faster than this (ms per request). */
export const AUTO_BATCH_MAX_JOB_MS = 1;
/** `'auto'` aims at batches of about this much work (ms). */
export const AUTO_BATCH_TARGET_MS = 4;
/** `'auto'` never sends more requests than this in one batch. */
export const AUTO_BATCH_MAX = 2048;

/** What batch sizing reads of a pipeline. */
export interface Sizable {
  readonly batch: BatchSize;
  /** A timeout is per request: such a pipeline never batches. */
  readonly timeout: number | undefined;
  /** Requests queued. */
  readonly queued: number;
  /** Batches running. */
  readonly batchesRunning: number;
  /** Measured ms per request as the scheduler saw the batches. */
  readonly msPerJob: number | undefined;
  /** Measured ms per request on the slots' own clock, when they report it. */
  readonly workMsPerJob: number | undefined;
  /** Bytes the requests' arguments copy, per request, when the slots report it. */
  readonly bytesPerJob: number | undefined;
}

/**
 * The ms per request `'auto'` sizes batches by: the slots' own measure when
 * the executor asks for it (for every request, or for large ones) and has one.
 */
function sizingMs(pipeline: Sizable, tuning: AutoBatchTuning | undefined): number | undefined {
  return tuning?.byWorkTime || isLarge(pipeline, tuning) ? (pipeline.workMsPerJob ?? pipeline.msPerJob) : pipeline.msPerJob;
}

/** Whether the pipeline's requests copy at least the executor's `largeRequestBytes` each, as measured. */
function isLarge(pipeline: Sizable, tuning: AutoBatchTuning | undefined): boolean {
  return tuning?.largeRequestBytes !== undefined && pipeline.bytesPerJob !== undefined && pipeline.bytesPerJob >= tuning.largeRequestBytes;
}

/**
 * Whether an `'auto'` pipeline of fast (or not yet measured) tasks may start
 * another batch: it runs fewer than the executor's `spread` batches at once.
 * Every other pipeline may.
 */
export function withinSpread(pipeline: Sizable, tuning: AutoBatchTuning | undefined): boolean {
  if (tuning?.spread === undefined || pipeline.batchesRunning < Math.max(1, tuning.spread)) return true;
  if (pipeline.batch !== 'auto' || pipeline.timeout !== undefined) return true;
  const ms = sizingMs(pipeline, tuning);
  return ms !== undefined && ms >= tuning.maxJobMs;
}

/** How many queued requests to send in the pipeline's next batch, on an executor of `capacity` slots. */
export function batchSize(pipeline: Sizable, capacity: number, tuning?: AutoBatchTuning): number {
  const { batch, timeout, queued } = pipeline;
  // A timeout is per request: a batch would make one slow request time out its batch-mates.
  if (timeout !== undefined) return 1;
  if (batch !== 'auto') return Math.min(batch, queued);
  const ms = sizingMs(pipeline, tuning);
  const fair = Math.ceil(queued / Math.max(1, Math.min(capacity, tuning?.spread ?? capacity)));
  // Large requests travel one per message: two in a batch let the worker run one while the next is copied.
  const least = isLarge(pipeline, tuning) ? Math.max(1, Math.min(2, fair)) : 1;
  if (ms === undefined || ms >= (tuning?.maxJobMs ?? AUTO_BATCH_MAX_JOB_MS) || queued <= 1) return least;
  const byTime = ms <= 0 ? AUTO_BATCH_MAX : Math.floor((tuning?.targetMs ?? AUTO_BATCH_TARGET_MS) / ms);
  return Math.max(least, Math.min(fair, byTime, AUTO_BATCH_MAX));
}
