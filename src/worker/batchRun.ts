/**
 * Running one batch in the worker: its requests one after another (a
 * generator task's yields go out as progress), each outcome kept by
 * position, and one reply with them all, narrowed to the results that
 * cannot travel when it cannot be posted whole. Each request's task sees
 * its own context (`this.key`, `this.signal`); an abort message aborts the
 * running request's signal and runs none of the rest.
 *
 * A virtual pool (`rxjs-threadpool/marbles`) runs its batches here too, on
 * the main thread, with {@link runBatchNow}: a run that ends before it
 * returns (`synchronous`), since its clock waits for no promise.
 *
 * @module
 */
import {
  type AbortMessage,
  abortProblem,
  type AbortReason,
  CANCELLABLE,
  type CancellableMessage,
  DONE,
  type DoneMessage,
  PROGRESS,
  type ProgressMessage,
  type RunMessage,
} from '../messages.js';
import type { Key } from '../keys.js';
import type { TaskContext, TaskMap } from '../tasks.js';
import type { KeyMemory } from './keyMemory.js';
import { type Transferable, unwrapTransfer } from '../transfer.js';
import { transferProblem } from '../transferChecks.js';
import { batchProblem, kindOf, taskFailure, uncloneableFailure, unknownTaskFailure, type WireFailure } from '../wire.js';
import type { MasterPort } from './port.js';

/**
 * Run messages still running (their tasks are async), by id: a message that
 * `follows` one of them waits for it to finish.
 */
const running = new Map<number, Promise<void>>();

/** Run messages started and not yet answered, by id: what an abort message finds. */
const runs = new Map<number, BatchRun>();

/** An abort of a run message: why, and of which of its requests (all when absent). */
interface Abort {
  readonly reason: AbortReason;
  readonly at?: readonly number[];
}

/** Run messages aborted before they started (they wait for the part they follow), by id. */
const abortedEarly = new Map<number, Abort>();

/**
 * The master cancelled the requests of the run messages of `message`: the
 * running request's signal is aborted and the rest are not run; a message
 * still waiting for the one it follows is aborted when it starts. A
 * malformed message is ignored.
 */
export function abortBatches(message: AbortMessage): void {
  if (abortProblem(message) !== undefined) return;
  const abort: Abort = message.at === undefined ? { reason: message.reason } : { reason: message.reason, at: message.at };
  for (const id of message.batches) {
    const run = runs.get(id);
    if (run) run.abort(abort.reason, abort.at);
    else if (running.has(id)) abortedEarly.set(id, abort);
  }
}

/**
 * Runs the batch (or the part of one) of a run message from the master and
 * replies on `port`; a malformed message is refused, never run. A part that
 * follows one still running starts when that one has finished.
 */
export function runBatch(tasks: TaskMap, port: MasterPort, message: RunMessage, keys?: KeyMemory): void {
  // The master is trusted, but checked: a malformed run message is refused, never run.
  if (refused(port, message)) return;
  const { batch, follows } = message;
  const previous = follows === undefined ? undefined : running.get(follows);
  const pending = previous ? previous.then(() => runNow(tasks, port, message, keys)) : runNow(tasks, port, message, keys);
  if (!pending) return;
  running.set(batch, pending);
  void pending.then(() => {
    running.delete(batch);
    abortedEarly.delete(batch);
  });
}

/**
 * Runs the batch of `run`'s message to its end before it returns, and
 * replies on `port` (its done message is posted before this returns): a
 * virtual pool's worker, whose clock waits for no promise, so `run` is
 * made `synchronous`. The message is checked first, as {@link runBatch}
 * checks it: a malformed one is refused, never run.
 */
export function runBatchNow(port: MasterPort, run: BatchRun): void {
  if (refused(port, run.message)) return;
  const started = performance.now();
  if (run.runFrom(0) !== true) throw new Error('a synchronous batch run returned before its end');
  reply(port, run, performance.now() - started);
}

/** Checks a run message (its id, the part it follows, its batch); a malformed one is answered as refused. Whether it was. */
function refused(port: MasterPort, message: RunMessage): boolean {
  const { batch, follows } = message;
  const problem =
    typeof batch !== 'number'
      ? 'batch is not a number'
      : follows !== undefined && typeof follows !== 'number'
        ? `follows must be a message id, got ${kindOf(follows)}`
        : batchProblem(message);
  if (problem === undefined) return false;
  if (typeof batch === 'number') port.post({ type: DONE, batch, values: [], refused: problem } satisfies DoneMessage);
  return true;
}

