/**
 * A flight: one batch of requests on the queue, as one BullMQ job, from the
 * moment the scheduler starts it until its outcomes are delivered.
 *
 * @module
 */
import type { Done, Job } from '../executor.js';
import type { QueueJobData } from './wire.js';

/**
 * Where a flight's job is:
 * - `'unsent'`: waiting in this process for the next add (Redis has not seen it);
 * - `'adding'`: its add was sent and has not answered;
 * - `'added'`: in Redis (waiting, running or finished there);
 * - `'settled'`: its outcomes were delivered; nothing more happens to it.
 */
export type FlightState = 'unsent' | 'adding' | 'added' | 'settled';

/** One job in flight. */
export class Flight {
  state: FlightState = 'unsent';
  /** Its pipeline was closed while its add was under way: it is withdrawn once added. */
  withdrawWhenAdded = false;
  /** Ends the batch with `TaskTimeoutError` when its requests have a timeout. */
  timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly jobId: string,
    readonly jobs: readonly Job[],
    readonly data: QueueJobData,
    readonly done: Done,
    /** When the scheduler started it (`performance.now()`). */
    readonly started: number,
  ) {}
}
