/**
 * `rxjs-threadpool/bullmq`: pools that run across machines on a BullMQ
 * queue (Redis). Needs the optional peer dependencies `bullmq` and
 * `ioredis`; nothing else in the package imports them.
 *
 * - Producer: `createQueuePool<Tasks>({ connection, queue })`, used by
 *   `poolMap` and `ThreadPool` like any pool.
 * - Hosts: `serveTasks(workerModule, { connection, queue, threads })`, or
 *   the `rxjs-threadpool-serve` bin.
 *
 * Neither end trusts the other: hosts check every job's data, producers
 * every job's result, against one schema (see docs/scaling-out.md, on what
 * the queue trusts).
 *
 * @module rxjs-threadpool/bullmq
 */
export { createQueuePool, type QueuePoolOptions } from './createQueuePool.js';
export { serveTasks, type ServeOptions, type TaskServer } from './serveTasks.js';
export type { QueueConnection, QueueConnectionOptions } from './connection.js';
export type { QueueBackoff } from './JobAdder.js';
export { ProtocolError, QueueConnectionError } from '../errors.js';
