/**
 * How a host runs its jobs' requests on its local thread pool: one
 * pipeline per task (and timeout), shared by every job the host runs at
 * once, so requests of concurrent jobs travel to a thread together (the
 * pool's own `'auto'` batching) rather than a message per job. A job
 * reaches the runner only after its data was checked (`RefusingWorker`); a
 * request for a task the module does not expose ends with
 * `UnknownTaskError` here, without a pipeline or a thread.
 *
 * @module
 */
import type { Job as BullJob } from 'bullmq';
import { UnknownTaskError } from '../errors.js';
import type { Outcome } from '../outcomes.js';
import type { Pool } from '../Pool.js';
import { workRequest } from '../requests.js';
import type { Pipeline } from '../scheduler/pipeline.js';
import type { TaskMap } from '../tasks.js';
import { keysOf } from '../wire.js';
import { JobOutcomes } from './JobOutcomes.js';
import type { QueueJobData, QueueJobResult } from './wire.js';

/**
 * Pipelines with a timeout kept open while idle. One per (task, timeout):
 * the tasks are the module's, but a job may name any timeout, so idle ones
 * past this many are closed rather than kept for ever.
 */
const MAX_IDLE_TIMED_PIPELINES = 32;

/** A request handed to a pipeline: the job outcomes it belongs to, and its position there. */
interface Submitted {
  readonly outcomes: JobOutcomes;
  readonly at: number;
  readonly pipeline: Pipeline;
}

/** Runs jobs' requests on the local pool. */
export class JobRunner {
  /** The pipelines of requests without a timeout, by task. */
  private readonly untimed = new Map<string, Pipeline>();
  /** The pipelines of requests with a timeout, by {@link timedKey}. */
  private readonly timed = new Map<string, Pipeline>();
  /** The requests in the pipelines, by the ticket each was submitted with. */
  private readonly submitted = new Map<number, Submitted>();
  /** The tickets of each job running, by job id: a job withdrawn by its producer has its requests' signals aborted. */
  private readonly byJob = new Map<string, Set<number>>();
  private lastTicket = 0;

  constructor(private readonly pool: Pool<TaskMap>) {}

  /**
   * Runs a job's requests. Resolves with its result once every request has
   * an outcome; rejects instead when some failed and BullMQ will run the
   * job again (the producer asked for `attempts`).
   */
  run(job: BullJob<QueueJobData, QueueJobResult>): Promise<QueueJobResult> {
    const { tasks, args, spread, timeout } = job.data;
    const keys = keysOf(job.data);
    const count = args.length;
    const tickets = new Set<number>();
    const jobId = job.id;
    if (jobId !== undefined) this.byJob.set(jobId, tickets);
    return new Promise<QueueJobResult>((resolve, reject) => {
      const outcomes = new JobOutcomes(count, ({ values, failures }) => {
        if (jobId !== undefined && this.byJob.get(jobId) === tickets) this.byJob.delete(jobId);
        const attempts = job.opts.attempts ?? 1;
        if (failures.length > 0 && job.attemptsMade + 1 < attempts) {
          // The user asked for retries: BullMQ runs the job again (after its backoff); only the last run's outcomes count.
          reject(new Error(`${failures.length} of ${count} requests failed (attempt ${job.attemptsMade + 1} of ${attempts})`));
          return;
        }
        failures.sort((a, b) => a.at - b.at);
        // Thread time, not this job's wall time: on a busy host a job also waits for the main thread and for
        // other jobs' requests, and a producer that sized batches by that would stop batching fast tasks.
        const ms = this.threadMs(job.data);
        resolve({ values, ...(failures.length > 0 ? { failures } : {}), ...(ms === undefined ? {} : { ms }) });
      });
      for (let at = 0; at < count; at++) {
        const task = typeof tasks === 'string' ? tasks : tasks[at];
        const unknown = this.unknownTask(task);
        if (unknown) {
          outcomes.failed(at, unknown);
          continue;
        }
        const ticket = ++this.lastTicket;
        tickets.add(ticket);
        // A keyed request runs on a keyed pipeline here too: one at a time per key, on the thread that owns it.
        const key = keys?.[at];
        const pipeline = this.pipelineFor(task, timeout, key !== undefined);
        this.submitted.set(ticket, { outcomes, at, pipeline });
        pipeline.submit(workRequest(spread ? (args[at] as unknown[]) : [args[at]]), ticket, task, undefined, key);
      }
    });
  }

