/**
 * The one wire format for batches and their outcomes, shared by every
 * transport: how a batch of requests travels, how its outcomes come back,
 * how a failure is encoded and decoded, and the guards a receiver checks
 * what it got with.
 *
 * How each transport uses it:
 *
 * - Threads (`src/threads/`, `src/worker/`): the master's run message
 *   carries {@link encodeBatch}'s fields (`src/messages.ts` adds
 *   its envelope: type, batch id, flags); the worker checks them with
 *   {@link batchProblem}, encodes each failure with {@link taskFailure},
 *   {@link unknownTaskFailure} or {@link uncloneableFailure}, and replies
 *   with {@link WireOutcomes} in its done message; the master checks the
 *   reply with {@link outcomesProblem} (after its envelope) and turns each
 *   failure into a typed error with {@link decodeFailure}.
 * - A queue (`src/bullmq/`): the producer puts {@link encodeBatch}'s fields
 *   in the job's data (with its own envelope: `v`, `timeout`); a host checks
 *   them with {@link batchProblem}, runs them on a thread pool, where each
 *   request ends with a typed error, encodes those with {@link failureOf},
 *   and returns {@link WireOutcomes} as the job's result; the producer checks
 *   it with {@link outcomesProblem} (after refusing unknown fields) and
 *   decodes it with {@link decodeOutcomes}.
 *
 * The guards are written by hand rather than with a schema library: they run
 * once per batch on the hottest path (a well-formed reply costs a few
 * `typeof` checks and no allocation), the package keeps one runtime
 * dependency, and each returns the reason in words, for the error it
 * becomes: the field, what was expected and the kind of value found, never
 * its content (it may be large or hostile).
 *
 * @module
 */
import { DataCloneError, errorFromRemote, type FailureError, TaskError, TaskTimeoutError, UnknownTaskError, WorkerCrashedError } from './errors.js';
import type { BatchOutcomes } from './executor.js';
import { isKey, type Key } from './keys.js';
import { isSerializedError, type SerializedError, serializeError } from './serializedError.js';

// The error shape is kept below errors.ts (which rebuilds errors from it); it is part of this format.
export { isCloneable, isErrorLike, isSerializedError, type SerializedError, serializeError } from './serializedError.js';

/**
 * The most requests one batch may carry, on every boundary (a thread's run
 * message, a queue job): the scheduler never sends more (`'auto'` stops at
 * 2048), and a receiver refuses a batch that claims more before it
 * allocates anything for it.
 */
export const MAX_BATCH_REQUESTS = 65_536;

/** The most task names an `unknown-task` failure may list. */
export const MAX_KNOWN_TASKS = 10_000;

/** The longest task name a failure may list (a module's export names). */
export const MAX_TASK_NAME_LENGTH = 1000;

/**
 * A batch as it travels. Compact, because structured clone and JSON cost per
 * object: one task name when the batch has one task, and each request's
 * single argument as it is when every request has exactly one (`spread:
 * false`), else its argument list.
 */
export interface EncodedBatch {
  readonly tasks: string | readonly string[];
  readonly args: readonly unknown[];
  readonly spread: boolean;
  /**
   * In a keyed batch, its keys by runs: requests `0 … keyRuns[0] − 1` have
   * key `keys[0]`, the next `keyRuns[1]` key `keys[1]`, and so on (a batch
   * carries each key's requests side by side, so a key travels once per
   * run, not once per request; the task reads it as `this.key`).
   */
  readonly keys?: readonly Key[];
  /** How many requests each of `keys` has, in order; present exactly when `keys` is. */
  readonly keyRuns?: readonly number[];
}

/** A request as the wire encodes it. */
export interface WireJob {
  readonly task: string;
  readonly args: readonly unknown[];
  readonly key?: Key;
}

