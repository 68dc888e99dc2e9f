// Item 12 of the faults issue: random mixes of successes, throws, crashes, timeouts, resizes and
// unsubscriptions on real workers; every request id appears at most once, exactly once when its
// pipeline was not cancelled, with the outcome its kind calls for; and stats$ adds up. The contract
// issue adds tasksPerWorker > 1: a request sharing a worker with one that crashes or times out still
// gets its own outcome (an 'ok' request never ends with another's crash).
import fc from 'fast-check';
import { filter, firstValueFrom, from, take, toArray } from 'rxjs';
import { createPool, type Outcome, type PoolStats, TaskError, TaskTimeoutError, WorkerCrashedError, workRequest } from '../src';
import { poolMap } from '../operators';
import type { FaultTasks } from './fixtures/faults.worker';
import { closePools, fixture, runtimes, track } from './helpers';

afterEach(closePools);

type Kind = 'ok' | 'throw' | 'crash' | 'hang';
type Step = { readonly kind: Kind; readonly ms: number; readonly resize: 'none' | 'grow' | 'shrink' };

const step: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom<Kind>(...(Array(14).fill('ok') as Kind[]), 'throw', 'throw', 'throw', 'crash', 'hang'),
  ms: fc.integer({ min: 0, max: 30 }),
  resize: fc.constantFrom<Step['resize']>(...(Array(8).fill('none') as Step['resize'][]), 'grow', 'shrink'),
});

// Long enough that a crash is always seen before it: a main thread stalled past the timeout (a long collection on a
// loaded CI) runs the expired timer before the worker's exit event, and a crashing request then ends as timed out.
const TIMEOUT = 1000;

test.each(runtimes)(
  'every request yields at most one outcome, exactly one unless cancelled, and stats$ adds up (%s workers)',
  async (runtime) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 30 }),
        fc.option(fc.nat(30), { nil: undefined }),
        fc.constantFrom(1, 2, 3),
        async (steps, cancelAfter, tasksPerWorker) => {
          const pool = track(createPool<FaultTasks>(fixture('faults.worker.ts'), { runtime, size: 2, tasksPerWorker }));
          const requests = steps.map((s, n) => workRequest([s.kind, n, s.ms] as [Kind, number, number]));
          const kindOf = new Map(requests.map((request, n) => [request.id, steps[n].kind]));
          const seen: Outcome<[Kind, number, number], number>[] = [];
          const cancelled = cancelAfter !== undefined && cancelAfter < steps.length;
          let live = 2;
          const outcomes = from(requests).pipe(poolMap(pool, 'act', { timeout: TIMEOUT }), cancelled ? take(cancelAfter) : (source) => source);
          await new Promise<void>((resolve, reject) =>
            outcomes.subscribe({
              next: (outcome) => {
                seen.push(outcome);
                // Resize while the pipeline runs, as the step says (keeping at least one worker).
                const { resize } = steps[outcome.request.args[1]];
                if (resize === 'grow' && live < 4) {
                  live++;
                  pool.createWorkers(1).catch(() => undefined); // rejects with PoolClosedError if the pool closes first
                } else if (resize === 'shrink' && live > 1) {
                  live--;
                  void pool.dismissWorkers(1);
                }
              },
              error: reject,
              complete: resolve,
            }),
          );
          const ids = seen.map(({ request }) => request.id);
          expect(new Set(ids).size).toBe(ids.length);
          if (!cancelled) expect(ids.sort((a, b) => a - b)).toEqual(requests.map(({ id }) => id));
          for (const outcome of seen) {
            const kind = kindOf.get(outcome.request.id);
            if (kind === 'ok') expect(outcome.ok ? outcome.value : outcome.error.message).toBe(outcome.request.args[1]);
            else if (kind === 'throw') expect(!outcome.ok && outcome.error).toBeInstanceOf(TaskError);
            else if (kind === 'crash') expect(!outcome.ok && outcome.error).toBeInstanceOf(WorkerCrashedError);
            else expect(!outcome.ok && outcome.error).toBeInstanceOf(TaskTimeoutError);
          }
          // Abandoned requests finish in the background; then the counters must add up.
          const stats: PoolStats = await firstValueFrom(pool.stats$.pipe(filter((s) => s.busy === 0 && s.queued === 0)));
          expect(stats.workers).toBe(live);
          if (!cancelled) {
            expect(stats.completed).toBe(seen.filter((outcome) => outcome.ok).length);
            expect(stats.failed).toBe(seen.filter((outcome) => !outcome.ok).length);
          } else {
            expect(stats.completed + stats.failed).toBeGreaterThanOrEqual(seen.length);
            expect(stats.completed + stats.failed).toBeLessThanOrEqual(requests.length);
          }
          await pool.close();
        },
      ),
      // A failure is reported at once with its example: shrinking real-worker runs could outlast the test's time.
      { numRuns: 16, endOnFailure: true },
    );
  },
  120_000,
);
