// KeyedQueue and KeyPlacement (units): per-key lines, even shares, reruns alone, placement by fewest groups,
// a slot that ends, growth with releases.
import type { SlotId, SlotPlacement } from '../../src/executor';
import { KEY_GROUPS, keyGroup } from '../../src/keys';
import { workRequest } from '../../src/requests';
import { KeyedQueue } from '../../src/scheduler/keyedQueue';
import { KeyPlacement, MOVING, UNPLACED } from '../../src/scheduler/keyPlacement';

/** Slots answered by hand: releases wait until the test answers them. */
class HandSlots implements SlotPlacement {
  live: SlotId[] = [];
  readonly pending: { slot: SlotId; groups: readonly number[]; released: () => void }[] = [];
  slots(): readonly SlotId[] {
    return this.live;
  }
  hasRoom(): boolean {
    return true;
  }
  release(slot: SlotId, groups: readonly number[], released: () => void): void {
    this.pending.push({ slot, groups, released });
  }
}

function setUp(slots: SlotId[]): { hand: HandSlots; placement: KeyPlacement; queue: KeyedQueue; released: number[][] } {
  const hand = new HandSlots();
  hand.live = slots;
  const released: number[][] = [];
  const placement = new KeyPlacement(hand, (_slot, groups) => released.push([...groups]));
  return { hand, placement, queue: new KeyedQueue('task', placement), released };
}

const push = (queue: KeyedQueue, key: string, n: number, ticket = n): void => queue.push(key, workRequest([n]), ticket, 'task', undefined);
const keysOf = (jobs: readonly { key?: unknown }[]): unknown[] => jobs.map((job) => job.key);

describe('KeyedQueue', () => {
  test('a batch takes an even share of each ready key, in ring order; a key is not ready again until its batch ends', () => {
    const { queue, placement } = setUp([1]);
    for (let n = 0; n < 6; n++) push(queue, 'hot', n);
    push(queue, 'a', 10);
    push(queue, 'b', 11);
    const slot = placement.place(keyGroup('hot'))!;
    const first = queue.take(slot, 6)!;
    // Three keys, six places: two of each (a and b have one each, so the second pass fills from hot).
    expect(keysOf(first.jobs)).toEqual(['hot', 'hot', 'a', 'b', 'hot', 'hot']);
    expect(first.jobs.filter((job) => job.key === 'hot').map((job) => job.args[0])).toEqual([0, 1, 2, 3]);
    // Every key is in flight: nothing more to take, though hot still has requests.
    expect(queue.take(slot, 6)).toBeUndefined();
    expect(queue.length).toBe(2);
    queue.ended(first);
    expect(keysOf(queue.take(slot, 6)!.jobs)).toEqual(['hot', 'hot']);
    expect(queue.keys).toBe(1);
  });

  test('a rerun is put back at the front of its key and travels alone; lines with nothing left are dropped', () => {
    const { queue, placement } = setUp([1]);
    push(queue, 'k', 1);
    push(queue, 'k', 2);
    push(queue, 'k', 3);
    const slot = placement.place(keyGroup('k'))!;
    const batch = queue.take(slot, 2)!;
    expect(batch.jobs.map((job) => job.args[0])).toEqual([1, 2]);
    batch.jobs[1].rerun = true;
    queue.ended(batch, [batch.jobs[1]]);
    expect(queue.nextIsRerun(slot)).toBe(true);
    const rerun = queue.take(slot, 10)!;
    expect(rerun).toMatchObject({ alone: true });
    expect(rerun.jobs.map((job) => job.args[0])).toEqual([2]);
    queue.ended(rerun);
    const rest = queue.take(slot, 10)!;
    expect(rest.jobs.map((job) => job.args[0])).toEqual([3]);
    queue.ended(rest);
    expect(queue.keys).toBe(0);
    expect(queue.length).toBe(0);
  });

  test('drop-oldest takes the oldest request over every key; drain gives every request in arrival order', () => {
    const { queue } = setUp([1]);
    push(queue, 'a', 5, 5);
    push(queue, 'b', 2, 2);
    push(queue, 'a', 7, 7);
    expect(queue.shift()!.ticket).toBe(2);
    expect(queue.keys).toBe(1);
    push(queue, 'c', 1, 1);
    expect(queue.drain().map((job) => job.ticket)).toEqual([1, 5, 7]);
    expect(queue.length).toBe(0);
  });

  test('a slot that ends: its ready keys wait, and are placed at the next dispatch, on the slot that replaced it', () => {
    const { queue, placement, hand } = setUp([1, 2]);
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    keys.forEach((key, i) => push(queue, key, i));
    const onOne = keys.filter((key) => placement.ownerOf(keyGroup(key)) === 1);
    expect(onOne.length).toBeGreaterThan(0);
    // Slot 1 crashes; its replacement 3 is added after it ended.
    hand.live = [2];
    placement.slotEnded(1);
    queue.slotEnded(1);
    hand.live = [2, 3];
    queue.placeWaiting();
    for (const key of onOne) expect(placement.ownerOf(keyGroup(key))).toBe(3);
    expect(queue.readySlots().sort()).toEqual([2, 3]);
  });
});

describe('KeyPlacement', () => {
  test('each group goes to the slot that owns the fewest, and stays', () => {
    const { placement } = setUp([1, 2, 3]);
    for (let group = 0; group < 300; group++) placement.place(group);
    expect([1, 2, 3].map((slot) => placement.groupsOn(slot))).toEqual([100, 100, 100]);
    expect(placement.place(7)).toBe(placement.ownerOf(7));
  });

  test('growth moves groups with nothing in flight to the new slot, after the old slot released them', () => {
    const { placement, hand, released } = setUp([1]);
    placement.rebalance();
    for (let group = 0; group < 10; group++) placement.place(group);
    placement.started(0); // group 0 has a batch in flight: it does not move
    hand.live = [1, 2];
    placement.rebalance();
    expect(hand.pending).toHaveLength(1);
    const [{ slot, groups, released: done }] = hand.pending;
    expect(slot).toBe(1);
    expect(groups).toHaveLength(5);
    expect(groups).not.toContain(0);
    for (const group of groups) expect(placement.ownerOf(group)).toBe(MOVING);
    // Until the old slot answers, the moving groups go nowhere.
    expect(placement.place(groups[0])).toBeUndefined();
    done();
    expect(released).toEqual([groups]);
    for (const group of groups) expect(placement.ownerOf(group)).toBe(UNPLACED);
    for (const group of groups) expect(placement.place(group)).toBe(2);
    expect(placement.groupsOn(1)).toBe(5);
    expect(placement.groupsOn(2)).toBe(5);
  });

  test('a replacement in the place of a slot that ended is not growth: nothing moves off live slots', () => {
    const { placement, hand } = setUp([1, 2]);
    placement.rebalance();
    for (let group = 0; group < KEY_GROUPS; group += 8) placement.place(group);
    hand.live = [2, 3];
    placement.slotEnded(1);
    placement.rebalance();
    expect(hand.pending).toHaveLength(0);
  });
});
