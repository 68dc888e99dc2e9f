/**
 * One worker slot of the threads executor, and the one state it is in.
 *
 * | transition | from | to |
 * | --- | --- | --- |
 * | `begin` (a thread starts in it) | new | starting |
 * | `ready` (its module is ready) | starting | idle |
 * | `take` (a batch) | idle; busy with room; reserved and empty | busy |
 * | `finish` (a batch) | busy | idle after its last batch, else busy (other states stay) |
 * | `setAside` (for a batch alone) | busy | reserved |
 * | `release` (no batch alone claimed it) | reserved | idle or busy |
 * | `recycle` | idle, busy, reserved | recycling |
 * | `retire` (dismissed while it runs) | busy, reserved, recycling | retiring |
 * | `stop` | any | gone |
 *
 * What the executor counts is read from these states (see
 * {@link WorkerHandle.counted}, {@link WorkerHandle.hasRoom},
 * {@link WorkerHandle.load}), never kept beside them.
 *
 * @module
 */
import type { WorkerRecycleReason } from '../events.js';
import type { SlotId } from '../executor.js';
import { type Batch, BatchWire } from './batchWire.js';
import { RELEASE, type ReleaseMessage, TEARDOWN, type TeardownMessage, type TornDownMessage } from '../messages.js';
import { errorFromRemote } from '../errors.js';
import { isSerializedError } from '../wire.js';
import { stopWorker } from './stopWorker.js';
import type { RuntimeWorker } from './runtime.js';
import type { Declared, WorkerStart } from './workerStart.js';

/**
 * - `new`: made, its thread not started yet (the executor begins one at
 *   once: a slot exists only while it has a thread).
 * - `starting`: its worker is starting (its module loads, then its
 *   `setup` runs).
 * - `idle`: started, running nothing.
 * - `busy`: running 1 to `tasksPerWorker` batches; takes more while it has
 *   room, none while the batch it runs must run alone (a rerun).
 * - `reserved`: set aside for a batch that must run alone on it (a rerun
 *   after a crash): takes no other batch, so it empties, and then that one.
 * - `recycling`: takes no new batch; once its batches are done it is
 *   replaced (`maxTasksPerWorker`, `maxHeapPerWorker`, a malformed reply).
 * - `retiring`: dismissed; takes no new batch, and exits once its batches
 *   are done. No longer counted.
 * - `gone`: stopped (terminated, or being terminated).
 */
export type WorkerState = 'new' | 'starting' | 'idle' | 'busy' | 'reserved' | 'recycling' | 'retiring' | 'gone';

/** Counts the times a worker gained room for a batch: the order of {@link WorkerHandle.roomSince}. */
let roomClock = 0;
/** The last slot id given (slots are numbered across pools: a slot id names one handle for good). */
let lastSlot = 0;
/** The last release message's id. */
let lastRelease = 0;

/** A worker slot: its state, its thread once it has one, and the batches running in it. */
export class WorkerHandle {
  /** The slot it is to the scheduler: keys are placed on it while it lives. */
  readonly slot: SlotId = ++lastSlot;
  private current: WorkerState = 'new';
  /** Its module declared `keyReleased`: it is told of the key groups it loses. */
  private releasesKeys = false;
  /** Releases posted and not yet answered, by id: each is answered once, by the worker or by its end. */
  private readonly releases = new Map<number, () => void>();
  /** The pool's number for its thread (1, 2, … in start order); 0 while new. */
  number = 0;
  private thread: WorkerStart | undefined;
  /** Its module declared a `teardown`. */
  private tearsDown = false;
  /** Ends the wait for its teardown's answer, while one is awaited. */
  private tornDownNow: ((error?: Error) => void) | undefined;
  private batchWire: BatchWire | undefined;
  /** The batches running in it, at most `tasksPerWorker`. */
  private readonly batches: Batch[] = [];
  /** Requests it has run (for `maxTasksPerWorker`). */
  requestsRun = 0;
  /** Why it is being recycled, once it is. */
  recycleReason: WorkerRecycleReason | undefined;
  /** When it last gained room for a batch (a count): of equally loaded workers, the latest gets the next batch. */
  roomSince = 0;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Resolves once its thread has exited (or was given up on), or at once if it never had one. */
  readonly exited: Promise<void>;
  private markExited!: () => void;
  /** Resolves once it is ready (or stopped before); rejects with its start error. */
  readonly started: Promise<void>;
  private settleStart!: (error?: Error) => void;

