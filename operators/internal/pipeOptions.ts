/**
 * `poolPipe`'s options, checked in one place when `poolPipe` is called, as
 * `poolMap`'s are (`options.ts`): unknown names refused with the option
 * most likely meant, each bad value named with what was expected.
 *
 * @module
 */
import { checkInteger, checkKnownKeys, checkOptionsObject, checkTimeout } from '../../src/checks.js';
import { InvalidOptionError } from '../../src/errors.js';
import type { BatchSize } from '../../src/scheduler/batchSizing.js';
import type { PipelineOptions, QueueBound } from '../../src/scheduler/pipeline.js';
import { MAX_BATCH_REQUESTS } from '../../src/wire.js';
import { type KeyCallback, resolveQueue } from './options.js';

const OPTION_NAMES = ['key', 'keyIdleTimeout', 'maxKeys', 'batch', 'queue', 'signal', 'priority', 'name'] as const;

/** What users of groupBy and of poolMap type first, and what it is here. */
const OPTION_ALIASES = {
  keyBy: 'key',
  keySelector: 'key',
  groupBy: 'key',
  duration: 'keyIdleTimeout',
  idleTimeout: 'keyIdleTimeout',
  keyTimeout: 'keyIdleTimeout',
  maxGroups: 'maxKeys',
  maxInstances: 'maxKeys',
  batchSize: 'batch',
  queueSize: 'queue',
  maxQueue: 'queue',
  abortSignal: 'signal',
  ordered: 'poolPipe emits each key’s outputs in that key’s order; keys interleave. There is no global order to ask for.',
  timeout: 'a stream task’s instance runs as long as its key does: bound it with keyIdleTimeout',
} as const;

/** `poolPipe`'s options, checked and with their defaults. */
export interface ResolvedPoolPipeOptions {
  /** What the pipeline is opened with (batching, priority, name). */
  readonly pipeline: PipelineOptions;
  readonly key: KeyCallback | undefined;
  readonly keyIdleTimeout: number | undefined;
  readonly maxKeys: number | undefined;
  readonly queue: QueueBound | undefined;
  readonly signal: AbortSignal | undefined;
}

/**
 * Checks `poolPipe`'s options (whatever was passed) and gives them with
 * their defaults.
 *
 * @throws InvalidOptionError for the first bad or unknown option.
 */
export function resolvePoolPipeOptions(options: unknown): ResolvedPoolPipeOptions {
  const given: Readonly<Record<string, unknown>> = checkOptionsObject('poolPipe options', options as Record<string, unknown> | undefined);
  checkKnownKeys('the poolPipe options', given, OPTION_NAMES, OPTION_ALIASES);
  const { key, keyIdleTimeout, maxKeys, batch = 'auto', queue, signal, priority = 0, name } = given;
  if (key !== undefined && typeof key !== 'function')
    throw new InvalidOptionError('key', key, 'a function of the value returning its key (a string or a number)');
  if (keyIdleTimeout !== undefined) checkTimeout('keyIdleTimeout', keyIdleTimeout);
  if (maxKeys !== undefined) checkInteger('maxKeys', maxKeys, 1);
  const batchSize: BatchSize = batch === 'auto' ? batch : checkInteger('batch', batch, 1, MAX_BATCH_REQUESTS);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidOptionError('signal', signal, 'an AbortSignal');
  if (typeof priority !== 'number' || !Number.isFinite(priority)) throw new InvalidOptionError('priority', priority, 'a finite number');
  if (name !== undefined && typeof name !== 'string') throw new InvalidOptionError('name', name, 'a string');
  return {
    pipeline: { batch: batchSize, ...(priority !== 0 ? { priority } : {}), ...(name !== undefined ? { name } : {}) },
    key: key as KeyCallback | undefined,
    keyIdleTimeout: keyIdleTimeout as number | undefined,
    maxKeys: maxKeys as number | undefined,
    queue: queue === undefined ? undefined : resolveQueue(queue),
    signal,
  };
}