/** Runs a checked run message now; a promise of when it has replied, unless it finished at once. */
function runNow(tasks: TaskMap, port: MasterPort, message: RunMessage, keys: KeyMemory | undefined): Promise<void> | undefined {
  const started = performance.now();
  const run = new BatchRun(tasks, message, port, keys);
  const early = abortedEarly.get(message.batch);
  if (early !== undefined) run.abort(early.reason, early.at);
  runs.set(message.batch, run);
  const finished = run.runFrom(0);
  if (finished === true) {
    runs.delete(message.batch);
    reply(port, run, performance.now() - started);
    return undefined;
  }
  return finished.then(() => {
    runs.delete(message.batch);
    reply(port, run, performance.now() - started);
  });
}

/**
 * Posts a batch's outcomes; a result that cannot be cloned, or whose
 * transfer list cannot be moved, becomes that request's error alone (the
 * master checks every reply: a reply of the wrong shape would fail the
 * whole batch).
 */
function reply(port: MasterPort, run: BatchRun, ms: number): void {
  const { batch } = run.message;
  const heap = run.message.memory ? { heapUsed: heapUsed() } : undefined;
  const post = (): void => port.post({ type: DONE, batch, values: run.values, failures: run.failures, ms, ...heap } satisfies DoneMessage, run.transferList());
  let failure: unknown;
  try {
    post();
    return;
  } catch (error) {
    failure = error;
  }
  // Find the results that cannot travel: those without a transfer list can be tried by cloning them.
  for (let at = 0; at < run.values.length; at++) {
    if (run.hasTransferList(at)) continue;
    try {
      structuredClone(run.values[at]);
    } catch (error) {
      run.refuse(at, error);
    }
  }
  try {
    post();
    return;
  } catch (error) {
    failure = error;
  }
  // Still refused: try each result that moves buffers on its own, by a structured clone that moves them
  // into the copy (which then travels in its place), so only the one that cannot travel fails.
  for (let at = 0; at < run.values.length; at++) if (run.hasTransferList(at)) run.cloneAlone(at);
  try {
    post();
  } catch {
    const failures = run.values.map((_, at) => uncloneableFailure(at, failure));
    port.post({ type: DONE, batch, values: new Array<unknown>(run.values.length), failures, ms } satisfies DoneMessage);
  }
}

/**
 * One batch running in the worker: its requests one after another,
 * synchronously until a task returns a promise. The buffers each result
 * marked with `transfer()` are kept by position, checked before anything
 * is posted.
 */
export class BatchRun {
  readonly values: unknown[];
  failures: WireFailure[] | undefined;
  /** Each result's transfer list, by position (only for results that have one). */
  private readonly transferLists = new Map<number, readonly Transferable[]>();
  /** The key of the requests from here on (a keyed batch's key runs), else `undefined`. */
  private key: Key | undefined;
  /** The key run the requests from here on are in, and the position where it ends. */
  private run = -1;
  private runEnd = 0;
  /** The position of the request running now. */
  private at = -1;
  /** The running request's signal, once its task read it. */
  private live: AbortController | undefined;
  /** A task of this message read its signal: the master was told (once). */
  private toldCancellable = false;
  /** Why the batch was cancelled, once it was: the running request's signal is aborted, and no other request runs. */
  private cancelled: AbortReason | undefined;
  /** Requests cancelled one by one (a queue host's withdrawn job), by position, with why: aborted if running, else not run. */
  private cancelledAt: Map<number, AbortReason> | undefined;

  constructor(
    private readonly tasks: TaskMap,
    readonly message: RunMessage,
    /** The channel to the master: progress (when someone listens) and the news that a task reads its signal go there. */
    private readonly port?: MasterPort,
    /** The keys run here, when the module wants to hear of those it loses (`keyReleased`). */
    private readonly keyMemory?: KeyMemory,
    /**
     * The run must end before `runFrom(0)` returns (a virtual pool's, on the
     * main thread: its clock waits for no promise): a sync generator task
     * is drained at once, and a task that returns a promise or an async
     * generator (or a generator that returns one) fails.
     */
    private readonly synchronous = false,
  ) {
    this.values = new Array<unknown>(message.args.length);
  }

