/**
 * A keyed pipeline's queue: one first-in-first-out line per key, and the
 * keys ready to run (a line with requests, none of them in flight) in a
 * ring per slot that owns them.
 *
 * - Per-key order: a key's requests leave its line in arrival order, and a
 *   key has at most one batch in flight (its line is `running` from the
 *   batch's start to its end), so they run one at a time, in order.
 * - Interleaving: a batch for a slot takes the keys at the front of that
 *   slot's ring and an even share of the batch from each, so a hot key's
 *   backlog holds up the other keys of its slot for at most one batch;
 *   a key whose batch ends goes to the back of the ring.
 * - Memory: a line lives while its key has requests queued or in flight,
 *   and is dropped when it has neither.
 *
 * Which slot owns a key is the pool's {@link KeyPlacement}'s; a line is
 * put in the ring of its group's slot when it becomes ready, moved when its
 * slot ended or its group moved, and otherwise checked when it is taken (a
 * line found in the wrong ring moves to the right one).
 *
 * @module
 */
import type { SlotId } from '../executor.js';
import { type Key, keyGroup } from '../keys.js';
import type { WorkRequest } from '../requests.js';
import type { Transferable } from '../transfer.js';
import { JobQueue, QueueCount, type QueuedJob } from './jobQueue.js';
import { MOVING, UNPLACED } from './keyPlacement.js';

/** The ring of lines whose group has no slot yet (or whose executor places nothing). */
const NOWHERE = -1;

/** Where a line is: in the ring of a slot (or {@link NOWHERE}), held while its group moves, or in no ring (running, or empty). */
const HELD = -2;
const OUT = -3;

/** One key's requests. */
export class KeyLine {
  readonly queue: JobQueue;
  readonly group: number;
  /** A batch with its requests is in flight. */
  running = false;
  /** Its ring (a slot, or {@link NOWHERE}), {@link HELD}, or {@link OUT}. */
  where = OUT;

  constructor(
    readonly key: Key,
    task: string,
    count: QueueCount,
  ) {
    this.queue = new JobQueue(task, key, count);
    this.group = keyGroup(key);
  }
}

/** Lines in the order they take turns: taken from the front, returned to the back. */
class Ring {
  private items: KeyLine[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(line: KeyLine): void {
    this.items.push(line);
  }

  peek(): KeyLine | undefined {
    return this.items[this.head];
  }

  shift(): KeyLine | undefined {
    if (this.head === this.items.length) return undefined;
    const line = this.items[this.head++];
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return line;
  }

  /** Empties it, returning its lines in order. */
  drain(): KeyLine[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }

  /** Takes out the lines `leaves` picks, keeping the others in order; returns those taken. */
  extract(leaves: (line: KeyLine) => boolean): KeyLine[] {
    const kept: KeyLine[] = [];
    const taken: KeyLine[] = [];
    for (let at = this.head; at < this.items.length; at++) (leaves(this.items[at]) ? taken : kept).push(this.items[at]);
    this.items = kept;
    this.head = 0;
    return taken;
  }
}

/** Where the lines' groups run: the pool's key placement, or none (an executor without affinity). */
export interface LinePlacement {
  /** The slot of `group`, placing it when it has none; `undefined` while it moves or when no slot exists. */
  place(group: number): SlotId | undefined;
  /** The slot of `group` as it stands: a slot, `UNPLACED` or `MOVING`. */
  ownerOf(group: number): number;
}

/** A batch taken for a slot. */
export interface KeyedTake {
  readonly jobs: QueuedJob[];
  /** It is one rerun: it must run alone on its worker. */
  readonly alone: boolean;
  /** The lines of the keys it carries, each once (their keys are in flight until it ends). */
  readonly lines: readonly KeyLine[];
}

/** A keyed pipeline's requests, by key. */
export class KeyedQueue {
  /** Lines with requests queued or in flight. */
  private readonly lines = new Map<Key, KeyLine>();
  /** Ready lines by the slot that owns their group ({@link NOWHERE}: not placed yet). */
  private readonly rings = new Map<number, Ring>();
  /** Ready lines whose group is moving between slots. */
  private held: KeyLine[] = [];
  /** Requests queued over every line. */
  private queuedCount = 0;

