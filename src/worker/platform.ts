/**
 * What the worker side takes from its runtime, in Node: the thread's port
 * to the main thread. The package's `browser` field swaps this module for
 * `platform.browser`, so a worker bundle holds no Node module; the two
 * export the same names.
 *
 * @module
 */
import { parentPort } from 'node:worker_threads';

/** Node's `parentPort`: `null` on the main thread (in a browser, `undefined`). */
export function nodeParentPort(): typeof parentPort | undefined {
  return parentPort;
}