/** Encodes a batch of `{ task, args, key? }` (at least one) as an {@link EncodedBatch}. */
export function encodeBatch(jobs: readonly WireJob[]): EncodedBatch {
  const first = jobs[0].task;
  let oneTask = true;
  let spread = false;
  for (let i = 0; i < jobs.length; i++) {
    if (jobs[i].task !== first) oneTask = false;
    if (jobs[i].args.length !== 1) spread = true;
  }
  const encoded = {
    tasks: oneTask ? first : jobs.map((job) => job.task),
    args: jobs.map(spread ? (job) => job.args : (job) => job.args[0]),
    spread,
  };
  if (jobs[0].key === undefined) return encoded;
  const keys: Key[] = [];
  const keyRuns: number[] = [];
  for (let i = 0; i < jobs.length; i++) {
    const key = jobs[i].key!;
    if (i > 0 && key === keys[keys.length - 1]) keyRuns[keyRuns.length - 1]++;
    else {
      keys.push(key);
      keyRuns.push(1);
    }
  }
  return { ...encoded, keys, keyRuns };
}

/** Each request's key of a keyed batch (checked by {@link batchProblem}), by position; `undefined` for a batch without keys. */
export function keysOf({ keys, keyRuns, args }: EncodedBatch): Key[] | undefined {
  return keys && keyRuns ? expandKeyRuns(keys, keyRuns, args.length) : undefined;
}

/** Keys by runs (checked: the runs add up to `count`), one per position. */
export function expandKeyRuns(keys: readonly Key[], keyRuns: readonly number[], count: number): Key[] {
  const each = new Array<Key>(count);
  let at = 0;
  for (let run = 0; run < keys.length; run++) for (let n = 0; n < keyRuns[run]; n++) each[at++] = keys[run];
  return each;
}

/** The batch fields of a received message, not yet checked. */
export interface BatchFields {
  readonly tasks: unknown;
  readonly args: unknown;
  readonly spread: unknown;
  readonly keys?: unknown;
  readonly keyRuns?: unknown;
}

/**
 * What is wrong with a batch's `tasks`, `args` and `spread`, in words, or
 * `undefined` when they are well-formed: `args` an array of 1 to
 * `maxRequests` items (each an argument list when `spread`), `tasks` one
 * non-empty name or one per request, `keys` and `keyRuns` (both or
 * neither) one key and one positive count per run, the counts adding up to
 * the requests. Checked by every receiver before it
 * touches the batch; task names are not checked against a module here (an
 * unknown name is that request's `UnknownTaskError`).
 */
export function batchProblem({ tasks, args, spread, keys, keyRuns }: BatchFields, maxRequests = MAX_BATCH_REQUESTS): string | undefined {
  if (!Array.isArray(args)) return `args must be an array, got ${kindOf(args)}`;
  if (args.length === 0) return 'args is empty (a batch has at least one request)';
  if (args.length > maxRequests) return `${args.length} requests in one batch, more than the ${maxRequests} accepted`;
  if (typeof spread !== 'boolean') return `spread must be a boolean, got ${kindOf(spread)}`;
  if (typeof tasks === 'string') {
    if (tasks === '') return 'tasks is an empty name';
  } else if (Array.isArray(tasks)) {
    if (tasks.length !== args.length) return `tasks names ${tasks.length} tasks for ${args.length} requests`;
    for (let i = 0; i < tasks.length; i++)
      if (typeof tasks[i] !== 'string' || tasks[i] === '') return `tasks[${i}] must be a task name, got ${kindOf(tasks[i])}`;
  } else {
    return `tasks must be a task name or an array of them, got ${kindOf(tasks)}`;
  }
  if (spread)
    for (let i = 0; i < args.length; i++) if (!Array.isArray(args[i])) return `args[${i}] must be an argument list (spread is true), got ${kindOf(args[i])}`;
  if (keys === undefined && keyRuns === undefined) return undefined;
  if (!Array.isArray(keys)) return `keys must be an array (with keyRuns), got ${kindOf(keys)}`;
  if (!Array.isArray(keyRuns)) return `keyRuns must be an array (with keys), got ${kindOf(keyRuns)}`;
  if (keys.length !== keyRuns.length) return `keys has ${keys.length} items for ${keyRuns.length} runs`;
  let requests = 0;
  for (let i = 0; i < keys.length; i++) {
    if (!isKey(keys[i])) return `keys[${i}] must be a string or a finite number, got ${kindOf(keys[i])}`;
    const run: unknown = keyRuns[i];
    if (typeof run !== 'number' || !Number.isInteger(run) || run < 1) return `keyRuns[${i}] must be a count of requests (1 or more), got ${kindOf(run)}`;
    requests += run;
    if (requests > args.length) break;
  }
  if (requests !== args.length) return `keyRuns count ${requests > args.length ? 'more' : 'fewer'} requests than the ${args.length} of the batch`;
  return undefined;
}

