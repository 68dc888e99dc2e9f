/**
 * Which runtime the library runs in: Node, or a browser (main thread or Web
 * Worker). Node-only modules are loaded only when this says Node, so that a
 * browser bundle never runs them.
 *
 * @module
 */

/** Whether this is Node (a bundler's `process` shim has no `versions.node`). */
export function onNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}
