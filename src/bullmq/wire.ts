/**
 * What travels in a BullMQ job between a queue pool and a worker host: a
 * batch of requests in the job's data, one outcome per request in its return
 * value. Both are JSON (BullMQ stores jobs as JSON).
 *
 * Neither end trusts the other: anyone who can write to the queue (another
 * producer, one of an older version, someone on the Redis network) can put
 * any job there, and any worker on the queue can return anything. So each
 * message has one schema here, checked by its receiver before it touches
 * the message: {@link jobDataProblem} by a host (after
 * {@link jobBytesProblem}, before the data is even parsed), and
 * {@link jobResultProblem} by the producer. A host refuses a bad job with
 * BullMQ's `UnrecoverableError` and the reason after {@link JOB_REFUSED},
 * which the producer recognizes.
 *
 * The guards are written by hand rather than with a schema library: no
 * runtime dependency for the package (the thread protocol's
 * `batchProblem` is shared with these), they run on every job (a few
 * `typeof` checks, with no allocation while the message is well-formed),
 * and each problem is worded for the log line and the error that carry it:
 * the field, what was expected, and the kind of value found, never its
 * content (it may be large or hostile).
 *
 * @module
 */
import { MAX_TIMER_MS } from '../checks.js';
import { batchProblem, isSerializedError, kindOf, MAX_BATCH_REQUESTS, type SerializedError } from '../protocol.js';

/** The data of a job: a batch of requests, compact as the thread protocol's run message. */
export interface QueueJobData {
  /** Format version. */
  readonly v: 1;
  /** One task name when the batch has one task, else one per request. */
  readonly tasks: string | readonly string[];
  /** Each request's single argument (`spread: false`), else its argument list. */
  readonly args: readonly unknown[];
  readonly spread: boolean;
  /** The requests' `timeout` (ms): the host ends a request running longer with `TaskTimeoutError`. */
  readonly timeout?: number;
}

/** How a request failed on the host. */
export type QueueFailureKind = 'task' | 'unknown-task' | 'timeout' | 'crashed' | 'other';

/** A failed request in a {@link QueueJobResult}. */
export interface QueueFailure {
  /** Its position in the batch. */
  readonly at: number;
  readonly kind: QueueFailureKind;
  /** The task's own error (`kind: 'task'`), else the host's error. */
  readonly error: SerializedError;
  /** For `unknown-task`: the names the module exposes. */
  readonly known?: readonly string[];
}

/** The return value of a job: results by position (failed positions are `null`), the failures, and the thread time. */
export interface QueueJobResult {
  readonly values: readonly unknown[];
  readonly failures?: readonly QueueFailure[];
  /**
   * About how long the batch's requests took in the host's threads, in ms:
   * the time their batches spent in a worker (awaits included), averaged
   * per request over the host's recent batches of the task. What `'auto'`
   * sizes batches by. Not the job's wall time on the host, which grows with
   * the host's load. Absent while the host has no measure of the task.
   */
  readonly ms?: number;
}

/**
 * How a host's failed reason for a job it refused begins (the problem
 * follows): the producer ends that job's requests with `ProtocolError`
 * rather than running them again.
 */
export const JOB_REFUSED = 'rxjs-threadpool: job refused: ';

/** The longest task name a job may carry (the producer's are a module's export names). */
export const MAX_TASK_NAME_LENGTH = 1000;

/** The most task names an `unknown-task` failure may list. */
export const MAX_KNOWN_TASKS = 10_000;

/** Default of a host's `maxJobBytes`: the largest job data (JSON, in bytes) it accepts, 16 MiB. */
export const DEFAULT_MAX_JOB_BYTES = 16 * 1024 * 1024;

/** The most a host's `maxJobBytes` may be raised to: 512 MiB, the largest string Redis stores. */
export const MAX_JOB_BYTES = 512 * 1024 * 1024;

/** Default (and most) of a host's `maxJobRequests`: the requests one job may carry, as on every boundary. */
export const DEFAULT_MAX_JOB_REQUESTS = MAX_BATCH_REQUESTS;

const jobFields = new Set(['v', 'tasks', 'args', 'spread', 'timeout']);
const resultFields = new Set(['values', 'failures', 'ms']);
const failureFields = new Set(['at', 'kind', 'error', 'known']);
const failureKinds: ReadonlySet<string> = new Set<QueueFailureKind>(['task', 'unknown-task', 'timeout', 'crashed', 'other']);

/** A field name for a message, shortened (it comes from the sender). */
function fieldName(key: string): string {
  return JSON.stringify(key.length > 40 ? `${key.slice(0, 37)}...` : key);
}