  /** The task of the request at `at` read its signal: it is aborted if the batch is cancelled while that request runs (at once, if it already was). */
  signalRead(at: number, controller: AbortController): void {
    if (at === this.at) this.live = controller;
    const cancelled = this.cancelledReason(at);
    if (cancelled !== undefined) controller.abort(abortReason(cancelled));
    if (this.toldCancellable || !this.port) return;
    this.toldCancellable = true;
    this.port.post({ type: CANCELLABLE, batch: this.message.batch } satisfies CancellableMessage);
  }

  /**
   * The master cancelled this batch's requests (those at `at`, when given):
   * the running one's signal aborts, and the rest do not run.
   */
  abort(reason: AbortReason, at?: readonly number[]): void {
    if (this.cancelled !== undefined) return;
    if (at === undefined) {
      this.cancelled = reason;
      this.live?.abort(abortReason(reason));
      return;
    }
    const cancelledAt = (this.cancelledAt ??= new Map());
    for (const position of at) if (!cancelledAt.has(position)) cancelledAt.set(position, reason);
    if (cancelledAt.has(this.at)) this.live?.abort(abortReason(reason));
  }

  /** Why the request at `at` was cancelled, if it was (with the whole batch, or alone). */
  private cancelledReason(at: number): AbortReason | undefined {
    return this.cancelled ?? this.cancelledAt?.get(at);
  }

  /** Records a task's result at `at`: a result marked with `transfer()` whose list cannot be moved is that request's error. */
  settle(at: number, result: unknown): void {
    this.live = undefined;
    const list: Transferable[] = [];
    const value = unwrapTransfer(result, list);
    if (list.length > 0) {
      const problem = transferProblem(list);
      if (problem !== undefined) {
        this.refuse(at, new TypeError(`its result's ${problem}`));
        return;
      }
      this.transferLists.set(at, list);
    }
    this.values[at] = value;
  }

  /** Whether the result at `at` moves buffers. */
  hasTransferList(at: number): boolean {
    return this.transferLists.has(at);
  }

  /**
   * Checks the result at `at` with its transfer list alone: a structured
   * clone that moves its buffers into the copy, which replaces it (the
   * buffers are then the copy's); a result that cannot be cloned so is refused.
   */
  cloneAlone(at: number): void {
    const list = this.transferLists.get(at) ?? [];
    try {
      const copy = structuredClone({ value: this.values[at], list }, { transfer: list as Transferable[] as never });
      this.values[at] = copy.value;
      this.transferLists.set(at, copy.list);
    } catch (error) {
      this.refuse(at, error);
    }
  }

  /** The result at `at` cannot be sent back: it becomes that request's `DataCloneError`. */
  refuse(at: number, error: unknown): void {
    this.values[at] = undefined;
    this.transferLists.delete(at);
    this.fail(at, uncloneableFailure(at, error));
  }

  /** Every buffer the results move, each once (two results may share one). */
  transferList(): Transferable[] {
    const items = new Set<Transferable>();
    for (const list of this.transferLists.values()) for (const item of list) items.add(item);
    return [...items];
  }

  /** Records a failure (keeping `failures` in position order). */
  fail(at: number, failure: WireFailure): void {
    this.live = undefined;
    const failures = (this.failures ??= []);
    let i = failures.length;
    while (i > 0 && failures[i - 1].at > at) i--;
    failures.splice(i, 0, failure);
  }

  /** Runs from position `from` on; `true` when done, else a promise of the rest. */
  runFrom(from: number): true | Promise<void> {
    const { tasks: names, args, spread, keys, keyRuns } = this.message;
    for (let at = from; at < args.length; at++) {
      const cancelled = this.cancelledReason(at);
      if (cancelled !== undefined) {
        // Cancelled: it never runs (the master has given it its outcome already, or drops it).
        this.fail(at, taskFailure(at, abortReason(cancelled)));
        continue;
      }
      if (keys && keyRuns && at >= this.runEnd) {
        // The next key run (a run is never empty: the message was checked).
        while (at >= this.runEnd) this.runEnd += keyRuns[++this.run];
        this.key = keys[this.run];
        this.keyMemory?.note(this.key);
      }
      const name = typeof names === 'string' ? names : names[at];
      const task = Object.hasOwn(this.tasks, name) ? this.tasks[name] : undefined;
      if (!task) {
        this.fail(at, unknownTaskFailure(at, name, Object.keys(this.tasks)));
        continue;
      }
      let value: unknown;
      // The task reads its request's key as `this.key` and its signal as `this.signal` (an object per request).
      this.at = at;
      const context = new RequestContext(this.key, this, at);
      try {
        value = spread ? task.apply(context, args[at] as unknown[]) : task.call(context, args[at]);
      } catch (error) {
        this.fail(at, taskFailure(at, error));
        continue;
      }
      if (this.synchronous) {
        this.settleNow(at, value);
        continue;
      }
      if (isThenable(value)) return this.awaitResult(at, value);
      if (isGenerator(value)) return this.drainGenerator(at, value);
      this.settle(at, value);
    }
    return true;
  }

