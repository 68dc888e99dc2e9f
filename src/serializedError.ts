/**
 * An error as it crosses a boundary (a thread's message, a queue job's
 * result): its shape, how anything thrown becomes one, and the guard that
 * checks one received.
 *
 * Its own module, below `errors.ts` (which rebuilds errors from this shape)
 * and `wire.ts` (which builds typed errors from failures): everyone else
 * imports these names from `wire.ts`, which re-exports them.
 *
 * @module
 */

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
 * Whether a value has the shape of a {@link SerializedError} and is safe to
 * rebuild: its `props` (assigned onto the rebuilt error) have no own
 * `__proto__`, which would set the error's prototype.
 */
export function isSerializedError(value: unknown): value is SerializedError {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { name, message, stack, code, props, nonError } = value as Record<string, unknown>;
  return (
    typeof name === 'string' &&
    typeof message === 'string' &&
    (stack === undefined || typeof stack === 'string') &&
    (code === undefined || typeof code === 'string' || typeof code === 'number') &&
    (props === undefined || (typeof props === 'object' && props !== null && !Array.isArray(props) && !Object.hasOwn(props, '__proto__'))) &&
    (nonError === undefined || (typeof nonError === 'object' && nonError !== null))
  );
}
