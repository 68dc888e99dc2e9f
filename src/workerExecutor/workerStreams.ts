/**
 * Stream tasks (`poolPipe`) on the worker executor: the sessions open on
 * it, what their instances emit and how they end (checked, then handed to
 * the session's listener), and the process hold while one is open.
 *
 * @module
 */
import type { SlotId, StreamListener, StreamSupport } from '../executor.js';
import type { Key } from '../keys.js';
import { STREAM_CLOSE, STREAM_OUTPUT, type StreamCloseMessage, type StreamEndedMessage, type StreamOutputMessage } from '../messages.js';
import { expandKeyRuns, streamEndedProblem, streamOutputProblem } from '../wire.js';
import type { RuntimeWorker } from './runtime.js';

/** The executor's stream sessions: their listeners, by session. */
export class WorkerStreams implements StreamSupport {
  private readonly sessions = new Map<number, StreamListener>();
  /**
   * Holds the process while a session is open: what it waits for (its
   * instances' outputs, their drain) comes from workers that may run no
   * batch meanwhile, and idle workers do not keep the process alive.
   */
  private hold: ReturnType<typeof setInterval> | undefined;

  constructor(
    /** The worker of a slot, while it has one. */
    private readonly workerOf: (slot: SlotId) => RuntimeWorker | undefined,
  ) {}

  listen(session: number, listener: StreamListener): void {
    this.sessions.set(session, listener);
    this.hold ??= setInterval(() => undefined, 2 ** 30);
  }

  forget(session: number): void {
    this.sessions.delete(session);
    if (this.sessions.size === 0) this.release();
  }

  close(slot: SlotId, session: number, keys: readonly Key[] | undefined, cancel: boolean): void {
    const worker = this.workerOf(slot);
    if (!worker) return;
    const message: StreamCloseMessage = { type: STREAM_CLOSE, session, ...(keys ? { keys } : {}), ...(cancel ? { cancel: true } : {}) };
    try {
      worker.post(message);
    } catch {
      // A worker that cannot take a message is on its way out: its instances end with it.
    }
  }

  /**
   * What the worker of `slot` says its instances emitted, or how one ended,
   * for the session's listener. Checked first: returns `false` for a
   * malformed message (dropped: the worker can no longer be trusted).
   */
  receive(slot: SlotId, message: StreamOutputMessage | StreamEndedMessage): boolean {
    const output = message.type === STREAM_OUTPUT;
    const problem = output ? streamOutputProblem(message) : streamEndedProblem(message);
    if (problem !== undefined) return false;
    const listener = this.sessions.get(message.session);
    if (!listener) return true;
    if (output) listener.output(expandKeyRuns(message.keys, message.keyRuns, message.values.length), message.values);
    else if (message.key === undefined) listener.drained(slot);
    else listener.ended(slot, message.key, message.error);
    return true;
  }

  /** The pool closed: every session is forgotten, and the process no longer held for them. */
  clear(): void {
    this.sessions.clear();
    this.release();
  }

  private release(): void {
    clearInterval(this.hold);
    this.hold = undefined;
  }
}
