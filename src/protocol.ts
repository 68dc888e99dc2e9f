/**
 * Deprecated: the wire format moved to `src/wire.ts`, the thread messages to
 * `src/threads/messages.ts`. These re-exports serve `src/bullmq/` and its
 * tests until they import from there; then this file is deleted.
 *
 * @module
 */

/** @deprecated moved to src/wire.ts; removed once src/bullmq uses it */
export { batchProblem } from './wire.js';
/** @deprecated moved to src/wire.ts; removed once src/bullmq uses it */
export { isSerializedError } from './wire.js';
/** @deprecated moved to src/wire.ts; removed once src/bullmq uses it */
export { kindOf } from './wire.js';
/** @deprecated moved to src/wire.ts; removed once src/bullmq uses it */
export { MAX_BATCH_REQUESTS } from './wire.js';
/** @deprecated moved to src/wire.ts; removed once src/bullmq uses it */
export type { SerializedError } from './wire.js';
/** @deprecated moved to src/wire.ts; removed once src/bullmq uses it */
export { serializeError } from './wire.js';
/** @deprecated moved to src/threads/messages.ts (the queue's job data: `encodeBatch` in src/wire.ts); removed once src/bullmq uses it */
export { encodeRun } from './threads/messages.js';
