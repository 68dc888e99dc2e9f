/**
 * How a producer reads a job's return value: checked first
 * (`jobResultProblem`: the queue's envelope, then the wire's outcomes),
 * then decoded by the wire (`decodeOutcomes`) into typed outcomes for the
 * job's requests.
 *
 * @module
 */
import { textOf } from '../errors.js';
import type { BatchOutcomes, Job } from '../executor.js';
import { decodeOutcomes } from '../wire.js';
import { jobResultProblem, type QueueJobResult } from './wire.js';

/** A job's answer, read: its outcomes, the host's thread time, and the positions of requests whose thread crashed on the host. */
export interface JobAnswer {
  readonly outcomes: BatchOutcomes;
  /** The host's thread time for the batch (see {@link QueueJobResult}). */
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
    return { outcomes: decodeOutcomes(jobs, valid), workMs: valid.ms, crashed };
  } catch (error) {
    // Not expected of a checked result; but this runs in QueueEvents' listener, which must never throw.
    return `the job result cannot be read (${textOf(error)})`;
  }
}
