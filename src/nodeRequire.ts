/**
 * `require` for the modules this library loads lazily (`threads`, whose
 * import has side effects) or only when it runs in Node
 * (`node:worker_threads` on the worker side, which also runs in Web Workers).
 *
 * This source is the CommonJS build's: the module's own `require`. The ESM
 * build has no `require`; `scripts/build.mjs` replaces this file's ESM output
 * with `createRequire(import.meta.url)`, which resolves from the same place.
 *
 * @module
 */
export const nodeRequire: NodeJS.Require = require;
