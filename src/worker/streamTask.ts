/**
 * Stream tasks: an RxJS operator that runs inside the worker, one instance
 * per key, fed over time (`poolPipe` on the main side).
 *
 * `streamTask(operator)` marks a task of `exposeTasks` as a stream task,
 * and carries the runtime that runs its instances ({@link StreamSessions}).
 * This module imports RxJS's types only: `exposeTasks` loads RxJS when a
 * module declares a stream task, before the worker says it is ready, so a
 * worker module that declares none loads nothing of RxJS.
 *
 * @module
 */
// Types only: a worker module that declares no stream task must not load RxJS (a worker's start would pay for it).
// The runtime is handed RxJS's Subject by whoever loaded it (exposeTasks, once it finds a stream task).
import type { Observable, Subject, Subscription } from 'rxjs';
import { InvalidOptionError } from '../errors.js';
import { type Key, keyGroup } from '../keys.js';

/** Marks a stream task (a property under this symbol holds its operator and runtime). */
export const STREAM_TASK: unique symbol = Symbol.for('rxjs-threadpool.streamTask') as never;

/**
 * The operator of a stream task: given one key's values as they arrive
 * (`input$`, which completes when the stream's source completes, the key
 * idles past `keyIdleTimeout`, or the key leaves the worker) and the key,
 * it returns what to emit for that key.
 *
 * @typeParam I - What the stream feeds in.
 * @typeParam O - What it emits.
 *
 * @category Tasks
 */
export type StreamOperator<I, O> = (input$: Observable<I>, key: Key | undefined) => Observable<O>;

/**
 * A stream task, made by {@link streamTask}: a task of `exposeTasks` that
 * `poolPipe` runs. Calling it as a plain task (`poolMap`, `pool.run`)
 * throws, telling to use `poolPipe`.
 *
 * @typeParam I - What the stream feeds in.
 * @typeParam O - What it emits.
 *
 * @category Tasks
 */
export interface StreamTask<I, O> {
  (input: never): never;
  /** Its operator (and, at run time, the runtime that runs it in a worker). */
  readonly [STREAM_TASK]: {
    /** The operator, run once per key. */
    readonly operator: StreamOperator<I, O>;
  };
}

/** What a stream task carries at run time. */
interface StreamTaskBody<I, O> {
  readonly operator: StreamOperator<I, O>;
  readonly Sessions: typeof StreamSessions;
}

/**
 * Declares a stream task: an RxJS operator that runs in the worker, one
 * instance per key, fed the key's values in order (`poolPipe` on the main
 * side).
 *
 * ```ts
 * // clicks.worker.ts
 * export const tasks = exposeTasks({
 *   sessionize: streamTask((input$: Observable<Click>) => input$.pipe(bufferCount(10))),
 * });
 * ```
 *
 * @typeParam I - What the stream feeds in.
 * @typeParam O - What it emits.
 * @param operator - `(input$, key) => output$`, run once per key (again for
 * a key whose instance ended).
 * @returns The task, for `exposeTasks`.
 * @throws InvalidOptionError when `operator` is not a function.
 *
 * @category Tasks
 */
export function streamTask<I, O>(operator: StreamOperator<I, O>): StreamTask<I, O> {
  if (typeof operator !== 'function') throw new InvalidOptionError('streamTask(operator)', operator, 'a function (input$, key) => Observable');
  const task = function streamTaskCalledAsATask(): never {
    throw new TypeError('this task is a stream task (streamTask): run it with poolPipe from rxjs-threadpool/operators, not with poolMap or pool.run');
  };
  Object.defineProperty(task, STREAM_TASK, { value: { operator, Sessions: StreamSessions } satisfies StreamTaskBody<I, O> });
  return task as unknown as StreamTask<I, O>;
}

/** The body of `task` when it is a stream task, else `undefined`. */
export function streamBodyOf(task: unknown): StreamTaskBody<unknown, unknown> | undefined {
  return typeof task === 'function' ? ((task as Partial<Record<typeof STREAM_TASK, StreamTaskBody<unknown, unknown>>>)[STREAM_TASK] ?? undefined) : undefined;
}

/** Where a worker's stream instances send what happens to them. */
export interface StreamEmitter {
  /** The instance of `key` in `session` emitted `value`. */
  output(session: number, key: Key, value: unknown): void;
  /** The instance of `key` ended: completed (no `failure`), or failed with `failure[0]` (after its last output). */
  ended(session: number, key: Key, ...failure: [] | [error: unknown]): void;
  /** Every instance of `session` here has ended, after it was asked to drain ({@link StreamSessions.complete} of all). */
  drained(session: number): void;
}

/** RxJS's Subject class, as the runtime is given it. */
export type SubjectClass = new () => Subject<unknown>;

