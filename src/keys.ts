/**
 * Request keys and key groups, shared by the master side and the worker
 * side (both compute a key's group the same way).
 *
 * A keyed pipeline (`poolMap(pool, task, { key })`) gives each request a
 * key: a string or a finite number (`1` and `'1'` are different keys).
 * Keys are placed on workers by group, as Flink places them: a key's group
 * is a hash of the key modulo {@link KEY_GROUPS}, and the scheduler keeps
 * one table from group to worker. So what the main thread keeps is bounded
 * by the groups and by the keys that have requests queued or running, never
 * by every key ever seen.
 *
 * @module
 */
/**
 * A request's key: requests with the same key run one at a time, in arrival
 * order, on the worker that owns the key.
 *
 * @category Keys
 */
export type Key = string | number;

/**
 * How many key groups there are. Fixed: a group is the unit that moves
 * between workers, so it bounds how finely keys spread (a pool uses at most
 * this many workers for keyed work) and what the table costs (4 bytes a
 * group).
 */
export const KEY_GROUPS = 4096;

/** The longest string key accepted (a key travels with each of its requests). */
export const MAX_KEY_LENGTH = 1024;

/** Whether `value` is a usable key. */
export function isKey(value: unknown): value is Key {
  return (typeof value === 'string' && value.length <= MAX_KEY_LENGTH) || (typeof value === 'number' && Number.isFinite(value));
}

/** Why `value` is not a usable key, in words (the kind of value, never its content), or `undefined` when it is one. */
export function keyProblem(value: unknown): string | undefined {
  if (isKey(value)) return undefined;
  if (typeof value === 'string') return `a string of ${value.length} characters, longer than the ${MAX_KEY_LENGTH} accepted`;
  if (typeof value === 'number') return `${value}, not a finite number`;
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : `a value of type ${typeof value}`;
}

/**
 * The group of `key`, from 0 to {@link KEY_GROUPS} − 1: FNV-1a over the
 * key's characters (a number's decimal text), with its type mixed in so
 * `1` and `'1'` hash apart. The same on every side and in every process.
 */
export function keyGroup(key: Key): number {
  const text = typeof key === 'number' ? String(key) : key;
  let hash = typeof key === 'number' ? 0x050c5d1f : 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // Fold the high bits in: the low bits of FNV-1a alone spread short keys poorly.
  hash ^= hash >>> 16;
  return (hash >>> 0) % KEY_GROUPS;
}
