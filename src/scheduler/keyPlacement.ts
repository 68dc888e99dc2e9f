/**
 * Where keys run: one table, for the whole pool, from key group to slot
 * (see `src/keys.ts` for groups).
 *
 * The rule:
 *
 * - A group is placed when a request of one of its keys is first
 *   dispatched, on the live slot that owns the fewest groups (so slots hold
 *   about the same number of groups, and with keys hashed evenly over
 *   groups, about the same number of live keys). It stays there while the
 *   slot lives, idle or not, so state a worker keeps per key stays useful.
 * - When a slot ends (crash, dismissal, recycling, idle retirement, close)
 *   its groups are unplaced; their keys are placed again at their next
 *   dispatch. Nothing of them runs on the dead slot any more.
 * - When the pool grows (`createWorkers`), groups move from the slots that
 *   own more than their share (`ceil(placed / slots)`), but only groups
 *   none of whose keys has a batch in flight; they are placed again, on
 *   the slots that own the fewest.
 *   Before a group leaves a live slot, the slot is told (its worker runs
 *   `keyReleased` for the group's keys it has seen) and the group runs
 *   nowhere until it has answered.
 *
 * What this costs the main thread is fixed: two typed arrays of
 * `KEY_GROUPS` entries and a count per slot.
 *
 * @module
 */
import type { SlotId, SlotPlacement } from '../executor.js';
import { KEY_GROUPS } from '../keys.js';

/** A group placed on no slot: its keys are placed at their next dispatch. */
export const UNPLACED = -1;
/** A group leaving a live slot: its keys wait until the slot has released it. */
export const MOVING = -2;

/** The pool's table from key group to slot. */
export class KeyPlacement {
  /** Each group's slot, or {@link UNPLACED}, or {@link MOVING}. */
  private readonly owner = new Int32Array(KEY_GROUPS).fill(UNPLACED);
  /** Keys of each group with a batch in flight (over every pipeline): a group moves only at 0. */
  private readonly inFlight = new Uint32Array(KEY_GROUPS);
  /** Groups each slot owns. */
  private readonly owned = new Map<SlotId, number>();
  /** How many slots there were when last looked at (`rebalance` compares). */
  private knownCount = 0;

  constructor(
    private readonly slots: SlotPlacement,
    /** Groups that left a live slot were released there: their keys may be placed again. */
    private readonly released: (slot: SlotId, groups: readonly number[]) => void,
  ) {}

  /** The slot of `group`, or {@link UNPLACED} / {@link MOVING}. */
  ownerOf(group: number): number {
    return this.owner[group];
  }

  /** Groups placed on `slot`. */
  groupsOn(slot: SlotId): number {
    return this.owned.get(slot) ?? 0;
  }

  /** The slot `group` runs on, placing it first when it has none; `undefined` while it moves, or when there is no slot. */
  place(group: number): SlotId | undefined {
    const current = this.owner[group];
    if (current >= 0) return current;
    if (current === MOVING) return undefined;
    let best: SlotId | undefined;
    let fewest = Infinity;
    for (const slot of this.slots.slots()) {
      const count = this.owned.get(slot) ?? 0;
      if (count < fewest) {
        best = slot;
        fewest = count;
      }
    }
    if (best === undefined) return undefined;
    this.owner[group] = best;
    this.owned.set(best, fewest + 1);
    return best;
  }

  /** A batch with a key of `group` started. */
  started(group: number): void {
    this.inFlight[group]++;
  }

  /** A batch with a key of `group` ended. */
  ended(group: number): void {
    this.inFlight[group]--;
  }

  /** `slot` ended: its groups are unplaced. */
  slotEnded(slot: SlotId): void {
    if (!this.owned.has(slot)) return;
    this.owned.delete(slot);
    const { owner } = this;
    for (let group = 0; group < KEY_GROUPS; group++) if (owner[group] === slot) owner[group] = UNPLACED;
  }

  /**
   * The slots changed: when there are more than before (the pool grew;
   * a replacement in the place of a slot that ended is not growth, and the
   * groups that slot owned go to it as they are dispatched), groups move to
   * the slots that own fewer than their share, from slots over it, as far
   * as groups are free to move (no batch in flight). Each slot that gives
   * groups up is asked to release them first.
   */
  rebalance(): void {
    const slots = this.slots.slots();
    const grew = slots.length > this.knownCount;
    this.knownCount = slots.length;
    if (!grew || slots.length < 2) return;
    let placed = 0;
    for (const slot of slots) placed += this.owned.get(slot) ?? 0;
    const share = Math.ceil(placed / slots.length);
    const moving = new Map<SlotId, number[]>();
    for (const slot of slots) {
      let excess = (this.owned.get(slot) ?? 0) - share;
      if (excess > 0) moving.set(slot, []);
      for (let group = 0; group < KEY_GROUPS && excess > 0; group++) {
        if (this.owner[group] !== slot || this.inFlight[group] > 0) continue;
        this.owner[group] = MOVING;
        moving.get(slot)!.push(group);
        excess--;
      }
    }
    for (const [slot, groups] of moving) {
      if (groups.length === 0) continue;
      this.owned.set(slot, (this.owned.get(slot) ?? 0) - groups.length);
      this.slots.release(slot, groups, () => {
        for (const group of groups) if (this.owner[group] === MOVING) this.owner[group] = UNPLACED;
        this.released(slot, groups);
      });
    }
  }
}
