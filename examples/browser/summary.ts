/**
 * What a run of the browser example leaves in `window.runSummary` (the
 * end-to-end test reads it). Plain data, no DOM: Node code imports it too.
 */
export interface RunSummary {
  done: boolean;
  total: number;
  /** The pool's size. */
  workers: number;
  /** The page's own global scope class (`Window`), to compare with the workers'. */
  mainScope: string;
  results: { id: number; limit: number; count: number; scope: string; inWorker: boolean; worker: string }[];
  errors: {
    id: number;
    limit: number;
    name: string;
    code: string | undefined;
    message: string;
    causeName: string | undefined;
    causeCode: string | undefined;
    causeMessage: string | undefined;
  }[];
  elapsedMs: number;
  /** Main-thread timer ticks (every 16 ms) while the run went on, and the longest pause between two of them. */
  ticksDuringRun: number;
  maxGapMs: number;
  /** Whether `pool.close()` had resolved when the run ended. */
  poolClosed: boolean;
  /** Any failure of the run itself (not of a request). */
  failure?: string;
}
