/**
 * `poolMap`'s options, checked in one place, when `poolMap` is called: every
 * option (unknown names too, with the name a user of `mergeMap` or of
 * another pool most likely meant), each bad value named with what was
 * expected. What comes out is what a subscription needs, with its defaults.
 *
 * @module
 */
import { checkInteger, checkKnownKeys, checkOptionsObject, checkTimeout, type OptionAliases } from '../../src/checks.js';
import { InvalidOptionError } from '../../src/errors.js';
import { MAX_BATCH_REQUESTS } from '../../src/wire.js';
import type { BatchSize } from '../../src/scheduler/batchSizing.js';
import { OVERFLOW_POLICIES, type PipelineOptions, type QueueBound } from '../../src/scheduler/pipeline.js';
import type { Key } from '../../src/keys.js';
import type { Transferable } from '../../src/transfer.js';

/** The most outcomes `ordered: true` holds back. */
const DEFAULT_ORDERED_BUFFER = 1000;
const CANCEL_MODES = ['abandon', 'terminate'] as const;
const OPTION_NAMES = [
  'batch',
  'ordered',
  'transfer',
  'key',
  'rerunOnCrash',
  'queue',
  'timeout',
  'cancel',
  'cancelGrace',
  'signal',
  'progress',
  'priority',
  'name',
] as const;

const concurrencyHint =
  'A pipeline runs as many requests at once as the pool has workers (× tasksPerWorker): size the pool with createPool({ size }), or resize it with createWorkers/dismissWorkers.';

/** What users of mergeMap and of the peers' pools type first, and what it is here. */
const OPTION_ALIASES: OptionAliases = {
  batchSize: 'batch',
  batching: 'batch',
  order: 'ordered',
  preserveOrder: 'ordered',
  ordering: 'ordered',
  keyBy: 'key',
  keyOf: 'key',
  groupBy: 'key',
  partitionKey: 'key',
  affinity: 'key',
  transferList: 'transfer',
  transferables: 'transfer',
  retry: 'rerunOnCrash',
  retries: 'rerunOnCrash',
  rerun: 'rerunOnCrash',
  queueSize: 'queue',
  maxQueue: 'queue',
  timeoutMs: 'timeout',
  taskTimeout: 'timeout',
  abortSignal: 'signal',
  onProgress: 'progress',
  concurrency: concurrencyHint,
  concurrent: concurrencyHint,
};

/** A `transfer` option: the transferables among a request's arguments. */
export type TransferCallback = (...args: never) => readonly Transferable[];

/** A `key` option: a request's key, from its arguments. */
export type KeyCallback = (...args: never) => Key;

/** A `priority` option as a function: a request's priority, from its arguments. */
export type PriorityCallback = (...args: never) => number;

/** `poolMap`'s options, checked and with their defaults: what one subscription of it needs. */
export interface ResolvedPoolMapOptions {
  /** What the pipeline on the pool is opened with (batching, reruns, timeout, cancel, priority, name). */
  readonly pipeline: PipelineOptions;
  /** The `transfer` option, when given. */
  readonly transfer: TransferCallback | undefined;
  /** The `key` option, when given. */
  readonly key: KeyCallback | undefined;
  /** The `priority` option, when it is a function. */
  readonly priorityOf: PriorityCallback | undefined;
  /** The `queue` option: its bound and overflow policy, when given (the pipeline applies it to a pushing source). */
  readonly queue: QueueBound | undefined;
  /** The most outcomes ordered output holds back; 0 when output is not ordered. */
  readonly orderedBuffer: number;
  /** The `signal` option, when given. */
  readonly signal: AbortSignal | undefined;
  /** Whether progress items are emitted. */
  readonly progress: boolean;
}

/**
 * Checks `poolMap`'s options (whatever was passed: this is the door, so
 * plain JavaScript may pass anything) and gives them with their defaults.
 *
 * @throws InvalidOptionError for the first bad or unknown option.
 */
