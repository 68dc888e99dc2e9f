/**
 * Checks of a request's transfer list before it is posted: what
 * `postMessage` would refuse for the whole message, or (a detached buffer)
 * accept in silence and deliver empty.
 *
 * @module
 */
import type { Transferable } from './transfer.js';

/** Whether a value is an ArrayBuffer, from any realm (a test runner's sandbox, another frame). */
function isArrayBuffer(value: unknown): value is ArrayBuffer {
  return Object.prototype.toString.call(value) === '[object ArrayBuffer]';
}

/**
 * Whether `buffer` was detached (transferred away): it then has no bytes,
 * and a structured clone of it throws. A detached buffer in a transfer list
 * is posted without complaint and arrives empty, so it is checked here.
 */
export function isDetached(buffer: ArrayBuffer): boolean {
  if (buffer.byteLength > 0) return false;
  try {
    structuredClone(buffer);
    return false;
  } catch {
    return true;
  }
}

/**
 * What is wrong with a request's transfer list, in words, or `undefined`
 * when every item can be moved as far as can be told without moving it.
 */
export function transferProblem(list: readonly Transferable[]): string | undefined {
  for (let i = 0; i < list.length; i++) {
    const item = list[i] as unknown;
    if (typeof item !== 'object' || item === null) return `transfer list item ${i} is ${item === null ? 'null' : typeof item}, not a transferable object`;
    if (ArrayBuffer.isView(item)) return `transfer list item ${i} is a typed array or DataView: list its .buffer`;
    if (isArrayBuffer(item) && isDetached(item))
      return `transfer list item ${i} is an ArrayBuffer that was already transferred (detached): it would arrive empty`;
  }
  return undefined;
}

/** Whether any buffer in a transfer list has been moved away (after it was sent: the worker holds it). */
export function anyDetached(list: readonly Transferable[] | undefined): boolean {
  if (!list) return false;
  for (const item of list) if (isArrayBuffer(item) && isDetached(item)) return true;
  return false;
}
