/**
 * The queue's envelope around the one wire format (`src/wire.ts`): what
 * travels in a BullMQ job between a queue pool and a worker host. The job's
 * data is an encoded batch (`encodeBatch`) with a format version and the
 * requests' timeout; its return value is the batch's `WireOutcomes`, as a
 * thread's reply carries them, and nothing else. Both are JSON (BullMQ
 * stores jobs as JSON).
 *
 * Neither end trusts the other: anyone who can write to the queue (another
 * producer, one of an older version, someone on the Redis network) can put
 * any job there, and any worker on the queue can return anything. So each
 * message is checked by its receiver before it touches it:
 * {@link jobDataProblem} by a host (after {@link jobBytesProblem}, before
 * the data is even parsed), and {@link jobResultProblem} by the producer.
 * The batch fields and the outcomes are checked by the wire's own guards
 * (`batchProblem`, `outcomesProblem`); this file adds the envelope's fields
 * and the host's limits. A host refuses a bad job with BullMQ's
 * `UnrecoverableError` and the reason after {@link JOB_REFUSED}, which the
 * producer recognizes.
 *
 * @module
 */
import { MAX_TIMER_MS } from '../checks.js';
import {
  batchProblem,
  type EncodedBatch,
  kindOf,
  MAX_BATCH_REQUESTS,
  MAX_TASK_NAME_LENGTH,
  type OutcomeFields,
  outcomesProblem,
  unknownField,
  type WireOutcomes,
} from '../wire.js';

/** The data of a job: a batch of requests, encoded as for a thread, in the queue's envelope. */
export interface QueueJobData extends EncodedBatch {
  /** Format version. */
  readonly v: 1;
  /** The requests' `timeout` (ms): the host ends a request running longer with `TaskTimeoutError`. */
  readonly timeout?: number;
}

/**
 * The return value of a job: the batch's outcomes (failed positions' values
 * are `null`, as JSON has no holes). Its `ms` is about how long the batch's
 * requests took in the host's threads: the time their batches spent in a
 * worker (awaits included), averaged per request over the host's recent
 * batches of the task; what `'auto'` sizes batches by. Not the job's wall
 * time on the host, which grows with the host's load. Absent while the host
 * has no measure of the task.
 */
export type QueueJobResult = WireOutcomes;

/**
 * How a host's failed reason for a job it refused begins (the problem
 * follows): the producer ends that job's requests with `ProtocolError`
 * rather than running them again.
 */
export const JOB_REFUSED = 'rxjs-threadpool: job refused: ';

/**
 * The Redis channel a producer publishes a job's id on when it withdrew the
 * job (a cancel, a timeout, a close) while a host ran it: the host aborts
 * the signals of that job's requests (`this.signal` in their tasks).
 */
export function withdrawnChannel(prefix: string, queue: string): string {
  return `${prefix}:${queue}:rxjs-threadpool:withdrawn`;
}

/** The longest job id a host accepts on the withdrawn channel (anything else on it is ignored). */
export const MAX_JOB_ID_LENGTH = 512;

/** Default of a host's `maxJobBytes`: the largest job data (JSON, in bytes) it accepts, 16 MiB. */
export const DEFAULT_MAX_JOB_BYTES = 16 * 1024 * 1024;

/** The most a host's `maxJobBytes` may be raised to: 512 MiB, the largest string Redis stores. */
export const MAX_JOB_BYTES = 512 * 1024 * 1024;

/** Default (and most) of a host's `maxJobRequests`: the requests one job may carry, as on every boundary. */
export const DEFAULT_MAX_JOB_REQUESTS = MAX_BATCH_REQUESTS;

const jobFields = new Set(['v', 'tasks', 'args', 'spread', 'keys', 'keyRuns', 'timeout']);
const resultFields = new Set(['values', 'failures', 'ms']);

/**
 * What is wrong with a job's data before it is parsed, or `undefined`: its
 * JSON text (as Redis returned it) must be a string of at most `maxBytes`
 * bytes in UTF-8. Counted without allocating, so a huge job is refused
 * before `JSON.parse` builds it.
 */
export function jobBytesProblem(text: unknown, maxBytes: number): string | undefined {
  if (typeof text !== 'string') return undefined; // BullMQ reads a missing field as `{}`: the shape check words it.
  // A UTF-16 unit is 1 to 3 bytes in UTF-8: only a text between maxBytes / 3 and maxBytes units needs counting.
  if (text.length * 3 <= maxBytes) return undefined;
  const bytes = text.length > maxBytes ? undefined : Buffer.byteLength(text, 'utf8');
  if (bytes !== undefined && bytes <= maxBytes) return undefined;
  return `job data of ${bytes ?? `at least ${text.length}`} bytes, more than the ${maxBytes} this host accepts (its maxJobBytes, --max-job-bytes)`;
}

/**
 * What is wrong with a job's data (parsed), in words, or `undefined` when
 * it is a well-formed {@link QueueJobData} of at most `maxRequests`
 * requests: no other fields, `v` 1, the batch fields as the wire has them
 * (`batchProblem`), task names of at most 1000 characters, and `timeout`,
 * when present, a whole number of ms a timer can wait. Task names are not
 * checked against a module here: a host ends the requests of an unknown
 * task with `UnknownTaskError`, and the job completes.
 */
export function jobDataProblem(data: unknown, maxRequests: number = DEFAULT_MAX_JOB_REQUESTS): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return `job data must be an object, got ${kindOf(data)}`;
  const { v, tasks, args, spread, keys, keyRuns, timeout } = data as Record<string, unknown>;
  if (v !== 1) return `v must be 1 (the format version), got ${kindOf(v)}`;
  const extra = unknownField(data, jobFields, 'the job data');
  if (extra !== undefined) return extra;
  // Before batchProblem, which words the wire's own limit: this one is the host's.
  if (Array.isArray(args) && args.length > maxRequests) {
    return `${args.length} requests in one job, more than the ${maxRequests} this host accepts (its maxJobRequests, --max-job-requests)`;
  }
  const batch = batchProblem({ tasks, args, spread, keys, keyRuns }, maxRequests);
  if (batch !== undefined) return batch;
  for (const task of typeof tasks === 'string' ? [tasks] : (tasks as string[]))
    if (task.length > MAX_TASK_NAME_LENGTH) return `a task name of ${task.length} characters, more than ${MAX_TASK_NAME_LENGTH}`;
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TIMER_MS)) {
    return `timeout must be a whole number of ms from 1 to ${MAX_TIMER_MS}, got ${kindOf(timeout)}`;
  }
  return undefined;
}

/**
 * What is wrong with a job's return value, in words, or `undefined` when it
 * is a well-formed {@link QueueJobResult} for a job of `requests` requests:
 * an object with no fields but the outcomes', which pass the wire's
 * `outcomesProblem` (one value per request; failures at distinct
 * positions, of a known kind, with an error safe to rebuild; `ms` finite
 * and ≥ 0).
 */
export function jobResultProblem(result: unknown, requests: number): string | undefined {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return `job result must be an object, got ${kindOf(result)}`;
  return unknownField(result, resultFields, 'the job result') ?? outcomesProblem(result as OutcomeFields, requests);
}
