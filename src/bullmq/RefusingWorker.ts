/**
 * A host's BullMQ `Worker`, which trusts no job: it reads each job's data
 * itself, checks its size before it is parsed and its shape after
 * (`jobBytesProblem`, `jobDataProblem`), and fails a job that does not pass
 * at once with BullMQ's `UnrecoverableError` (no host runs it again) and
 * the reason after `JOB_REFUSED`, which the producer recognizes. Only a
 * well-formed job reaches the runner.
 *
 * @module
 */
import { type Job as BullJob, type JobJson, UnrecoverableError, Worker, type WorkerOptions } from 'bullmq';
import { textOf } from '../errors.js';
import { JOB_REFUSED, jobBytesProblem, jobDataProblem, type QueueJobData, type QueueJobResult } from './wire.js';

/** What a host accepts of a job. */
export interface JobLimits {
  /** The largest job data, its JSON in bytes. */
  readonly maxJobBytes: number;
  /** The most requests one job may carry. */
  readonly maxJobRequests: number;
}

/** What the worker does with the jobs it takes. */
export interface JobHandlers {
  /** Runs a well-formed job; resolves with its result. */
  run(job: BullJob<QueueJobData, QueueJobResult>): Promise<QueueJobResult>;
  /** A job was refused for `problem` (it is failed; say so once). */
  refused(job: BullJob, problem: string): void;
}

/**
 * BullMQ's `Worker`, refusing malformed jobs. Data that is too large or not
 * JSON is judged before BullMQ parses it (a job BullMQ could not read would
 * otherwise stay active, with a misleading connection error in the log).
 */
export class RefusingWorker extends Worker<unknown, QueueJobResult> {
  /** Jobs whose data was refused before it was parsed, and why. */
  private readonly refusals: WeakMap<BullJob, string>;
  private readonly maxJobBytes: number;

  constructor(queue: string, limits: JobLimits, handlers: JobHandlers, options: WorkerOptions) {
    const refusals = new WeakMap<BullJob, string>();
    super(
      queue,
      async (job) => {
        const problem = refusals.get(job) ?? jobDataProblem(job.data, limits.maxJobRequests);
        if (problem === undefined) return handlers.run(job as BullJob<QueueJobData, QueueJobResult>);
        handlers.refused(job, problem);
        throw new UnrecoverableError(`${JOB_REFUSED}${problem}`);
      },
      options,
    );
    this.refusals = refusals;
    this.maxJobBytes = limits.maxJobBytes;
  }

  protected override createJob(raw: JobJson, jobId: string): BullJob<unknown, QueueJobResult> {
    let problem = jobBytesProblem(raw.data, this.maxJobBytes);
    if (problem === undefined) {
      try {
        return super.createJob(raw, jobId);
      } catch (error) {
        // Only the data is ours to judge: a job BullMQ cannot read for another reason fails as before.
        try {
          JSON.parse(raw.data);
        } catch (syntax) {
          problem = `job data is not JSON (${textOf(syntax)})`;
        }
        if (problem === undefined) throw error;
      }
    }
    const job = super.createJob({ ...raw, data: 'null' }, jobId);
    this.refusals.set(job, problem);
    return job;
  }
}
