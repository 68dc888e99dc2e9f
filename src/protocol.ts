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
 * @module
 */

/** Tags of our messages. */
export const RUN = 'rxjs-threadpool:run';
export const DONE = 'rxjs-threadpool:done';

/** An error as it crosses the thread boundary. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly code?: string | number;
  /** The error's other own fields that could be cloned. */
  readonly props?: Readonly<Record<string, unknown>>;
  /** Set when what was thrown was not an Error: the thrown value itself, when it could be cloned. */
  readonly nonError?: { readonly value: unknown };
}

/** One request on the wire: the task's name and its arguments. */
export type WireJob = readonly [task: string, args: readonly unknown[]];

/** One request's outcome on the wire. */
export type WireOutcome =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      readonly error: SerializedError;
      /** The task is unknown; these are the known ones. */
      readonly unknownTask?: readonly string[];
      /** The task's result could not be cloned back. */
      readonly uncloneable?: true;
    };

/** Master → worker: run these jobs, in order. */
export interface RunMessage {
  readonly type: typeof RUN;
  readonly batch: number;
  readonly jobs: readonly WireJob[];
}

/** Worker → master: the outcomes of a batch, in order. */
export interface DoneMessage {
  readonly type: typeof DONE;
  readonly batch: number;
  readonly outcomes: readonly WireOutcome[];
}

/** What `exposeTasks` exposes through threads.js `expose`. */
export interface WorkerApi {
  tasks(): string[];
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
    text = typeof thrown === 'string' ? thrown : JSON.stringify(thrown) ?? String(thrown);
  } catch {
    text = String(thrown);
  }
  return { name: 'NonErrorThrown', message: `a non-Error value was thrown: ${text}`, nonError: { value: isCloneable(thrown) ? thrown : text } };
}
