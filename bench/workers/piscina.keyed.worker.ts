// The hand-routed piscina's worker for the keyed tiny workload: each of its single-thread pools keeps the counts of the keys routed to it.
import { countKey, type Key, type KeyedRequest, keyOf } from '../tasks';

const counts = new Map<Key, number>();

export = (request: KeyedRequest): number => countKey(counts, keyOf(request));