  /**
   * The producer withdrew the job `jobId` while it ran here: the signals of
   * its requests running on a thread are aborted (a task that reads its
   * signal stops by itself; what they return is the job's result, which the
   * producer no longer waits for). Requests of other jobs sharing their
   * batches run on. An id of no job running here is ignored.
   */
  abortJob(jobId: string): void {
    const tickets = this.byJob.get(jobId);
    if (!tickets) return;
    for (const pipeline of [...this.untimed.values(), ...this.timed.values()]) pipeline.abortRunning(tickets);
  }

  /** Closes every pipeline (their requests are dropped). */
  close(): void {
    for (const pipeline of [...this.untimed.values(), ...this.timed.values()]) pipeline.close();
    this.untimed.clear();
    this.timed.clear();
  }

  /** `UnknownTaskError` when the module does not expose `task` (its names are known: the pool is ready). */
  private unknownTask(task: string): UnknownTaskError | undefined {
    try {
      this.pool.checkTask(task);
      return undefined;
    } catch (error) {
      if (error instanceof UnknownTaskError) return error;
      throw error;
    }
  }

  private pipelineFor(task: string, timeout: number | undefined, keyed: boolean): Pipeline {
    const pipelines = timeout === undefined ? this.untimed : this.timed;
    const key = timeout === undefined ? (keyed ? `keyed:${task}` : task) : timedKey(task, timeout, keyed);
    let pipeline = pipelines.get(key);
    if (!pipeline) {
      const options = { ...(timeout === undefined ? {} : { timeout }), ...(keyed ? { keyed } : {}) };
      pipeline = this.pool.openPipeline(task, (outcome, ticket) => this.deliver(outcome, ticket), options);
      pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  private deliver(outcome: Outcome<readonly unknown[]>, ticket: number): void {
    const request = this.submitted.get(ticket);
    if (!request) return;
    this.submitted.delete(ticket);
    const { outcomes, at, pipeline } = request;
    if (pipeline.timeout !== undefined && this.timed.size > MAX_IDLE_TIMED_PIPELINES) this.closeIfIdle(pipeline, pipeline.timeout);
    if (outcome.ok) outcomes.succeeded(at, outcome.value);
    else outcomes.failed(at, outcome.error);
  }

  /** Closes a timed pipeline once the scheduler is done delivering its batch, if no job has used it since. */
  private closeIfIdle(pipeline: Pipeline, timeout: number): void {
    queueMicrotask(() => {
      const key = timedKey(pipeline.task, timeout, pipeline.options.keyed === true);
      if (pipeline.pending !== 0 || this.timed.get(key) !== pipeline) return;
      this.timed.delete(key);
      pipeline.close();
    });
  }

  /**
   * About how much thread time (ms) a job's requests take, from what their
   * pipelines measured so far: the time their batches spent in a worker (the
   * worker's own clock, awaits included), per request. `undefined` while a
   * task has no measure (its requests ended without running).
   */
  private threadMs({ tasks, args, timeout, keys }: QueueJobData): number | undefined {
    const keyed = keys !== undefined;
    if (typeof tasks === 'string') {
      const perRequest = this.requestMs(tasks, timeout, keyed);
      return perRequest === undefined ? undefined : perRequest * args.length;
    }
    let ms = 0;
    for (const task of tasks) {
      const perRequest = this.requestMs(task, timeout, keyed);
      if (perRequest === undefined) return undefined;
      ms += perRequest;
    }
    return ms;
  }

  private requestMs(task: string, timeout: number | undefined, keyed: boolean): number | undefined {
    const pipeline = timeout === undefined ? this.untimed.get(keyed ? `keyed:${task}` : task) : this.timed.get(timedKey(task, timeout, keyed));
    return pipeline?.workMsPerJob ?? pipeline?.msPerJob;
  }
}

function timedKey(task: string, timeout: number, keyed: boolean): string {
  return `${keyed ? 'keyed:' : ''}${timeout}:${task}`;
}
