/**
 * Waiting at most so long for something that may never finish: a worker's
 * teardown or terminate, a connection's close.
 *
 * @module
 */

/**
 * Waits for `work` at most `ms` milliseconds. Resolves to `true` when `work`
 * settled in time, whether it fulfilled or rejected (what it settled with is
 * the caller's business: attach your own handler to `work` first), `false`
 * when the time ran out first (`work` goes on, unwatched). Never rejects.
 *
 * The timer does not keep the process alive: a deadline limits how long to
 * wait, it is no reason to stay. If nothing else holds the process (the
 * work itself, a ref'd worker or socket), it may exit before either.
 */
export function withDeadline(work: PromiseLike<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    (timer as { unref?: () => void }).unref?.();
    const settled = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    work.then(settled, settled);
  });
}
