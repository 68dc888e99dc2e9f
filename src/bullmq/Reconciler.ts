/**
 * The reconciler: every `reconcileInterval` it reads the state of each job
 * in Redis (one `HMGET` per job, in one pipeline), so a completion the
 * events stream dropped (it is trimmed) or that was lost with a Redis
 * restart is still found, and a job that vanished is added again under the
 * same id.
 *
 * @module
 */
import type { Flight } from './Flight.js';
import type { ProducerClients } from './ProducerClients.js';

/** What the reconciler tells the executor about a flight whose job is in Redis. */
export interface ReconcileListener {
  /** The flights whose job is in Redis (state `'added'`). */
  added(): Flight[];
  /** The job completed: its return value as Redis stores it (JSON text). */
  completed(flight: Flight, storedResult: string): void;
  /** The job failed for good (no attempt left). */
  failed(flight: Flight, reason: string): void;
  /** The job is gone from Redis without an outcome (lost with a restart): add it again. */
  lost(flight: Flight): void;
}

/**
 * Rounds in a row a job must be missing from Redis before it is taken for
 * lost: a completed job is removed at once, and its completion event gets
 * a round to arrive first.
 */
const MISSING_ROUNDS = 2;

/** Reads the jobs' states in rounds. */
export class Reconciler {
  private readonly timer: ReturnType<typeof setInterval>;
  /** Whether a round is under way (a round that takes longer than the interval is not doubled). */
  private reading = false;
  /** Rounds in a row that found each flight's job missing. */
  private readonly missing = new WeakMap<Flight, number>();

  constructor(
    private readonly clients: ProducerClients,
    intervalMs: number,
    private readonly listener: ReconcileListener,
  ) {
    this.timer = setInterval(() => void this.round(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async round(): Promise<void> {
    if (this.reading) return;
    const flights = this.listener.added();
    if (flights.length === 0) return;
    this.reading = true;
    try {
      const pipeline = this.clients.reader.pipeline();
      for (const flight of flights) pipeline.hmget(this.clients.jobKey(flight.jobId), 'timestamp', 'finishedOn', 'returnvalue', 'failedReason');
      const replies = (await pipeline.exec()) ?? [];
      flights.forEach((flight, i) => {
        const [error, fields] = replies[i] ?? [];
        if (error || !Array.isArray(fields) || flight.state !== 'added') return;
        const [timestamp, finishedOn, returnvalue, failedReason] = fields as (string | null)[];
        if (timestamp === null) {
          const rounds = (this.missing.get(flight) ?? 0) + 1;
          this.missing.set(flight, rounds < MISSING_ROUNDS ? rounds : 0);
          if (rounds >= MISSING_ROUNDS) this.listener.lost(flight);
          return;
        }
        this.missing.delete(flight);
        if (finishedOn === null) return;
        // Completed jobs have a return value (`null` is stored as the text "null"); failed ones have none.
        if (returnvalue !== null) this.listener.completed(flight, returnvalue);
        else this.listener.failed(flight, failedReason ?? '');
      });
    } catch {
      // Redis away: the next round tries again.
    } finally {
      this.reading = false;
    }
  }
}
