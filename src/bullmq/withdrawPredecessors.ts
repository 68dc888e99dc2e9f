/**
 * What a pool with a stable `id` does when it starts: withdraws the jobs its
 * predecessors (the same `id`, an earlier start) left waiting. A producer
 * that died left them, and nobody reads their results.
 *
 * @module
 */
import type { Queue } from 'bullmq';
import type { JobIds } from './JobIds.js';

/** How many job ids one read of the queue's waiting jobs returns. */
const SCAN_PAGE = 10_000;

/** How many jobs are removed at once. */
const REMOVE_BATCH = 500;

/**
 * Removes the predecessors' jobs no host has started. Those already running
 * finish; their results are dropped. Best effort: a job a host takes
 * meanwhile runs. Stops removing once `stopped()` (the pool was closed).
 */
export async function withdrawPredecessors(queue: Queue, ids: JobIds, stopped: () => boolean): Promise<void> {
  const stale = new Set<string>();
  // Ids only (not the jobs), a page at a time over the waiting, prioritized and delayed jobs. New jobs are
  // pushed at the head of the wait list and hosts take from its tail: a page may repeat ids, not skip them.
  for (let start = 0; ; start += SCAN_PAGE) {
    const page = await queue.getRanges(['wait', 'prioritized', 'delayed'], start, start + SCAN_PAGE - 1);
    if (page.length === 0) break;
    for (const jobId of page) if (ids.isPredecessors(jobId)) stale.add(jobId);
  }
  const all = [...stale];
  for (let i = 0; i < all.length && !stopped(); i += REMOVE_BATCH) {
    // remove() leaves a job a host has locked meanwhile.
    await Promise.all(all.slice(i, i + REMOVE_BATCH).map((jobId) => queue.remove(jobId).catch(() => 0)));
  }
}