  private async drainGenerator(at: number, generator: AnyGenerator): Promise<void> {
    try {
      for (;;) {
        const step = await generator.next();
        if (this.step(at, step)) break;
      }
    } catch (error) {
      closeGenerator(generator);
      this.fail(at, taskFailure(at, error));
    }
    const rest = this.runFrom(at + 1);
    if (rest !== true) await rest;
  }

  /** A generator task's step: its last settles the request (`true`), the others are progress. */
  private step(at: number, step: IteratorResult<unknown, unknown>): boolean {
    if (step.done) {
      this.settle(at, step.value);
      return true;
    }
    if (this.message.progress) this.port?.post({ type: PROGRESS, batch: this.message.batch, at, value: step.value } satisfies ProgressMessage);
    return false;
  }

  /** A synchronous run: settles what the task at `at` returned now; a sync generator is drained, anything that settles later fails. */
  private settleNow(at: number, value: unknown): void {
    if (settlesLater(value)) {
      this.fail(at, taskFailure(at, new TypeError(NOT_SYNCHRONOUS)));
      return;
    }
    if (!isGenerator(value)) {
      this.settle(at, value);
      return;
    }
    const generator = value as Generator<unknown, unknown, undefined>;
    try {
      for (;;) {
        const step = generator.next();
        if (step.done && settlesLater(step.value)) {
          this.fail(at, taskFailure(at, new TypeError(NOT_SYNCHRONOUS)));
          return;
        }
        if (this.step(at, step)) return;
      }
    } catch (error) {
      closeGenerator(generator);
      this.fail(at, taskFailure(at, error));
    }
  }

  private async awaitResult(at: number, pending: PromiseLike<unknown>): Promise<void> {
    try {
      this.settle(at, await pending);
    } catch (error) {
      this.fail(at, taskFailure(at, error));
    }
    const rest = this.runFrom(at + 1);
    if (rest !== true) await rest;
  }
}

/** What a task sees as `this`: its request's key, and its signal, made when the task first reads it. */
class RequestContext implements TaskContext {
  private controller: AbortController | undefined;

  constructor(
    readonly key: Key | undefined,
    private readonly batch: BatchRun,
    private readonly at: number,
  ) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      this.batch.signalRead(this.at, this.controller);
    }
    return this.controller.signal;
  }
}

/** The `reason` a cancelled request's signal is aborted with: a `DOMException`, as `AbortSignal.timeout()` and `abort()` give. */
export function abortReason(reason: AbortReason): DOMException {
  return reason === 'timeout' ? new DOMException('The request timed out', 'TimeoutError') : new DOMException('The request was cancelled', 'AbortError');
}

/**
 * Runs a failed generator task's cleanup (`return()`: a sync generator's
 * now, an async one's later). What the cleanup throws or rejects with is
 * dropped: the request ends with the error that stopped it.
 */
function closeGenerator(generator: AnyGenerator): void {
  try {
    void Promise.resolve(generator.return(undefined)).catch(() => undefined);
  } catch {
    // Dropped, as above.
  }
}

/** A generator task: what it yields is progress, what it returns the result. */
type AnyGenerator = Generator<unknown, unknown, undefined> | AsyncGenerator<unknown, unknown, undefined>;

function isGenerator(value: unknown): value is AnyGenerator {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<AnyGenerator>;
  return typeof candidate.next === 'function' && typeof candidate.throw === 'function' && (Symbol.asyncIterator in value || Symbol.iterator in value);
}

function heapUsed(): number | undefined {
  return typeof process === 'object' && typeof process.memoryUsage === 'function' ? process.memoryUsage().heapUsed : undefined;
}

/** Why a synchronous run fails a task that returned a promise or an async generator. */
const NOT_SYNCHRONOUS = 'a virtual pool runs synchronous tasks (and sync generators) only; this one returned a promise or an async generator';

/** Whether a task's result settles only later: a promise, or an async generator (any async iterable). */
function settlesLater(value: unknown): boolean {
  return isThenable(value) || (typeof value === 'object' && value !== null && Symbol.asyncIterator in value);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