/**
 * How a request failed where it ran: its task threw (`task`), the module has
 * no such task (`unknown-task`), its result could not travel back
 * (`uncloneable`), it ran past its timeout (`timeout`), its worker died
 * (`crashed`), or anything else a host reports (`other`).
 */
export type FailureKind = 'task' | 'unknown-task' | 'uncloneable' | 'timeout' | 'crashed' | 'other';

const failureKinds: ReadonlySet<string> = new Set<FailureKind>(['task', 'unknown-task', 'uncloneable', 'timeout', 'crashed', 'other']);

/** A failed request among a batch's outcomes. */
export interface WireFailure {
  /** Its position in the batch. */
  readonly at: number;
  readonly kind: FailureKind;
  /** The task's own error (`kind: 'task'`), else the error where it ran. */
  readonly error: SerializedError;
  /** For `unknown-task`: the names the module exposes. */
  readonly known?: readonly string[];
}

/**
 * A batch's outcomes as they travel (a thread's done message, a queue job's
 * result): results by position (a failed position's value is empty), the
 * failures in position order, and how long the batch ran where it ran (ms).
 */
export interface WireOutcomes {
  readonly values: readonly unknown[];
  readonly failures?: readonly WireFailure[];
  /** The time the batch's requests took where they ran (ms), without the trips to and from it. */
  readonly ms?: number;
}

/** Worker side: the task at `at` threw (or rejected with) `thrown`. */
export function taskFailure(at: number, thrown: unknown): WireFailure {
  return { at, kind: 'task', error: serializeError(thrown) };
}

/** Worker side: the module has no task `task`; `known` are the names it has. */
export function unknownTaskFailure(at: number, task: string, known: readonly string[]): WireFailure {
  return { at, kind: 'unknown-task', error: { name: 'UnknownTaskError', message: `unknown task "${task}"` }, known };
}

/** Worker side: the result at `at` cannot be sent back, for the reason `error`. */
export function uncloneableFailure(at: number, error: unknown): WireFailure {
  return { at, kind: 'uncloneable', error: serializeError(error) };
}

/**
 * Host side: a request that ended with a typed error, encoded. A task's
 * error travels as the task threw it; a `DataCloneError` keeps its `what`
 * and `position` in `props`, a `TaskTimeoutError` its `timeout`.
 */
export function failureOf(at: number, error: FailureError): WireFailure {
  if (error instanceof TaskError) {
    const serialized = serializeError(error.cause);
    return { at, kind: 'task', error: error.thrown ? { ...serialized, nonError: error.thrown } : serialized };
  }
  if (error instanceof UnknownTaskError) return { at, kind: 'unknown-task', error: serializeError(error), known: error.known };
  if (error instanceof DataCloneError) return { at, kind: 'uncloneable', error: serializeError(error) };
  if (error instanceof TaskTimeoutError) return { at, kind: 'timeout', error: serializeError(error) };
  if (error instanceof WorkerCrashedError) return { at, kind: 'crashed', error: serializeError(error) };
  return { at, kind: 'other', error: serializeError(error) };
}

/**
 * The typed error of a failure (checked by {@link outcomesProblem}) for the
 * request `job` it names; `worker` is the pool's number for the worker it
 * ran on, when known.
 */
export function decodeFailure(job: { readonly id: number; readonly task: string }, failure: WireFailure, worker?: number): FailureError {
  const { error } = failure;
  switch (failure.kind) {
    case 'task':
      return new TaskError(job.task, job.id, error);
    case 'unknown-task':
      return new UnknownTaskError(job.task, failure.known ?? []);
    case 'uncloneable': {
      const { what, position } = error.props ?? {};
      return new DataCloneError(
        job.id,
        what === 'arguments' ? 'arguments' : 'result',
        errorFromRemote(error),
        typeof position === 'number' ? position : undefined,
      );
    }
    case 'timeout':
      return new TaskTimeoutError(job.task, job.id, Number(error.props?.timeout) || 0, worker);
    case 'crashed':
      return new WorkerCrashedError(job.id, `crashed on its worker host (${error.message})`, undefined, worker);
    default:
      // A DataCloneError from a host that reports it as `other`: its `what` and `position` travel in props.
      if (error.code === 'ERR_DATA_CLONE') {
        const { what, position } = error.props ?? {};
        return new DataCloneError(job.id, what === 'arguments' ? 'arguments' : 'result', error, typeof position === 'number' ? position : undefined);
      }
      return new TaskError(job.task, job.id, error);
  }
}

