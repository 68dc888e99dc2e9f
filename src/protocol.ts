/**
 * The message shapes shared by the master side and the worker side.
 *
 * threads.js starts the worker (`spawn`, its init handshake) and answers
 * `tasks()`, the one function `exposeTasks` exposes through it. Requests
 * travel in our own messages on the worker's port, one listener per worker
 * on the master side: a `run` message carries a batch of requests, a `done`
 * message one outcome per request. (threads.js sends three messages per
 * call and adds a listener per call in flight.) Errors travel in our own
 * shape so their `code` and extra fields survive (threads.js's serializer
 * keeps only name, message and stack).
 *
 * Both ends check what they receive against the shapes here before acting
 * on it: the worker checks each run message (`batchProblem`), the master
 * each reply (`doneProblem`, `isProgressFor`); a queue host and producer
 * use `batchProblem` and `isSerializedError` for BullMQ jobs too. The
 * guards are written by hand rather than with a schema library: they run
 * once per batch on the hottest path (a batch of 2048 tiny requests costs
 * a loop over `args`, nothing per field), the package keeps one runtime
 * dependency, and each guard returns the reason in words for the error it
 * becomes.
 *
 * @module
 */

/** Tags of our messages. */
export const RUN = 'rxjs-threadpool:run';
export const DONE = 'rxjs-threadpool:done';
export const PROGRESS = 'rxjs-threadpool:progress';

/**
 * An error as it crosses the thread boundary: what a worker sends when a
 * task throws, and what {@link TaskError}'s constructor rebuilds its `cause`
 * from (build one to make a `TaskError` in your own tests).
 */
export interface SerializedError {
  /** The error's `name` (`'TypeError'`, …); `'NonErrorThrown'` when what was thrown was not an Error. */
  readonly name: string;
  /** The error's `message` (for a non-Error, one that quotes the thrown value as text). */
  readonly message: string;
  /** The error's `stack`, as the worker printed it. */
  readonly stack?: string;
  /** The error's `code` (Node's `'ENOENT'`, your own codes), when it had one. */
  readonly code?: string | number;
  /** The error's other own fields that could be cloned. */
  readonly props?: Readonly<Record<string, unknown>>;
  /** Set when what was thrown was not an Error. */
  readonly nonError?: {
    /** The thrown value itself when it could be cloned, else its text. */
    readonly value: unknown;
  };
}

/**
 * Master → worker: run a batch of requests, in order. Compact, because
 * structured clone costs per object: one task name when the batch has one
 * task, and each request's single argument as it is when every request has
 * exactly one (`spread: false`), else its argument list.
 */
export interface RunMessage {
  readonly type: typeof RUN;
  readonly batch: number;
  readonly tasks: string | readonly string[];
  readonly args: readonly unknown[];
  readonly spread: boolean;
  /** Someone listens for progress: post what generator tasks yield. */
  readonly progress?: true;
  /** Report the worker's heap use with the outcomes (for recycling by memory). */
  readonly memory?: true;
}

/** Worker → master, while a batch runs: a value a generator task yielded for the request at `at`. */
export interface ProgressMessage {
  readonly type: typeof PROGRESS;
  readonly batch: number;
  readonly at: number;
  readonly value: unknown;
}

/** A failed request in a {@link DoneMessage}. */
export interface WireFailure {
  /** Its position in the batch. */
  readonly at: number;
  readonly error: SerializedError;
  /** The task is unknown; these are the known ones. */
  readonly unknownTask?: readonly string[];
  /** The task's result could not be cloned back. */
  readonly uncloneable?: true;
}

/** Worker → master: the batch's results by position, and its failures (their `values` slots are empty). */
export interface DoneMessage {
  readonly type: typeof DONE;
  readonly batch: number;
  readonly values: readonly unknown[];
  readonly failures?: readonly WireFailure[];
  /** The worker's V8 heap in use after the batch, in bytes, when the run message asked for it. */
  readonly heapUsed?: number;
  /** How long the batch ran in the worker, in ms (not counting the trip to and from it). */
  readonly ms?: number;
  /** The worker refused the run message as malformed, for this reason; nothing ran. */
  readonly refused?: string;
}

/** Encodes a batch of `{ task, args }` as a {@link RunMessage}. */
export function encodeRun(
  batch: number,
  jobs: readonly { readonly task: string; readonly args: readonly unknown[] }[],
  flags?: { readonly progress?: true; readonly memory?: true },
): RunMessage {
  const first = jobs[0].task;
  let oneTask = true;
  let spread = false;
  for (let i = 0; i < jobs.length; i++) {
    if (jobs[i].task !== first) oneTask = false;
    if (jobs[i].args.length !== 1) spread = true;
  }
  return {
    type: RUN,
    batch,
    tasks: oneTask ? first : jobs.map((job) => job.task),
    args: jobs.map(spread ? (job) => job.args : (job) => job.args[0]),
    spread,
    ...flags,
  };
}

/** What `exposeTasks` exposes through threads.js `expose`. */
export interface WorkerApi {
  /** The task names, once the module's `setup` has finished (rejects with its error). */
  tasks(): string[] | Promise<string[]>;
  /** Present when the module declared a `teardown`. */
  teardown?(): Promise<void>;
}

/**
 * Whether a value looks like an error. Not `instanceof Error`: a DOMException
 * (`DataCloneError`) or an error from another realm is not one.
 */
