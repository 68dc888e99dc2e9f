/**
 * Which worker takes a batch: the least-loaded one with room, or the one a
 * keyed batch is placed on; and for a batch that must run alone (a rerun
 * after a crash, with `tasksPerWorker` > 1), a worker set aside to empty.
 *
 * @module
 */
import type { WorkerHandle } from './WorkerHandle.js';

/**
 * The worker of a slot (`handle`) for a batch placed on it, if it takes one
 * now; for a batch `alone` (`perWorker` > 1) a busy one is set aside to empty.
 */
export function claimWorker(handle: WorkerHandle, alone: boolean, perWorker: number): WorkerHandle | undefined {
  if (!alone || perWorker === 1) return handle.hasRoom ? handle : undefined;
  if (handle.hasRoomAlone) return handle;
  if (handle.state === 'busy') handle.setAside();
  return undefined;
}

/**
 * The worker for the next batch, of `handles`: of those with room, the least
 * loaded (of equals, the one that got room last, so that unneeded ones stay
 * idle and retire). A batch `alone` (`perWorker` > 1) takes only a worker
 * running nothing; when every one runs something, the least loaded is set
 * aside (it takes no new batch, so it empties while the others go on
 * working), and the next batch alone gets it.
 */
export function pickWorker(handles: Iterable<WorkerHandle>, alone: boolean, perWorker: number): WorkerHandle | undefined {
  let best: WorkerHandle | undefined;
  let reserved: WorkerHandle | undefined;
  for (const handle of handles) {
    if (handle.state === 'reserved') reserved = handle;
    else if (handle.hasRoom && (!best || handle.load < best.load || (handle.load === best.load && handle.roomSince > best.roomSince))) best = handle;
  }
  if (!alone || perWorker === 1) return best;
  if (reserved?.load === 0) return reserved;
  if (best?.load === 0) return best;
  if (!reserved) best?.setAside();
  return undefined;
}
