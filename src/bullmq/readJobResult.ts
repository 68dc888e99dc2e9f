/**
 * How a producer reads a job's return value: checked against the wire's
 * schema first (`jobResultProblem`), then turned back into typed outcomes
 * for the job's requests.
 *
 * @module
 */
import { DataCloneError, type FailureError, TaskError, TaskTimeoutError, textOf, UnknownTaskError, WorkerCrashedError } from '../errors.js';
import type { BatchOutcomes, Job } from '../executor.js';
import { jobResultProblem, type QueueFailure, type QueueJobResult } from './wire.js';

/** A job's answer, read: its outcomes, the host's thread time, and the positions of requests whose thread crashed on the host. */
export interface JobAnswer {
  readonly outcomes: BatchOutcomes;
  /** See {@link QueueJobResult.ms}. */
  readonly workMs: number | undefined;
  /** Positions of requests whose thread crashed on the host (they are rerun, alone). */
  readonly crashed: readonly number[];
}

/**
 * Reads the return value of the job that carried `jobs`: the answer, or what
 * is wrong with it (in words, for a `ProtocolError`). `stored` is the text
 * Redis keeps (the reconciler's read) rather than the value `QueueEvents`
 * parsed.
 */
export function readJobResult(jobs: readonly Job[], returnvalue: unknown, stored: boolean): JobAnswer | string {
  let result: unknown = returnvalue;
  if (stored) {
    try {
      result = JSON.parse(returnvalue as string);
    } catch {
      return 'the job result is not JSON';
    }
  }
  const problem = jobResultProblem(result, jobs.length);
  if (problem !== undefined) return problem;
  const valid = result as QueueJobResult;
  try {
    const crashed = (valid.failures ?? []).filter((failure) => failure.kind === 'crashed').map((failure) => failure.at);
    return { outcomes: decodeResult(jobs, valid), workMs: valid.ms, crashed };
  } catch (error) {
    // Not expected of a checked result; but this runs in QueueEvents' listener, which must never throw.
    return `the job result cannot be read (${textOf(error)})`;
  }
}

/** Turns a job's return value (checked by `jobResultProblem`) back into typed outcomes for its requests. */
function decodeResult(jobs: readonly Job[], result: QueueJobResult): BatchOutcomes {
  const { values, failures } = result;
  if (!failures || failures.length === 0) return { values };
  const errors = new Array<FailureError | undefined>(jobs.length);
  for (const failure of failures) errors[failure.at] = errorFor(jobs[failure.at], failure);
  return { values, errors };
}

function errorFor(job: Job, { kind, error, known }: QueueFailure): FailureError {
  switch (kind) {
    case 'task':
      return new TaskError(job.task, job.id, error);
    case 'unknown-task':
      return new UnknownTaskError(job.task, known ?? []);
    case 'timeout':
      return new TaskTimeoutError(job.task, job.id, Number((error as { props?: { timeout?: unknown } }).props?.timeout) || 0);
    case 'crashed':
      return new WorkerCrashedError(job.id, `crashed on its worker host (${error.message})`);
    default:
      // The host's DataCloneError: its `what` and `position` travel in props (the message names the host's request id).
      if (error.code === 'ERR_DATA_CLONE') {
        const { what, position } = error.props ?? {};
        return new DataCloneError(job.id, what === 'arguments' ? 'arguments' : 'result', error, typeof position === 'number' ? position : undefined);
      }
      return new TaskError(job.task, job.id, error);
  }
}
