/**
 * Running one batch in the worker: its requests one after another (a
 * generator task's yields go out as progress), each outcome kept by
 * position, and one reply with them all, narrowed to the results that
 * cannot travel when it cannot be posted whole.
 *
 * @module
 */
import { DONE, type DoneMessage, PROGRESS, type ProgressMessage, type RunMessage } from '../messages.js';
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

/**
 * Runs the batch (or the part of one) of a run message from the master and
 * replies on `port`; a malformed message is refused, never run. A part that
 * follows one still running starts when that one has finished.
 */
export function runBatch(tasks: TaskMap, port: MasterPort, message: RunMessage, keys?: KeyMemory): void {
  // The master is trusted, but checked: a malformed run message is refused, never run.
  const { batch, follows } = message;
  const problem =
    typeof batch !== 'number'
      ? 'batch is not a number'
      : follows !== undefined && typeof follows !== 'number'
        ? `follows must be a message id, got ${kindOf(follows)}`
        : batchProblem(message);
  if (problem !== undefined) {
    if (typeof batch === 'number') port.post({ type: DONE, batch, values: [], refused: problem } satisfies DoneMessage);
    return;
  }
  const previous = follows === undefined ? undefined : running.get(follows);
  const pending = previous ? previous.then(() => runNow(tasks, port, message, keys)) : runNow(tasks, port, message, keys);
  if (!pending) return;
  running.set(batch, pending);
  void pending.then(() => running.delete(batch));
}

/** Runs a checked run message now; a promise of when it has replied, unless it finished at once. */
function runNow(tasks: TaskMap, port: MasterPort, message: RunMessage, keys: KeyMemory | undefined): Promise<void> | undefined {
  const started = performance.now();
  const run = new BatchRun(tasks, message, message.progress ? port : undefined, keys);
  const finished = run.runFrom(0);
  if (finished === true) {
    reply(port, run, performance.now() - started);
    return undefined;
  }
  return finished.then(() => reply(port, run, performance.now() - started));
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
  /** What the tasks see as `this`: one per key run of a keyed batch (its requests share the key), else {@link NO_KEY}. */
  private context: TaskContext = NO_KEY;
  /** The key run the requests from here on are in, and the position where it ends. */
  private run = -1;
  private runEnd = 0;

  constructor(
    private readonly tasks: TaskMap,
    readonly message: RunMessage,
    /** Where progress goes; none when nobody listens for it. */
    private readonly progressPort?: MasterPort,
    /** The keys run here, when the module wants to hear of those it loses (`keyReleased`). */
    private readonly keyMemory?: KeyMemory,
  ) {
    this.values = new Array<unknown>(message.args.length);
  }

  /** Records a task's result at `at`: a result marked with `transfer()` whose list cannot be moved is that request's error. */
  settle(at: number, result: unknown): void {
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
    const failures = (this.failures ??= []);
    let i = failures.length;
    while (i > 0 && failures[i - 1].at > at) i--;
    failures.splice(i, 0, failure);
  }

  /** Runs from position `from` on; `true` when done, else a promise of the rest. */
  runFrom(from: number): true | Promise<void> {
    const { tasks: names, args, spread, keys, keyRuns } = this.message;
    for (let at = from; at < args.length; at++) {
      if (keys && keyRuns && at >= this.runEnd) {
        // The next key run (a run is never empty: the message was checked).
        while (at >= this.runEnd) this.runEnd += keyRuns[++this.run];
        const key = keys[this.run];
        this.context = { key };
        this.keyMemory?.note(key);
      }
      const name = typeof names === 'string' ? names : names[at];
      const task = Object.hasOwn(this.tasks, name) ? this.tasks[name] : undefined;
      if (!task) {
        this.fail(at, unknownTaskFailure(at, name, Object.keys(this.tasks)));
        continue;
      }
      let value: unknown;
      // The task reads its request's key as `this.key` (an object per key run, which an async task may read late).
      const { context } = this;
      try {
        value = spread ? task.apply(context, args[at] as unknown[]) : task.call(context, args[at]);
      } catch (error) {
        this.fail(at, taskFailure(at, error));
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
        if (step.done) {
          this.settle(at, step.value);
          break;
        }
        this.progressPort?.post({ type: PROGRESS, batch: this.message.batch, at, value: step.value } satisfies ProgressMessage);
      }
    } catch (error) {
      void Promise.resolve(generator.return(undefined)).catch(() => undefined);
      this.fail(at, taskFailure(at, error));
    }
    const rest = this.runFrom(at + 1);
    if (rest !== true) await rest;
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

/** What a task of an unkeyed request sees as `this`. */
const NO_KEY: TaskContext = Object.freeze({ key: undefined });

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

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