  constructor(
    private readonly task: string,
    /** `undefined`: the executor has no affinity; every ready line waits in one ring. */
    private readonly placement: LinePlacement | undefined,
    /** The pool's count of queued requests, which its lines' changes go to. */
    private readonly count = new QueueCount(),
  ) {}

  /** Requests queued (not in flight). */
  get length(): number {
    return this.queuedCount;
  }

  /** Keys with requests queued or in flight. */
  get keys(): number {
    return this.lines.size;
  }

  /** Queues a request of `key`. */
  push(key: Key, request: WorkRequest<readonly unknown[]>, ticket: number, task: string, transfer: readonly Transferable[] | undefined, queuedAt = 0): void {
    let line = this.lines.get(key);
    if (!line) {
      line = new KeyLine(key, this.task, this.count);
      this.lines.set(key, line);
    }
    line.queue.push(request, ticket, task, transfer, queuedAt);
    this.queuedCount++;
    if (!line.running && line.where === OUT) this.ready(line);
  }

  /** The slots with ready lines ({@link NOWHERE} first, if it has some: its lines are placed when taken). */
  readySlots(): number[] {
    const slots: number[] = [];
    for (const [slot, ring] of this.rings) if (ring.size > 0) slots.push(slot);
    return slots;
  }

  /** Places the lines that wait for a slot: each goes to its group's slot (placing the group), or is held while it moves. */
  placeWaiting(): void {
    const nowhere = this.rings.get(NOWHERE);
    if (!nowhere || nowhere.size === 0 || !this.placement) return;
    for (const line of nowhere.drain()) {
      line.where = OUT;
      this.ready(line);
    }
  }

  /** Whether the next batch for `slot` would be a rerun (it must run alone); false when its ring is empty. */
  nextIsRerun(slot: number): boolean {
    const line = this.rings.get(slot)?.peek();
    return line !== undefined && line.queue.nextIsRerun();
  }

  /**
   * Takes a batch of up to `size` requests for `slot` from the lines at the
   * front of its ring, an even share from each (the rest again when they
   * do not fill it), and marks their keys running. A line whose head is a
   * rerun travels alone: first in the ring, it is the whole batch; behind
   * others, it waits for the next. A line found in the wrong ring (its
   * group moved) goes to the right one. `undefined` when nothing was taken.
   */
  take(slot: number, size: number): KeyedTake | undefined {
    const ring = this.rings.get(slot);
    if (!ring || ring.size === 0) return undefined;
    const lines: KeyLine[] = [];
    let skipped: KeyLine[] | undefined;
    while (lines.length < size && ring.size > 0) {
      const line = ring.shift()!;
      line.where = OUT;
      if (this.placement && slot !== NOWHERE && this.placement.ownerOf(line.group) !== slot) {
        this.ready(line);
        continue;
      }
      if (line.queue.nextIsRerun()) {
        if (lines.length === 0) {
          line.running = true;
          this.queuedCount--;
          return { jobs: [line.queue.shift()!], alone: true, lines: [line] };
        }
        (skipped ??= []).push(line);
        continue;
      }
      lines.push(line);
    }
    if (skipped) for (const line of skipped) this.ready(line);
    if (lines.length === 0) return undefined;
    const jobs: QueuedJob[] = [];
    const share = Math.max(1, Math.floor(size / lines.length));
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      line.running = true;
      line.queue.takeInto(jobs, share);
    }
    // A second pass fills what the even shares left, in the same order of keys.
    for (let i = 0; i < lines.length && jobs.length < size; i++) {
      const { queue } = lines[i];
      if (queue.length > 0 && !queue.nextIsRerun()) queue.takeInto(jobs, size - jobs.length);
    }
    this.queuedCount -= jobs.length;
    return { jobs, alone: false, lines };
  }