export function isErrorLike(value: unknown): value is Error {
  return typeof value === 'object' && value !== null && typeof (value as Error).message === 'string' && typeof (value as Error).name === 'string';
}

/** Whether `value` survives a structured clone. */
export function isCloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

const standardFields = new Set(['name', 'message', 'stack', 'code']);

/** Turns anything thrown into a {@link SerializedError}, keeping `code` and cloneable extra fields. */
export function serializeError(thrown: unknown): SerializedError {
  if (isErrorLike(thrown)) {
    const code = (thrown as Error & { code?: unknown }).code;
    let props: Record<string, unknown> | undefined;
    for (const key of Object.keys(thrown)) {
      if (standardFields.has(key)) continue;
      const value = (thrown as unknown as Record<string, unknown>)[key];
      if (isCloneable(value)) (props ??= {})[key] = value;
    }
    return {
      name: thrown.name,
      message: thrown.message,
      stack: thrown.stack,
      ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
      ...(props ? { props } : {}),
    };
  }
  let text: string;
  try {
    text = typeof thrown === 'string' ? thrown : (JSON.stringify(thrown) ?? String(thrown));
  } catch {
    text = String(thrown);
  }
  return { name: 'NonErrorThrown', message: `a non-Error value was thrown: ${text}`, nonError: { value: isCloneable(thrown) ? thrown : text } };
}

/**
 * The most requests one batch may carry, on every boundary (a thread's run
 * message, a queue job): the scheduler never sends more (`'auto'` stops at
 * 2048), and a receiver refuses a batch that claims more before it
 * allocates anything for it.
 */
export const MAX_BATCH_REQUESTS = 65_536;

/** The batch fields shared by a thread's run message and a queue job's data. */
export interface BatchFields {
  readonly tasks: unknown;
  readonly args: unknown;
  readonly spread: unknown;
}

/**
 * What is wrong with a batch's `tasks`, `args` and `spread`, in words, or
 * `undefined` when they are well-formed: `args` an array of 1 to
 * `maxRequests` items (each an argument list when `spread`), `tasks` one
 * non-empty name or one per request. Checked by every receiver before it
 * touches the batch; task names are not checked against a module here (an
 * unknown name is that request's `UnknownTaskError`).
 */
export function batchProblem({ tasks, args, spread }: BatchFields, maxRequests = MAX_BATCH_REQUESTS): string | undefined {
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
  return undefined;
}

/** Whether a value has the shape of a {@link SerializedError} (what crosses a boundary as an error). */
export function isSerializedError(value: unknown): value is SerializedError {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { name, message, stack, code, props, nonError } = value as Record<string, unknown>;
  return (
    typeof name === 'string' &&
    typeof message === 'string' &&
    (stack === undefined || typeof stack === 'string') &&
    (code === undefined || typeof code === 'string' || typeof code === 'number') &&
    (props === undefined || (typeof props === 'object' && props !== null && !Array.isArray(props))) &&
    (nonError === undefined || (typeof nonError === 'object' && nonError !== null))
  );
}

/** A value's kind, for a protocol message (never its content: it may be large or hostile). */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${typeof value === 'number' || typeof value === 'boolean' ? String(value) : ''}`.trim();
}

/**
 * What is wrong with a worker's {@link DoneMessage} for a part of `count`
 * requests, in words, or `undefined` when it is well-formed: `values` one
 * slot per request, each failure at a distinct position in range with an
 * error of the {@link SerializedError} shape. The master checks every reply
 * before it settles anything.
 */
export function doneProblem(message: DoneMessage, count: number): string | undefined {
  const { values, failures, heapUsed, ms } = message;
  if (!Array.isArray(values)) return `values must be an array, got ${kindOf(values)}`;
  if (values.length !== count) return `${values.length} values for ${count} requests`;
  if (heapUsed !== undefined && (typeof heapUsed !== 'number' || !(heapUsed >= 0))) return `heapUsed must be a number of bytes, got ${kindOf(heapUsed)}`;
  if (ms !== undefined && (typeof ms !== 'number' || !(ms >= 0))) return `ms must be a duration, got ${kindOf(ms)}`;
  if (failures === undefined) return undefined;
  if (!Array.isArray(failures)) return `failures must be an array, got ${kindOf(failures)}`;
  const seen = new Set<number>();
  for (const failure of failures as unknown[]) {
    if (typeof failure !== 'object' || failure === null) return `a failure is ${kindOf(failure)}`;
    const { at, error, unknownTask } = failure as Partial<WireFailure>;
    if (typeof at !== 'number' || !Number.isInteger(at) || at < 0 || at >= count || seen.has(at))
      return `a failure's position ${kindOf(at)} is not a distinct position among ${count}`;
    seen.add(at);
    if (!isSerializedError(error)) return `the failure at ${at} carries no error of the expected shape`;
    if (unknownTask !== undefined && !(Array.isArray(unknownTask) && unknownTask.every((name) => typeof name === 'string')))
      return `the failure at ${at} lists unknown tasks that are not names`;
  }
  return undefined;
}

/** Whether a {@link ProgressMessage}'s position is one of the `count` requests it was sent. */
export function isProgressFor(message: ProgressMessage, count: number): boolean {
  return typeof message.at === 'number' && Number.isInteger(message.at) && message.at >= 0 && message.at < count;
}
