/**
 * What the worker side takes from its runtime, in a browser: the package's
 * `browser` field puts this module in place of `platform` (Node's). Same
 * names as `platform`.
 *
 * @module
 */

/** No Node `parentPort` here: a worker talks to the page through its global scope. */
export function nodeParentPort(): undefined {
  return undefined;
}