  constructor(
    /** Batches one worker runs at once (`tasksPerWorker`). */
    private readonly perWorker: number,
  ) {
    this.exited = new Promise<void>((resolve) => (this.markExited = resolve));
    this.started = new Promise<void>((resolve, reject) => {
      this.settleStart = (error) => (error ? reject(error) : resolve());
    });
    this.started.catch(() => undefined);
  }

  get state(): WorkerState {
    return this.current;
  }

  /** Batches running in it. */
  get load(): number {
    return this.batches.length;
  }

  /** Counted in the pool's capacity: every state but `retiring` and `gone`. */
  get counted(): boolean {
    return this.current !== 'retiring' && this.current !== 'gone';
  }

  /** Whether it takes a batch now (one that may share it with others): not while a batch runs alone in it. */
  get hasRoom(): boolean {
    return this.current === 'idle' || (this.current === 'busy' && this.batches.length < this.perWorker && !this.batches[0].alone);
  }

  /** The batches running in it. */
  get running(): readonly Batch[] {
    return this.batches;
  }

  /** Whether `batch` runs in it. */
  runs(batch: Batch): boolean {
    return this.batches.includes(batch);
  }

  /** Its worker, once it has one. */
  get worker(): RuntimeWorker | undefined {
    return this.thread?.worker;
  }

  /** Where its batches travel. */
  get wire(): BatchWire {
    if (!this.batchWire) throw new Error(`rxjs-threadpool: worker #${this.number} has no thread (${this.current})`);
    return this.batchWire;
  }

  private move(to: WorkerState, from: readonly WorkerState[]): void {
    if (!from.includes(this.current)) throw new Error(`rxjs-threadpool: worker #${this.number} cannot go from ${this.current} to ${to}`);
    this.current = to;
  }

  /** new → starting: `thread` is starting in it, numbered `number`. */
  begin(number: number, thread: WorkerStart, memory: boolean): void {
    this.move('starting', ['new']);
    this.number = number;
    this.thread = thread;
    // A thread whose source could not make a worker fails its start before any batch could be sent.
    if (thread.worker) this.batchWire = new BatchWire(thread.worker, number, memory);
  }

  /** starting → idle: the module is ready, having declared what `declared` says. */
  ready({ releases, teardown }: Declared): void {
    this.move('idle', ['starting']);
    this.tearsDown = teardown;
    this.releasesKeys = releases;
    this.roomSince = ++roomClock;
    this.settleStart();
  }

  /** Its start failed: what waits for it (`ready`, `createWorkers`) learns why. Stop it next. */
  failStart(error: Error): void {
    this.settleStart(error);
  }

  /** idle, busy with room, or reserved and empty → busy: `batch` runs in it. */
  take(batch: Batch): void {
    if (this.current === 'reserved' ? this.batches.length > 0 : !this.hasRoom)
      throw new Error(`rxjs-threadpool: worker #${this.number} cannot take a batch (${this.current}, ${this.batches.length} running)`);
    if (this.batches.length === 0) {
      clearTimeout(this.idleTimer);
      this.worker?.hold(true);
    }
    this.batches.push(batch);
    this.current = 'busy';
  }

  /** `batch` has its outcomes: busy → idle after its last batch; other states stay. */
  finish(batch: Batch): void {
    const at = this.batches.indexOf(batch);
    if (at === -1) throw new Error(`rxjs-threadpool: worker #${this.number} does not run that batch`);
    const wasFull = this.batches.length === this.perWorker;
    this.batches.splice(at, 1);
    this.requestsRun += batch.jobs.length;
    if (this.current !== 'busy') return;
    if (this.batches.length === 0) this.current = 'idle';
    if (wasFull || this.batches.length === 0) this.roomSince = ++roomClock;
  }

  /** Whether it takes a batch that must run alone now: it runs nothing, and takes work (idle, or reserved for it). */
  get hasRoomAlone(): boolean {
    return this.batches.length === 0 && (this.current === 'idle' || this.current === 'reserved');
  }