  /**
   * A batch taken from these lines ended, or could not start: each key is
   * no longer running; `putBack` jobs go back to the front of their lines,
   * in order (a batch that could not start, or reruns), and lines with
   * requests left are ready again; empty lines are dropped.
   */
  ended({ lines }: KeyedTake, putBack?: readonly QueuedJob[]): void {
    if (putBack && putBack.length > 0) {
      for (let i = putBack.length - 1; i >= 0; i--) {
        const line = this.lines.get(putBack[i].key!)!;
        line.queue.putBack([putBack[i]]);
        this.queuedCount++;
      }
    }
    for (const line of lines) {
      if (!line.running) continue;
      line.running = false;
      if (line.queue.length > 0) this.ready(line);
      else this.lines.delete(line.key);
    }
  }

  /**
   * `slot` ended: its ready lines wait for a new slot, placed at the next
   * dispatch ({@link KeyedQueue.placeWaiting}), not now: the slot that
   * replaces a crashed one is added after it ended, and should get them.
   */
  slotEnded(slot: number): void {
    const ring = this.rings.get(slot);
    if (!ring) return;
    this.rings.delete(slot);
    const lines = ring.drain();
    if (lines.length === 0) return;
    let nowhere = this.rings.get(NOWHERE);
    if (!nowhere) {
      nowhere = new Ring();
      this.rings.set(NOWHERE, nowhere);
    }
    for (const line of lines) {
      nowhere.push(line);
      line.where = NOWHERE;
    }
  }

  /** `groups` left `slot` (released there): their ready lines, there or held, wait for a new slot. */
  regroup(slot: number, groups: readonly number[]): void {
    const moved = new Set(groups);
    const lines = [...(this.rings.get(slot)?.extract((line) => moved.has(line.group)) ?? [])];
    const held = this.held;
    this.held = [];
    for (const line of held) (moved.has(line.group) ? lines : this.held).push(line);
    for (const line of lines) {
      line.where = OUT;
      this.ready(line);
    }
  }

  /** The oldest queued request's job, taken out (for `queue.overflow: 'drop-oldest'`); `undefined` when none is queued. */
  shift(): QueuedJob | undefined {
    let oldest: KeyLine | undefined;
    let oldestTicket = Infinity;
    for (const line of this.lines.values()) {
      const ticket = line.queue.headTicket();
      if (ticket !== undefined && ticket < oldestTicket) {
        oldest = line;
        oldestTicket = ticket;
      }
    }
    if (!oldest) return undefined;
    const job = oldest.queue.shift()!;
    this.queuedCount--;
    if (oldest.queue.length === 0 && !oldest.running) this.drop(oldest);
    return job;
  }

  /** Empties it: every queued request's job, in arrival order. */
  drain(): QueuedJob[] {
    const jobs: QueuedJob[] = [];
    for (const line of this.lines.values()) for (const job of line.queue.drain()) jobs.push(job);
    jobs.sort((a, b) => a.ticket - b.ticket);
    this.lines.clear();
    this.rings.clear();
    this.held = [];
    this.queuedCount = 0;
    return jobs;
  }

  /** Puts a line with requests, none in flight, in the ring of its group's slot (or holds it while its group moves). */
  private ready(line: KeyLine): void {
    let slot = NOWHERE;
    if (this.placement) {
      const owner = this.placement.ownerOf(line.group);
      if (owner === MOVING) {
        line.where = HELD;
        this.held.push(line);
        return;
      }
      slot = owner === UNPLACED ? (this.placement.place(line.group) ?? NOWHERE) : owner;
    }
    let ring = this.rings.get(slot);
    if (!ring) {
      ring = new Ring();
      this.rings.set(slot, ring);
    }
    ring.push(line);
    line.where = slot;
  }

  /** Forgets a line with nothing queued or in flight. */
  private drop(line: KeyLine): void {
    if (line.where >= NOWHERE) this.rings.get(line.where)?.extract((each) => each === line);
    else if (line.where === HELD) this.held = this.held.filter((each) => each !== line);
    this.lines.delete(line.key);
  }
}
