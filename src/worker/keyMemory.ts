/**
 * The keys a worker has run requests of, by key group, so that when the
 * pool moves groups away from it the worker can call `keyReleased` for each
 * of their keys. Kept only when the module declared `keyReleased`, and only
 * until the key is released: a worker that keeps state per key holds at
 * least as much itself.
 *
 * @module
 */
import { type Key, keyGroup } from '../keys.js';

/** The keys seen, by group. */
export class KeyMemory {
  private readonly byGroup = new Map<number, Set<Key>>();
  /** The last key noted: a batch carries a key's requests side by side, so most notes repeat it. */
  private last: Key | undefined;

  /** A request of `key` is about to run here. */
  note(key: Key): void {
    if (key === this.last) return;
    this.last = key;
    const group = keyGroup(key);
    let keys = this.byGroup.get(group);
    if (!keys) {
      keys = new Set();
      this.byGroup.set(group, keys);
    }
    keys.add(key);
  }

  /** Forgets the keys of `groups`, returning them (each once, in the order first seen per group). */
  release(groups: readonly number[]): Key[] {
    const keys: Key[] = [];
    for (const group of groups) {
      const seen = this.byGroup.get(group);
      if (!seen) continue;
      this.byGroup.delete(group);
      for (const key of seen) keys.push(key);
    }
    this.last = undefined;
    return keys;
  }
}