  /**
   * Tells its worker that it lost the keys of `groups` (it runs its
   * `keyReleased` for those it has seen); `released` is called when the
   * worker answers, or at once when it has nothing to be told (no thread
   * yet, or no `keyReleased`), or when it stops first.
   */
  releaseKeys(groups: readonly number[], released: () => void): void {
    const worker = this.worker;
    if (!this.releasesKeys || !worker || this.current === 'gone') {
      released();
      return;
    }
    const id = ++lastRelease;
    this.releases.set(id, released);
    try {
      worker.post({ type: RELEASE, id, groups } satisfies ReleaseMessage);
    } catch {
      this.releases.delete(id);
      released();
    }
  }

  /** Its worker answered the release `id` (an id it was not sent is ignored). */
  keysReleased(id: unknown): void {
    const released = typeof id === 'number' ? this.releases.get(id) : undefined;
    if (!released) return;
    this.releases.delete(id as number);
    released();
  }

  /** busy → reserved: it takes no new batch, so it empties for one that must run alone. */
  setAside(): void {
    this.move('reserved', ['busy']);
  }

  /** reserved → idle or busy: no batch claimed it; it serves everyone again. */
  release(): void {
    this.move(this.batches.length === 0 ? 'idle' : 'busy', ['reserved']);
    this.roomSince = ++roomClock;
  }

  /** idle, busy or reserved → recycling: replaced once its batches are done, for `reason`. A worker already leaving stays as it is. */
  recycle(reason: WorkerRecycleReason): void {
    if (this.current === 'recycling' || this.current === 'retiring') return;
    this.move('recycling', ['idle', 'busy', 'reserved']);
    this.recycleReason = reason;
  }

  /** Whether its thread is up (it started, and has not stopped). */
  get up(): boolean {
    return this.current !== 'new' && this.current !== 'starting' && this.current !== 'gone';
  }

  /** busy, reserved or recycling → retiring: dismissed while it runs batches; it exits once they are done. */
  retire(): void {
    this.move('retiring', ['busy', 'reserved', 'recycling']);
  }

  /**
   * Lets it rest, running nothing: it no longer keeps the process alive,
   * and after `idleTimeout` ms (when given) still idle, `onIdleTimeout` runs.
   */
  rest(idleTimeout: number | undefined, onIdleTimeout: () => void): void {
    this.worker?.hold(false);
    clearTimeout(this.idleTimer);
    if (idleTimeout === undefined) return;
    this.idleTimer = setTimeout(() => this.current === 'idle' && onIdleTimeout(), idleTimeout);
    (this.idleTimer as { unref?: () => void }).unref?.();
  }

  /** Asks its worker to run the module's `teardown`; resolves when it answers (rejects with what the teardown threw). */
  private tearDown(worker: RuntimeWorker): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.tornDownNow = (error) => {
        this.tornDownNow = undefined;
        if (error) reject(error);
        else resolve();
      };
      worker.post({ type: TEARDOWN } satisfies TeardownMessage);
    });
  }

  /** Its worker answered the teardown (an answer it was not asked for is ignored). */
  tornDown(message: TornDownMessage): void {
    const error = message.error;
    this.tornDownNow?.(error === undefined ? undefined : errorFromRemote(isSerializedError(error) ? error : { name: 'Error', message: 'unknown error' }));
  }

  /**
   * any → gone: stops its thread, tearing the module down first when
   * `graceful` and it runs nothing (a busy worker is mid-task; a crashed or
   * stuck one cannot be trusted); each gets `terminateTimeout` ms. Returns
   * the batches that were running, for the caller to end.
   */
  stop(graceful: boolean, terminateTimeout: number): Batch[] {
    if (this.current === 'gone') return [];
    const worker = this.worker;
    const teardown = graceful && this.batches.length === 0 && this.tearsDown && worker && this.up ? () => this.tearDown(worker) : undefined;
    this.current = 'gone';
    const batches = this.batches.splice(0);
    for (const batch of batches) batch.stopTimer();
    clearTimeout(this.idleTimer);
    // Releases it can no longer answer are done: nothing of those keys runs here again.
    const releases = [...this.releases.values()];
    this.releases.clear();
    if (releases.length > 0) queueMicrotask(() => releases.forEach((released) => released()));
    this.batchWire?.clear();
    this.settleStart();
    const thread = this.thread;
    thread?.abandon();
    if (thread?.worker) void stopWorker(thread.worker, teardown, terminateTimeout, this.number).finally(this.markExited);
    else this.markExited();
    return batches;
  }
}
