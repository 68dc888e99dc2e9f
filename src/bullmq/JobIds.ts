/**
 * The ids of a queue pool's jobs: `poolId_first-last`, from this start of
 * the pool and the ids of the batch's first and last requests, so a request
 * is never queued twice and a job run twice still yields one outcome per
 * request; a rerun's job adds its count (`_n`). BullMQ refuses ':' in ids.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Job } from '../executor.js';

/** The job ids of one start of a queue pool. */
export class JobIds {
  /**
   * The prefix of this pool's job ids, unique to this start of the pool, so
   * pools sharing a queue never collide, and a restarted pool's new jobs
   * never take the ids of its predecessor's (request ids start at 1 again
   * in a new process). Without a stable `id`, 64 random bits; with one,
   * `id.` and 32 random bits (this start's epoch). Short: a job's id is in
   * most of the commands and events Redis handles for it.
   */
  readonly poolId: string;
  /** Reruns so far of each request whose batch failed on the queue: its next job goes under a fresh id. */
  private readonly reruns = new Map<number, number>();

  constructor(private readonly stableId: string | undefined) {
    this.poolId = stableId === undefined ? randomBytes(8).toString('hex') : `${stableId}.${randomBytes(4).toString('hex')}`;
  }

  /** The id of the job that carries `jobs` (a batch; one id for a single request). */
  of(jobs: readonly Job[]): string {
    const first = jobs[0].id;
    const last = jobs[jobs.length - 1].id;
    const rerun = this.reruns.get(first);
    return `${this.poolId}_${first}${last === first ? '' : `-${last}`}${rerun === undefined ? '' : `_${rerun}`}`;
  }

  /** The next job of request `id` is a rerun: it goes under a fresh job id. */
  rerun(id: number): void {
    this.reruns.set(id, (this.reruns.get(id) ?? 0) + 1);
  }

  /** Whether `jobId` is a job of an earlier start of this pool (the same stable id, another epoch). */
  isPredecessors(jobId: string): boolean {
    return this.stableId !== undefined && jobId.startsWith(`${this.stableId}.`) && !jobId.startsWith(`${this.poolId}_`);
  }
}
