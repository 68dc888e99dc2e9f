/**
 * The worker side of stream tasks on a thread: feeds a stream pipeline's
 * run messages to the instances ({@link StreamSessions}), posts what they
 * emit (batched per turn of the event loop) and how they end, and obeys
 * the master's close messages.
 *
 * @module
 */
import type { Key } from '../keys.js';
import { DONE, type DoneMessage, STREAM_ENDED, STREAM_OUTPUT, type RunMessage, type StreamCloseMessage } from '../messages.js';
import type { TaskMap } from '../tasks.js';
import { serializeError, streamCloseProblem, streamRunProblem, taskFailure, unknownTaskFailure, type WireFailure } from '../wire.js';
import type { MasterPort } from './port.js';
import { streamBodyOf, StreamSessions, type SubjectClass } from './streamTask.js';

/** What a session's instances emitted since the last flush: values and their keys. */
interface Pending {
  readonly keys: Key[];
  readonly values: unknown[];
}

/** A worker's stream instances, on the thread's port. */
export class StreamWorker {
  readonly sessions: StreamSessions;
  /** Outputs not yet posted, by session; posted together at the end of the current turn. */
  private readonly pending = new Map<number, Pending>();
  private flushing = false;

  constructor(
    private readonly tasks: TaskMap,
    private readonly port: MasterPort,
    Subject: SubjectClass,
  ) {
    this.sessions = new StreamSessions(
      {
        output: (session, key, value) => this.output(session, key, value),
        ended: (session, key, ...failure) => this.ended(session, key, failure),
        drained: (session) => {
          this.flush(session);
          this.port.post({ type: STREAM_ENDED, session });
        },
      },
      Subject,
    );
  }

  /**
   * Feeds a checked run message of a stream pipeline (its `stream` field is
   * checked here): each request's value to its key's instance, in order;
   * replies with one outcome per value (fed, or why not).
   */
  run(message: RunMessage): void {
    this.port.post(feedStreamRun(this.sessions, this.tasks, message));
  }

  /** A close message from the master: checked, then the instances complete (or are cancelled). */
  close(message: StreamCloseMessage): void {
    if (streamCloseProblem(message) !== undefined) return;
    if (message.cancel) this.sessions.cancel(message.session);
    else this.sessions.complete(message.session, message.keys);
  }

  private output(session: number, key: Key, value: unknown): void {
    let pending = this.pending.get(session);
    if (!pending) {
      pending = { keys: [], values: [] };
      this.pending.set(session, pending);
    }
    pending.keys.push(key);
    pending.values.push(value);
    if (!this.flushing) {
      this.flushing = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** An instance ended: what it emitted goes first. */
  private ended(session: number, key: Key, failure: [] | [error: unknown]): void {
    this.flush(session);
    this.port.post({ type: STREAM_ENDED, session, key, ...(failure.length > 0 ? { error: serializeError(failure[0]) } : {}) });
  }

  /** Posts the outputs waiting (of `only` that session), each session's in one message, keys by runs. */
  private flush(only?: number): void {
    if (only === undefined) this.flushing = false;
    for (const [session, { keys, values }] of this.pending) {
      if (only !== undefined && session !== only) continue;
      this.pending.delete(session);
      const runKeys: Key[] = [];
      const keyRuns: number[] = [];
      for (let i = 0; i < keys.length; i++) {
        if (i > 0 && keys[i] === runKeys[runKeys.length - 1]) keyRuns[keyRuns.length - 1]++;
        else {
          runKeys.push(keys[i]);
          keyRuns.push(1);
        }
      }
      try {
        this.port.post({ type: STREAM_OUTPUT, session, keys: runKeys, keyRuns, values });
      } catch (error) {
        // An output that cannot be cloned: the instances that emitted this turn's outputs fail, each with the clone error.
        for (const key of new Set(keys)) this.port.post({ type: STREAM_ENDED, session, key, error: serializeError(error) });
      }
    }
  }
}

/**
 * Feeds a stream pipeline's run message to `sessions` (its `stream` field
 * and its keys are checked here): each request's value to its key's
 * instance, in order. Returns the done message that answers it: one
 * outcome per value (fed, or why not), or the message refused. A thread's
 * {@link StreamWorker} posts it; a virtual pool's worker reads it.
 */
export function feedStreamRun(sessions: StreamSessions, tasks: TaskMap, message: RunMessage): DoneMessage {
  const { batch, stream, tasks: names, args, spread, keys, keyRuns } = message;
  const problem = streamRunProblem(stream) ?? (keys === undefined ? 'a stream batch must carry keys' : undefined);
  if (problem !== undefined || !stream || !keys || !keyRuns) return { type: DONE, batch, values: [], refused: problem ?? 'malformed stream batch' };
  const failures: WireFailure[] = [];
  // A batch has one task, as a rule: it is looked up once.
  const single = typeof names === 'string' ? lookUp(tasks, names) : undefined;
  const { session, unkeyed, idle } = stream;
  let run = 0;
  let runEnd = keyRuns[0];
  for (let at = 0; at < args.length; at++) {
    while (at >= runEnd) runEnd += keyRuns[++run];
    const name = typeof names === 'string' ? names : names[at];
    const { task, body } = single ?? lookUp(tasks, name);
    if (!body) {
      failures.push(
        task
          ? taskFailure(at, new TypeError(`task "${name}" is not a stream task: declare it with streamTask()`))
          : unknownTaskFailure(at, name, Object.keys(tasks)),
      );
      continue;
    }
    const value = spread ? (args[at] as unknown[])[0] : args[at];
    try {
      sessions.feed(session, keys[run], value, body.operator, unkeyed === true, idle);
    } catch (error) {
      // The operator threw when its instance started: this value was not fed.
      failures.push(taskFailure(at, error));
    }
  }
  return { type: DONE, batch, values: new Array<unknown>(args.length), ...(failures.length > 0 ? { failures } : {}) };
}

/** The task of `name`, and its stream body when it is a stream task. */
function lookUp(tasks: TaskMap, name: string): { task: unknown; body: ReturnType<typeof streamBodyOf> } {
  const task = Object.hasOwn(tasks, name) ? tasks[name] : undefined;
  return { task, body: streamBodyOf(task) };
}
