/**
 * `serveTasks`: a worker host. A BullMQ `Worker` takes the queue's jobs and
 * runs each job's requests on a local thread pool of the worker module, so
 * each host uses all its cores; start one per machine.
 *
 * A host trusts no job (`RefusingWorker`): each one's data is checked
 * against the wire's schema (`wire.ts`) before anything is done with it,
 * its size before it is even parsed, and a job that fails the check is
 * failed at once with BullMQ's `UnrecoverableError` (no host runs it
 * again), logged once with its id. Only the module's own tasks ever run
 * (`JobRunner`).
 *
 * @module
 */
import type { ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { createPool } from '../createPool.js';
import type { Pool } from '../Pool.js';
import type { TaskMap } from '../tasks.js';
import { ConcurrencyFit } from './ConcurrencyFit.js';
import { checkConnection, liveOptions, resolveConnection } from './connection.js';
import { JobRunner } from './JobRunner.js';
import { RefusingWorker } from './RefusingWorker.js';
import { checkServeOptions, type ServeOptions } from './serveOptions.js';
import { MAX_JOB_ID_LENGTH, withdrawnChannel } from './wire.js';

export type { ServeOptions } from './serveOptions.js';

/** A running worker host. */
export interface TaskServer {
  /** The local thread pool the host runs its jobs on. */
  readonly pool: Pool<TaskMap>;
  /** Stops taking jobs, waits for the running ones, and closes the threads and connections. */
  close(): Promise<void>;
}

/**
 * Starts a worker host: loads `workerModule` (a module that calls
 * `exposeTasks`) on `threads` worker threads, then takes jobs from the
 * queue. Task errors are returned as outcomes (the job completes); only a
 * failure of the host itself fails a job. A job whose data is too large
 * (`maxJobBytes`, `maxJobRequests`) or malformed is refused: failed at once
 * with BullMQ's `UnrecoverableError` and the reason (no host runs it
 * again), and logged once with its id.
 *
 * @param workerModule - The worker module: an absolute path or a `file:` URL (the same module the producer is typed from).
 * @throws InvalidOptionError for a bad option.
 * @throws WorkerStartError when the module cannot be loaded (nothing is taken from the queue).
 * @throws QueueConnectionError when Redis cannot be reached.
 */
export async function serveTasks(workerModule: string | URL, options: ServeOptions): Promise<TaskServer> {
  const { connection, queue, prefix, threads, concurrency, lockDuration, stalledInterval, maxStalledCount, connectTimeout, maxJobBytes, maxJobRequests, log } =
    checkServeOptions(options);
  const resolved = resolveConnection(connection);
  await checkConnection(resolved, connectTimeout);
  // Two batches per thread: a thread has its next batch before it finishes the current one, so it never
  // waits for this (busy) main thread between jobs.
  const pool = createPool<TaskMap>(workerModule, { size: threads, tasksPerWorker: 2 });
  try {
    await pool.ready;
  } catch (error) {
    await pool.close();
    throw error;
  }
  const runner = new JobRunner(pool);
  // Fitted to the jobs unless `concurrency` was set: see ServeOptions.concurrency.
  const fit = concurrency === undefined ? new ConcurrencyFit(threads) : undefined;
  const worker: RefusingWorker = new RefusingWorker(
    queue,
    { maxJobBytes, maxJobRequests },
    {
      run: async (job) => {
        const result = await runner.run(job);
        if (fit && result.ms !== undefined) {
          const wanted = fit.after(result.values.length, result.ms);
          if (worker.concurrency !== wanted) worker.concurrency = wanted;
        }
        return result;
      },
      refused: (job, problem) => log(`rxjs-threadpool-serve: job ${String(job.id)} refused: ${problem}`),
    },
    {
      connection: liveOptions(resolved) as ConnectionOptions,
      prefix,
      concurrency: concurrency ?? fit!.steady,
      ...(lockDuration === undefined ? {} : { lockDuration }),
      ...(stalledInterval === undefined ? {} : { stalledInterval }),
      ...(maxStalledCount === undefined ? {} : { maxStalledCount }),
    },
  );
  // Told once per outage.
  let lost = false;
  worker.on('error', (error) => {
    if (lost) return;
    lost = true;
    log(`rxjs-threadpool-serve: lost Redis at ${resolved.address} (${error.message}); reconnecting`);
  });
  worker.on('ready', () => {
    if (lost) log(`rxjs-threadpool-serve: reconnected to Redis at ${resolved.address}`);
    lost = false;
  });
  await worker.waitUntilReady();
  // A producer that withdraws a job this host runs says so on a channel: the job's requests have their signals aborted.
  const withdrawn = new Redis(liveOptions(resolved));
  withdrawn.on('error', () => undefined);
  withdrawn.on('message', (_channel: string, jobId: unknown) => {
    // Anyone with access to Redis can publish here: only a job id this host runs does anything.
    if (typeof jobId === 'string' && jobId.length <= MAX_JOB_ID_LENGTH) runner.abortJob(jobId);
  });
  await withdrawn.subscribe(withdrawnChannel(prefix, queue));
  let closing: Promise<void> | undefined;
  return {
    pool,
    close: () =>
      (closing ??= (async () => {
        await worker.close();
        withdrawn.disconnect();
        runner.close();
        await pool.close();
      })()),
  };
}
