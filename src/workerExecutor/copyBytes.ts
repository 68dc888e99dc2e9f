/**
 * How many bytes a request's arguments copy into a run message, roughly:
 * what the batch wire reads to post large requests in messages of their own.
 *
 * @module
 */
import type { Transferable } from '../transfer.js';

/**
 * A run message carries requests up to about this many bytes of copied
 * arguments; a request above it travels alone. A worker can only start on
 * a message once the main thread has copied all of it: 1 MiB arrays posted
 * four to a message leave the worker waiting while the main thread copies
 * the other three, where one message each lets the worker run the first
 * while the next is copied.
 */
export const PART_BYTES = 64 * 1024;

/** Fields of an object argument looked at (an argument with more is counted by its first ones). */
const FIELDS_LOOKED_AT = 16;

/**
 * The bytes `args` copy when posted: the typed arrays, `ArrayBuffer`s,
 * `DataView`s and strings among the arguments and among their own fields
 * (one level down, the first {@link FIELDS_LOOKED_AT} of each), but not
 * buffers in `transfer` (they move) or shared ones (they are not copied).
 * Nothing deeper is walked: it is an estimate, cheap enough to run for
 * every request.
 */
export function copyBytes(args: readonly unknown[], transfer: readonly Transferable[] | undefined): number {
  let bytes = 0;
  try {
    for (let i = 0; i < args.length; i++) bytes += argBytes(args[i], transfer);
  } catch {
    // A proxy or a getter that throws: the arguments before it are counted (posting it will say what is wrong).
  }
  return bytes;
}

function argBytes(arg: unknown, transfer: readonly Transferable[] | undefined): number {
  if (typeof arg !== 'object' || arg === null || ArrayBuffer.isView(arg) || isArrayBuffer(arg)) return leafBytes(arg, transfer);
  let bytes = 0;
  if (Array.isArray(arg)) {
    for (let j = 0; j < arg.length && j < FIELDS_LOOKED_AT; j++) bytes += leafBytes(arg[j], transfer);
  } else if (Object.getPrototypeOf(arg) === Object.prototype) {
    let looked = 0;
    for (const key in arg) {
      if (looked++ === FIELDS_LOOKED_AT) break;
      bytes += leafBytes((arg as Record<string, unknown>)[key], transfer);
    }
  }
  return bytes;
}

function leafBytes(value: unknown, transfer: readonly Transferable[] | undefined): number {
  if (typeof value === 'string') return value.length;
  if (typeof value !== 'object' || value === null) return 0;
  const buffer = ArrayBuffer.isView(value) ? value.buffer : value;
  if (!isArrayBuffer(buffer) || transfer?.includes(buffer)) return 0;
  return ArrayBuffer.isView(value) ? value.byteLength : buffer.byteLength;
}

/** Whether `value` is an `ArrayBuffer` (not a shared one) of any realm: a typed array from another context has its own `ArrayBuffer`. */
function isArrayBuffer(value: unknown): value is ArrayBuffer {
  return Object.prototype.toString.call(value) === '[object ArrayBuffer]';
}