/** Calls `callback` after `ms` on the worker's clock; returns what cancels it. */
export type Timer = (ms: number, callback: () => void) => () => void;

/** The worker's own clock. */
const realTimer: Timer = (ms, callback) => {
  const timer = setTimeout(callback, ms);
  return () => clearTimeout(timer);
};

/** One key's instance: its input, the subscription to its output, what cancels its idle timer. */
interface Instance {
  readonly input: Subject<unknown>;
  subscription: Subscription | undefined;
  stopIdle: (() => void) | undefined;
}

/** A session's instances in this worker, by key. */
type Session = Map<Key, Instance>;

/**
 * The stream instances of one worker (or of one virtual worker), by
 * session and key: it feeds them, completes or cancels them, and reports
 * their outputs and ends to its emitter.
 */
export class StreamSessions {
  private readonly sessions = new Map<number, Session>();
  /** Sessions asked to drain whose instances have not all ended yet. */
  private readonly draining = new Set<number>();

  constructor(
    private readonly emitter: StreamEmitter,
    /** RxJS's Subject (the worker loaded RxJS for its stream tasks). */
    private readonly Subject: SubjectClass,
    /** The clock `keyIdleTimeout` runs on: the worker's, or a virtual pool's scheduler. */
    private readonly timer: Timer = realTimer,
  ) {}

  /**
   * Feeds `value` to the instance of `key` in `session`, starting one with
   * `operator` when there is none. `unkeyed`: the operator is given no key.
   * `idle`: the instance's input completes after that many ms without a
   * value. Throws what the operator threw when it was started.
   */
  feed(session: number, key: Key, value: unknown, operator: StreamOperator<unknown, unknown>, unkeyed: boolean, idle: number | undefined): void {
    let instances = this.sessions.get(session);
    if (!instances) {
      instances = new Map();
      this.sessions.set(session, instances);
    }
    let instance = instances.get(key);
    if (!instance) instance = this.start(session, instances, key, operator, unkeyed);
    if (idle !== undefined) {
      instance.stopIdle?.();
      const fed = instance;
      fed.stopIdle = this.timer(idle, () => fed.input.complete());
    }
    instance.input.next(value);
  }

  private start(session: number, instances: Session, key: Key, operator: StreamOperator<unknown, unknown>, unkeyed: boolean): Instance {
    const instance: Instance = { input: new this.Subject(), subscription: undefined, stopIdle: undefined };
    const output$ = operator(instance.input.asObservable(), unkeyed ? undefined : key);
    instances.set(key, instance);
    const end = (error?: unknown, failed = false): void => {
      instance.stopIdle?.();
      if (instances.get(key) === instance) instances.delete(key);
      const last = instances.size === 0 && this.sessions.get(session) === instances;
      if (last) this.sessions.delete(session);
      if (failed) this.emitter.ended(session, key, error);
      else this.emitter.ended(session, key);
      if (last && this.draining.delete(session)) this.emitter.drained(session);
    };
    const subscription = output$.subscribe({
      next: (value) => this.emitter.output(session, key, value),
      error: (error: unknown) => end(error, true),
      complete: () => end(),
    });
    // An output that ended while subscribing (synchronously) is already gone; else it is kept to cancel.
    if (instances.get(key) === instance) instance.subscription = subscription;
    return instance;
  }

  /**
   * Completes the inputs of `keys` of `session`: those instances flush and
   * end. Without `keys` the session drains: every instance completes, and
   * once the last has ended (at once when there is none) the emitter hears
   * `drained`.
   */
  complete(session: number, keys?: readonly Key[]): void {
    const instances = this.sessions.get(session);
    if (keys === undefined) {
      if (!instances) {
        this.emitter.drained(session);
        return;
      }
      this.draining.add(session);
    }
    if (!instances) return;
    for (const key of keys ?? [...instances.keys()]) instances.get(key)?.input.complete();
  }

  /** Unsubscribes every instance of `session` (their `finalize` runs); they report no end. */
  cancel(session: number): void {
    this.draining.delete(session);
    const instances = this.sessions.get(session);
    if (!instances) return;
    this.sessions.delete(session);
    for (const instance of instances.values()) {
      instance.stopIdle?.();
      instance.subscription?.unsubscribe();
    }
  }

  /** Unsubscribes every instance of every session (their worker is going away); they report no end. */
  cancelAll(): void {
    for (const session of [...this.sessions.keys()]) this.cancel(session);
  }

  /** The worker lost the keys of `groups`: their instances, in every session, complete (they flush and end). */
  release(groups: readonly number[]): void {
    const lost = new Set(groups);
    for (const [session, instances] of this.sessions) {
      const keys = [...instances.keys()].filter((key) => lost.has(keyGroup(key)));
      if (keys.length > 0) this.complete(session, keys);
    }
  }
}