export function resolvePoolMapOptions(options: unknown): ResolvedPoolMapOptions {
  const given: Readonly<Record<string, unknown>> = checkOptionsObject('poolMap options', options as Record<string, unknown> | undefined);
  checkKnownKeys('the poolMap options', given, OPTION_NAMES, OPTION_ALIASES);
  const {
    batch = 'auto',
    ordered = false,
    transfer,
    key,
    rerunOnCrash = true,
    queue,
    timeout,
    cancel = 'abandon',
    cancelGrace,
    signal,
    progress = false,
    priority = 0,
    name,
  } = given;
  if (name !== undefined && typeof name !== 'string') throw new InvalidOptionError('name', name, 'a string');
  if (typeof progress !== 'boolean') throw new InvalidOptionError('progress', progress, 'a boolean');
  const priorityOf = typeof priority === 'function' ? (priority as PriorityCallback) : undefined;
  if (!priorityOf && (typeof priority !== 'number' || !Number.isFinite(priority)))
    throw new InvalidOptionError('priority', priority, "a finite number, or a function of the arguments returning the request's priority");
  if (priorityOf && key !== undefined)
    throw new InvalidOptionError(
      'priority',
      priority,
      "a number with key (a key's requests run in the order they came; a priority per request would reorder them)",
    );
  if (timeout !== undefined) checkTimeout('timeout', timeout);
  if (cancelGrace !== undefined) checkTimeout('cancelGrace', cancelGrace);
  const cancelMode = oneOf('cancel', cancel, CANCEL_MODES);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidOptionError('signal', signal, 'an AbortSignal');
  const queueBound = queue === undefined ? undefined : resolveQueue(queue);
  const batchSize: BatchSize = batch === 'auto' ? batch : checkInteger('batch', batch, 1, MAX_BATCH_REQUESTS);
  const orderedBuffer = resolveOrdered(ordered);
  if (transfer !== undefined && typeof transfer !== 'function')
    throw new InvalidOptionError('transfer', transfer, 'a function of the arguments returning their transferables');
  if (key !== undefined && typeof key !== 'function')
    throw new InvalidOptionError('key', key, "a function of the arguments returning the request's key (a string or a number)");
  if (typeof rerunOnCrash !== 'boolean') throw new InvalidOptionError('rerunOnCrash', rerunOnCrash, 'a boolean');
  return {
    pipeline: {
      batch: batchSize,
      rerunOnCrash,
      ...(timeout === undefined ? {} : { timeout: timeout as number }),
      ...(cancelGrace === undefined ? {} : { cancelGrace: cancelGrace as number }),
      ...(cancelMode === 'terminate' ? { cancel: cancelMode } : {}),
      ...(priorityOf ? { ranked: true } : priority !== 0 ? { priority: priority as number } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(key !== undefined ? { keyed: true } : {}),
    },
    transfer: transfer as TransferCallback | undefined,
    key: key as KeyCallback | undefined,
    priorityOf,
    queue: queueBound,
    orderedBuffer,
    signal,
    progress,
  };
}

/** The `queue` option: `{ size, overflow }`, checked, overflow `'error'` by default. */
export function resolveQueue(queue: unknown): QueueBound {
  const given: Readonly<Record<string, unknown>> = checkOptionsObject('queue', queue as Record<string, unknown>);
  checkKnownKeys('the queue options', given, ['size', 'overflow'], { maxSize: 'size', limit: 'size', policy: 'overflow', strategy: 'overflow' });
  const size = checkInteger('queue.size', given.size, 1);
  return { size, overflow: oneOf('queue.overflow', given.overflow ?? 'error', OVERFLOW_POLICIES) };
}

/** The `ordered` option as the bound of the reorder buffer: 0 for `false`. */
function resolveOrdered(ordered: unknown): number {
  if (typeof ordered === 'object' && ordered !== null && !Array.isArray(ordered)) {
    checkKnownKeys('the ordered options', ordered, ['buffer'], { size: 'buffer', max: 'buffer' });
    return checkInteger('ordered.buffer', (ordered as { buffer?: unknown }).buffer, 1);
  }
  if (ordered === true) return DEFAULT_ORDERED_BUFFER;
  if (ordered === false) return 0;
  throw new InvalidOptionError('ordered', ordered, 'a boolean or { buffer: n }');
}

/** `value` when it is one of `allowed`; else throws, listing them. */
function oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(value)) throw new InvalidOptionError(option, value, `one of ${allowed.map((each) => `'${each}'`).join(', ')}`);
  return value as T;
}