/** The first own field of `value` that is not in `known`, in words. */
function unknownField(value: object, known: ReadonlySet<string>, where: string): string | undefined {
  for (const key in value) if (Object.hasOwn(value, key) && !known.has(key)) return `unknown field ${fieldName(key)} in ${where}`;
  return undefined;
}

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
 * requests: no other fields, `v` 1, the batch fields as in a thread's run
 * message (`batchProblem`), task names of at most
 * 1000 characters, and `timeout`, when present, a
 * whole number of ms a timer can wait. Task names are not checked against
 * a module here: a host ends the requests of an unknown task with
 * `UnknownTaskError`, and the job completes.
 */
export function jobDataProblem(data: unknown, maxRequests: number = DEFAULT_MAX_JOB_REQUESTS): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return `job data must be an object, got ${kindOf(data)}`;
  const { v, tasks, args, spread, timeout } = data as Record<string, unknown>;
  if (v !== 1) return `v must be 1 (the format version), got ${kindOf(v)}`;
  const extra = unknownField(data, jobFields, 'the job data');
  if (extra !== undefined) return extra;
  // Before batchProblem, which words the protocol's own limit: this one is the host's.
  if (Array.isArray(args) && args.length > maxRequests) {
    return `${args.length} requests in one job, more than the ${maxRequests} this host accepts (its maxJobRequests, --max-job-requests)`;
  }
  const batch = batchProblem({ tasks, args, spread }, maxRequests);
  if (batch !== undefined) return batch;
  if (typeof tasks === 'string') {
    if (tasks.length > MAX_TASK_NAME_LENGTH) return `a task name of ${tasks.length} characters, more than ${MAX_TASK_NAME_LENGTH}`;
  } else {
    for (const task of tasks as string[])
      if (task.length > MAX_TASK_NAME_LENGTH) return `a task name of ${task.length} characters, more than ${MAX_TASK_NAME_LENGTH}`;
  }
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TIMER_MS)) {
    return `timeout must be a whole number of ms from 1 to ${MAX_TIMER_MS}, got ${kindOf(timeout)}`;
  }
  return undefined;
}

/** Whether a value is a {@link SerializedError} that is safe to rebuild (its `props` cannot set the error's prototype). */
function isSafeError(value: unknown): value is SerializedError {
  if (!isSerializedError(value)) return false;
  const { props } = value;
  return props === undefined || !Object.hasOwn(props, '__proto__');
}

/**
 * What is wrong with a job's return value, in words, or `undefined` when it
 * is a well-formed {@link QueueJobResult} for a job of `requests` requests:
 * no other fields; `values` one item per request; `failures`, when present,
 * at most one per request, each at a distinct position, of a known kind,
 * with a serialized error (and, for `unknown-task`, the task names the
 * host knows); `ms`, when present, a finite number ≥ 0.
 */
export function jobResultProblem(result: unknown, requests: number): string | undefined {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return `job result must be an object, got ${kindOf(result)}`;
  const { values, failures, ms } = result as Record<string, unknown>;
  if (!Array.isArray(values)) return `values must be an array, got ${kindOf(values)}`;
  if (values.length !== requests) return `values has ${values.length} items for ${requests} requests`;
  const extra = unknownField(result, resultFields, 'the job result');
  if (extra !== undefined) return extra;
  if (ms !== undefined && (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)) return `ms must be a finite number ≥ 0, got ${kindOf(ms)}`;
  if (failures === undefined) return undefined;
  if (!Array.isArray(failures)) return `failures must be an array, got ${kindOf(failures)}`;
  if (failures.length > requests) return `failures has ${failures.length} items for ${requests} requests`;
  const seen = new Uint8Array(requests);
  for (let i = 0; i < failures.length; i++) {
    const failure: unknown = failures[i];
    const where = `failures[${i}]`;
    if (typeof failure !== 'object' || failure === null || Array.isArray(failure)) return `${where} must be an object, got ${kindOf(failure)}`;
    const { at, kind, error, known } = failure as Record<string, unknown>;
    if (typeof at !== 'number' || !Number.isInteger(at) || at < 0 || at >= requests)
      return `${where}.at must be a request position from 0 to ${requests - 1}, got ${kindOf(at)}`;
    if (seen[at] === 1) return `${where}.at repeats position ${at}`;
    seen[at] = 1;
    if (typeof kind !== 'string' || !failureKinds.has(kind)) return `${where}.kind must be one of ${[...failureKinds].join(', ')}, got ${kindOf(kind)}`;
    if (!isSafeError(error)) return `${where}.error must be a serialized error ({ name, message, ... }), got ${kindOf(error)}`;
    if (known !== undefined && !isNameList(known)) return `${where}.known must be an array of task names, got ${kindOf(known)}`;
    const other = unknownField(failure, failureFields, where);
    if (other !== undefined) return other;
  }
  return undefined;
}

function isNameList(value: unknown): value is string[] {
  if (!Array.isArray(value) || value.length > MAX_KNOWN_TASKS) return false;
  for (const name of value) if (typeof name !== 'string' || name.length > MAX_TASK_NAME_LENGTH) return false;
  return true;
}
