/**
 * Text for error messages: values, foreign errors and workers, described
 * in words that read inside a sentence, whatever they are.
 *
 * @module
 */
import { isErrorLike } from '../serializedError.js';

/**
 * Describes a value for an error message: the value and its type. Total:
 * it never throws, whatever it is given (a revoked proxy, an object whose
 * getters throw, a symbol).
 */
export function describeValue(value: unknown): string {
  try {
    if (typeof value === 'string') return `"${value.length > 80 ? `${value.slice(0, 77)}...` : value}" (string)`;
    if (typeof value === 'function') return `a function`;
    if (value === null) return 'null';
    if (Array.isArray(value)) return `an array of length ${value.length}`;
    if (typeof value === 'object') return `an object`;
    return `${String(value)} (${typeof value})`;
  } catch {
    return `a ${typeof value} that cannot be inspected`;
  }
}

/**
 * Text for anything a worker, a queue or a user may hand over as an error,
 * for a message: `name: message` for an error-like value, else its text.
 * Total: null-prototype objects (on which `String()` throws), objects whose
 * `toString` or getters throw, symbols and revoked proxies all give text.
 * A final period is dropped, so the text reads inside a sentence.
 */
export function textOf(value: unknown): string {
  let text: string;
  try {
    if (isErrorLike(value)) text = `${value.name}: ${value.message}`;
    else if (typeof value === 'string') text = value;
    else if (typeof value === 'symbol') text = value.toString();
    else if (typeof value === 'object' && value !== null) text = objectText(value);
    else text = String(value);
  } catch {
    text = `(a ${typeof value} that cannot be read)`;
  }
  return text.replace(/\.+$/, '');
}

function objectText(value: object): string {
  const message = (value as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  try {
    const json = JSON.stringify(value);
    if (json !== undefined && json !== '{}') return json.length > 200 ? `${json.slice(0, 197)}...` : json;
  } catch {
    // Not JSON (a cycle, a BigInt, a getter that throws): fall through.
  }
  try {
    return String(value);
  } catch {
    return '(an object without a text form)';
  }
}

/** How a message names a worker: by the pool's number for it, when known. */
export function workerName(worker: number | undefined): string {
  return worker === undefined ? 'The worker' : `Worker #${worker}`;
}