/** A batch's outcomes (checked by {@link outcomesProblem}) as the executor seam takes them: failures by position, typed. */
export function decodeOutcomes(jobs: readonly { readonly id: number; readonly task: string }[], { values, failures }: WireOutcomes): BatchOutcomes {
  if (!failures || failures.length === 0) return { values };
  const errors = new Array<FailureError | undefined>(jobs.length);
  for (const failure of failures) errors[failure.at] = decodeFailure(jobs[failure.at], failure);
  return { values, errors };
}

/** The outcome fields of a received message, not yet checked. */
export interface OutcomeFields {
  readonly values: unknown;
  readonly failures?: unknown;
  readonly ms?: unknown;
}

const failureFields = new Set(['at', 'kind', 'error', 'known']);

/**
 * What is wrong with a batch's outcomes for `count` requests, in words, or
 * `undefined` when they are well-formed {@link WireOutcomes}: `values` one
 * item per request; `failures`, when present, at most one per request, each
 * at a distinct position, of a known kind, with a serialized error that is
 * safe to rebuild, the task names for `known`, and no other fields; `ms`,
 * when present, a finite number ≥ 0. Each transport checks its own envelope
 * (a thread message's tag and id, a job result's other fields) itself.
 */
export function outcomesProblem({ values, failures, ms }: OutcomeFields, count: number): string | undefined {
  if (!Array.isArray(values)) return `values must be an array, got ${kindOf(values)}`;
  if (values.length !== count) return `values has ${values.length} items for ${count} requests`;
  if (ms !== undefined && (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)) return `ms must be a finite number ≥ 0, got ${kindOf(ms)}`;
  if (failures === undefined) return undefined;
  if (!Array.isArray(failures)) return `failures must be an array, got ${kindOf(failures)}`;
  if (failures.length > count) return `failures has ${failures.length} items for ${count} requests`;
  const seen = new Uint8Array(count);
  for (let i = 0; i < failures.length; i++) {
    const failure: unknown = failures[i];
    const where = `failures[${i}]`;
    if (typeof failure !== 'object' || failure === null || Array.isArray(failure)) return `${where} must be an object, got ${kindOf(failure)}`;
    const { at, kind, error, known } = failure as Record<string, unknown>;
    if (typeof at !== 'number' || !Number.isInteger(at) || at < 0 || at >= count)
      return `${where}.at must be a request position from 0 to ${count - 1}, got ${kindOf(at)}`;
    if (seen[at] === 1) return `${where}.at repeats position ${at}`;
    seen[at] = 1;
    if (typeof kind !== 'string' || !failureKinds.has(kind)) return `${where}.kind must be one of ${[...failureKinds].join(', ')}, got ${kindOf(kind)}`;
    if (!isSerializedError(error)) return `${where}.error must be a serialized error ({ name, message, ... }), got ${kindOf(error)}`;
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

/** The first own field of `value` that is not in `known`, in words (the name shortened: it comes from the sender). */
export function unknownField(value: object, known: ReadonlySet<string>, where: string): string | undefined {
  for (const key in value) {
    if (Object.hasOwn(value, key) && !known.has(key)) return `unknown field ${JSON.stringify(key.length > 40 ? `${key.slice(0, 37)}...` : key)} in ${where}`;
  }
  return undefined;
}

/** A value's kind, for a protocol message (never its content: it may be large or hostile). */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${typeof value === 'number' || typeof value === 'boolean' ? String(value) : ''}`.trim();
}

/**
 * Stream tasks (`poolPipe`): a keyed pipeline's requests are fed, in order,
 * to an instance of the task's operator per key in the worker that owns
 * the key; the instances' outputs and ends travel back on their own. A run
 * message of such a pipeline carries {@link StreamRun}; a worker answers it
 * as any batch (each fed value's outcome is only whether it was fed), and
 * posts {@link StreamOutputFields} and {@link StreamEndedFields} as the
 * instances emit and end; the master posts {@link StreamCloseFields} to
 * complete or cancel them.
 */
export type { StreamRun } from './streamRun.js';

/** Worker → master: values the instances of a session emitted, in order, with each one's key (by runs, as a batch's keys). */
export interface StreamOutputFields {
  readonly session: number;
  readonly keys: readonly Key[];
  readonly keyRuns: readonly number[];
  readonly values: readonly unknown[];
}

/**
 * Worker → master: the instance of `key` ended: its output completed, or it
 * failed with `error` (after every value it emitted). Without `key`: the
 * session drained here (every instance of it has ended, after a close
 * without keys).
 */
export interface StreamEndedFields {
  readonly session: number;
  readonly key?: Key;
  readonly error?: SerializedError;
}

/** Master → worker: complete the inputs of the instances of `keys` (all the session's when absent), so they flush and end; or, with `cancel`, unsubscribe every one. */
export interface StreamCloseFields {
  readonly session: number;
  readonly keys?: readonly Key[];
  readonly cancel?: true;
}

/** The most outputs one output message may carry (a worker flushes far fewer at a time). */
export const MAX_STREAM_OUTPUTS = 1_000_000;

const isSession = (session: unknown): session is number => typeof session === 'number' && Number.isInteger(session) && session > 0;

/** What is wrong with a run message's `stream` field, in words, or `undefined` (the worker checks it). */
export function streamRunProblem(stream: unknown): string | undefined {
  if (typeof stream !== 'object' || stream === null || Array.isArray(stream)) return `stream must be an object, got ${kindOf(stream)}`;
  const { session, idle, unkeyed } = stream as Record<string, unknown>;
  if (!isSession(session)) return `stream.session must be a session number, got ${kindOf(session)}`;
  if (idle !== undefined && (typeof idle !== 'number' || !Number.isInteger(idle) || idle < 1 || idle > 2 ** 31 - 1))
    return `stream.idle must be a whole number of ms from 1 to 2147483647, got ${kindOf(idle)}`;
  if (unkeyed !== undefined && unkeyed !== true) return `stream.unkeyed must be true when present, got ${kindOf(unkeyed)}`;
  return undefined;
}

/** What is wrong with a stream output message's fields, in words, or `undefined` (the master checks it). */
export function streamOutputProblem({
  session,
  keys,
  keyRuns,
  values,
}: Partial<Record<'session' | 'keys' | 'keyRuns' | 'values', unknown>>): string | undefined {
  if (!isSession(session)) return `session must be a session number, got ${kindOf(session)}`;
  if (!Array.isArray(values)) return `values must be an array, got ${kindOf(values)}`;
  if (values.length === 0 || values.length > MAX_STREAM_OUTPUTS) return `values has ${values.length} items (1 to ${MAX_STREAM_OUTPUTS} accepted)`;
  if (keys === undefined) return 'keys must be an array (with keyRuns), got undefined';
  return batchProblem({ tasks: 'stream', args: values, spread: false, keys, keyRuns }, MAX_STREAM_OUTPUTS);
}

/** What is wrong with a stream ended message's fields, in words, or `undefined` (the master checks it). */
export function streamEndedProblem({ session, key, error }: Partial<Record<'session' | 'key' | 'error', unknown>>): string | undefined {
  if (!isSession(session)) return `session must be a session number, got ${kindOf(session)}`;
  if (key !== undefined && !isKey(key)) return `key must be a string or a finite number, got ${kindOf(key)}`;
  if (error !== undefined && (key === undefined || !isSerializedError(error)))
    return `error must be a serialized error of a key's instance, got ${kindOf(error)}`;
  return undefined;
}

/** What is wrong with a stream close message's fields, in words, or `undefined` (the worker checks it). */
export function streamCloseProblem({ session, keys, cancel }: Partial<Record<'session' | 'keys' | 'cancel', unknown>>): string | undefined {
  if (!isSession(session)) return `session must be a session number, got ${kindOf(session)}`;
  if (cancel !== undefined && cancel !== true) return `cancel must be true when present, got ${kindOf(cancel)}`;
  if (keys === undefined) return undefined;
  if (!Array.isArray(keys)) return `keys must be an array, got ${kindOf(keys)}`;
  for (let i = 0; i < keys.length; i++) if (!isKey(keys[i])) return `keys[${i}] must be a string or a finite number, got ${kindOf(keys[i])}`;
  return undefined;
}
