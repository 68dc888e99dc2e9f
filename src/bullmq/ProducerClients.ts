/**
 * A queue pool's three Redis clients: BullMQ's `Queue` (adds and removes
 * jobs), `QueueEvents` (reads completions from the queue's events stream),
 * and a plain ioredis client the pool reads job hashes with. All reconnect
 * for ever; a lost connection is told once per outage, as a warning.
 *
 * @module
 */
import { type ConnectionOptions, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { withDeadline } from '../deadline.js';
import { liveOptions, type ResolvedConnection } from './connection.js';
import { withdrawnChannel } from './wire.js';

/** Where a pool's queue is. */
export interface QueuePlace {
  readonly connection: ResolvedConnection;
  readonly queue: string;
  readonly prefix: string;
  /** The length BullMQ trims the events stream to. */
  readonly eventsMaxLen: number;
}

/** The producer's connections to one queue. */
export class ProducerClients {
  readonly queue: Queue;
  readonly events: QueueEvents;
  /** Reads job hashes (the reconciler's rounds, a failed job's state). */
  readonly reader: Redis;
  /** Whether this outage was told already. */
  private warned = false;
  private closed = false;

  constructor(private readonly place: QueuePlace) {
    const { connection, queue, prefix, eventsMaxLen } = place;
    const live = liveOptions(connection);
    const bullConnection = live as ConnectionOptions;
    const warn = (error: unknown): void => {
      // Connection errors repeat while Redis is away; ioredis reconnects. Say it once per outage.
      if (this.warned || this.closed) return;
      this.warned = true;
      process.emitWarning(`rxjs-threadpool: lost Redis at ${connection.address} (${(error as Error).message}); reconnecting`);
    };
    this.queue = new Queue(queue, { connection: bullConnection, prefix, streams: { events: { maxLen: eventsMaxLen } } });
    this.events = new QueueEvents(queue, { connection: bullConnection, prefix });
    this.reader = new Redis(live);
    this.queue.on('error', warn);
    this.events.on('error', warn);
    this.reader.on('error', warn);
    this.reader.on('ready', () => (this.warned = false));
  }

  /** Resolves once the queue and its events stream are reachable. */
  async ready(): Promise<void> {
    await Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady()]);
  }

  /** Tells the hosts that the job `jobId`, which one of them runs, was withdrawn (best effort: Redis may be away). */
  announceWithdrawn(jobId: string): void {
    this.reader.publish(withdrawnChannel(this.place.prefix, this.place.queue), jobId).catch(() => undefined);
  }

  /** The Redis key of a job's hash. */
  jobKey(jobId: string): string {
    return `${this.place.prefix}:${this.place.queue}:${jobId}`;
  }

  /** Closes the connections, within a few seconds even when Redis is away. */
  async close(): Promise<void> {
    this.closed = true;
    const { queue, events, reader } = this;
    await withDeadline(Promise.all([queue.close(), events.close(), reader.quit()]), 3000);
    // Only if quit() did not end it: ioredis's disconnect() waits (a ref'd 2 s timer) for a 'close' that already happened.
    if (reader.status !== 'end') reader.disconnect();
    // If Redis was away, close() gave up waiting: drop the connections now.
    await withDeadline(Promise.all([queue.disconnect(), events.disconnect()]), 1000);
  }
}
