/**
 * Adding a queue pool's jobs to Redis: every flight the scheduler starts in
 * one pump leaves in one `addBulk`, on the next turn of the event loop (one
 * flight alone in a plain `add`: `addBulk` wraps its jobs in MULTI/EXEC, two
 * more commands). An add that failed because Redis is away is sent again;
 * the job ids make a second add of the same job a no-op.
 *
 * @module
 */
import type { JobsOptions, Queue } from 'bullmq';
import type { Flight } from './Flight.js';

/** How BullMQ retries a job whose tasks failed (see `attempts`). */
export type QueueBackoff =
  | number
  | {
      /** `'fixed'`: the same delay before each attempt; `'exponential'`: doubling from `delay`. */
      readonly type: 'fixed' | 'exponential';
      /** The (first) delay before a retry, in ms. */
      readonly delay: number;
    };

/** The options every job of a pool is added with. */
export interface JobRetries {
  readonly attempts: number;
  readonly backoff?: QueueBackoff;
}

/** What the adder tells the executor. */
export interface AddListener {
  /** The flight's job is in Redis. */
  added(flight: Flight): void;
  /** BullMQ refused to add the flight's job (its data is not JSON, say): its requests fail. */
  refused(flight: Flight, error: unknown): void;
}

/** How long to wait before sending again an add that failed because Redis was away (ms). */
const RETRY_MS = 200;

/** Sends flights' jobs to the queue, those of one pump together. */
export class JobAdder {
  /** Flights waiting for the next add (some may have settled meanwhile: they are skipped). */
  private unsent: Flight[] = [];
  private readonly jobOptions: JobsOptions;
  private closed = false;

  constructor(
    private readonly queue: Queue,
    { attempts, backoff }: JobRetries,
    private readonly listener: AddListener,
  ) {
    this.jobOptions = {
      // BullMQ's default is one attempt; the option is stored with every job, so it is left out then.
      ...(attempts === 1 ? {} : { attempts }),
      ...(backoff === undefined ? {} : { backoff }),
      removeOnComplete: true,
      removeOnFail: { age: 3600 },
    };
  }

  /** Adds the flight's job with the others of this pump (again, when Redis lost it). */
  add(flight: Flight): void {
    flight.state = 'unsent';
    if (this.unsent.push(flight) === 1) setImmediate(() => this.flush());
  }

  /** Adds nothing more. */
  close(): void {
    this.closed = true;
  }

  private flush(): void {
    const flights = this.unsent.filter((flight) => flight.state === 'unsent');
    this.unsent = [];
    if (flights.length === 0 || this.closed) return;
    for (const flight of flights) flight.state = 'adding';
    const jobs = flights.map((flight) => ({
      name: typeof flight.data.tasks === 'string' ? flight.data.tasks : 'batch',
      data: flight.data,
      opts: { ...this.jobOptions, jobId: flight.jobId },
    }));
    (jobs.length === 1 ? this.queue.add(jobs[0].name, jobs[0].data, jobs[0].opts) : this.queue.addBulk(jobs)).then(
      () => {
        for (const flight of flights) {
          if (flight.state !== 'adding') continue;
          flight.state = 'added';
          this.listener.added(flight);
        }
      },
      (error: unknown) => {
        if (this.closed) return;
        if (!isConnectionError(error)) {
          // Those requests fail; others carry on.
          for (const flight of flights) this.listener.refused(flight, error);
          return;
        }
        // Not added (Redis away): try again.
        setTimeout(() => {
          for (const flight of flights) if (flight.state === 'adding') this.add(flight);
        }, RETRY_MS);
      },
    );
  }
}

/** Whether an error is Redis being away (worth retrying) rather than BullMQ refusing the jobs. */
function isConnectionError(error: unknown): boolean {
  const { message = '', code = '' } = (error ?? {}) as { message?: string; code?: string };
  return /connect|connection|closed|ECONN|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|LOADING|READONLY|retries|stream isn't writeable/i.test(`${code} ${message}`);
}
