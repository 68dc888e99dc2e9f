/**
 * One measurement in a process of its own (so peak RSS is the system's own):
 * `node dist/bench/case.js '<json>'` prints one JSON line of metrics.
 */
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createKeyedSystem, createSystem, isKeyedSystem, type KeyedSystemName, type SystemName } from './systems';
import { type KeyedRequest, keyedRequest, keyOf, KEYS, placeOf } from './tasks';

export type Workload = 'tiny' | 'cpu' | 'payload copy' | 'payload transfer' | 'startup' | 'stream' | 'keyed tiny';

export interface CaseInput {
  /** A keyed system only with the keyed tiny workload; on it, plain `rxjs-threadpool` measures `tiny`. */
  readonly system: SystemName | KeyedSystemName;
  readonly workload: Workload;
  /** burn() iterations that take about 20 ms on this machine. */
  readonly burnIterations: number;
  readonly tinyCount: number;
  readonly streamRate: number;
  readonly streamSeconds: number;
}

export interface CaseOutput {
  readonly metrics: Record<string, number>;
  readonly maxRssMB: number;
}

const MiB = 1024 * 1024;

/**
 * `count` requests whose keys go round the {@link KEYS} keys, each key as often as the others, in an
 * order shuffled irregularly (a seeded Fisher–Yates), the same in every process.
 */
function keyedRequests(count: number): KeyedRequest[] {
  const keys = Array.from({ length: count }, (_, i) => i % KEYS);
  // mulberry32, seeded: the same key sequence for every system and every round.
  let seed = 0x5eed;
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [keys[i], keys[j]] = [keys[j], keys[i]];
  }
  return keys.map((key, i) => keyedRequest(i, key));
}

/**
 * What the keyed systems promise, checked on every result: each request gets one result, and a
 * key's counts come back 1, 2, 3, … in arrival order (counted over the warm-up and the measured run,
 * the same pool serving both). A count out of place means a key's request ran on a worker that had
 * not seen the key's earlier ones, or out of order; the case then fails with the first few. While a
 * run is timed, each result is only written down (two typed-array stores, as a consumer keeping its
 * results would); the check runs after the clock has stopped.
 */
class KeyedCheck {
  /** Requests sent so far per key, over the runs. */
  private readonly sent = new Int32Array(KEYS);
  /** The last count received per key. */
  private readonly received = new Int32Array(KEYS);
  /** This run's expected count per request. */
  private expected = new Int32Array(0);
  /** This run's results in arrival order: the request, and the count it got. */
  private arrivedRequests = new Int32Array(0);
  private arrivedCounts = new Int32Array(0);
  private arrived = 0;
  private readonly problems: string[] = [];
  private problemCount = 0;

  constructor(private readonly system: string) {}

  /** Before a run of `requests` (numbered from 0): each one's expected count. */
  start(requests: readonly KeyedRequest[]): void {
    this.expected = new Int32Array(requests.length);
    // Room for a second result per request: a system that answers twice is caught, not overflowed.
    this.arrivedRequests = new Int32Array(requests.length * 2);
    this.arrivedCounts = new Int32Array(requests.length * 2);
    this.arrived = 0;
    for (const request of requests) this.expected[placeOf(request)] = ++this.sent[keyOf(request)];
  }

  /** A result, as it arrives: written down. */
  readonly done = (request: KeyedRequest, count: number): void => {
    if (this.arrived === this.arrivedRequests.length) {
      this.problem('more results than twice the requests');
      return;
    }
    this.arrivedRequests[this.arrived] = request;
    this.arrivedCounts[this.arrived++] = count;
  };

  /** After a run: checks the results in arrival order; throws, loudly, if anything was out of place or missing. */
  finish(run: string): void {
    const got = new Int32Array(this.expected.length);
    for (let n = 0; n < this.arrived; n++) {
      const request = this.arrivedRequests[n];
      const count = this.arrivedCounts[n];
      const i = placeOf(request);
      const key = keyOf(request);
      const last = this.received[key];
      this.received[key] = count;
      if (got[i] !== 0 || count !== this.expected[i] || count !== last + 1) {
        this.problem(
          got[i] !== 0
            ? `request ${i} (key ${key}) got a second result, ${count}`
            : `request ${i} (key ${key}) got count ${count}: expected ${this.expected[i]}, after ${last} for that key`,
        );
      }
      got[i] = count;
    }
    const missing = got.filter((count) => count === 0).length;
    if (missing > 0) this.problem(`${missing} requests got no result`);
    if (this.problemCount > 0) {
      throw new Error(
        `KEYED ORDER BROKEN: ${this.system}, ${run}: ${this.problemCount} problems; the first:\n  ${this.problems.join('\n  ')}\n` +
          "no number is reported: a key's requests did not all run on the worker holding its count, in arrival order",
      );
    }
  }

  private problem(text: string): void {
    if (this.problemCount++ < 10) this.problems.push(text);
  }
}

/** The keyed tiny workload on a keyed system: warm-up (each key once), then `tinyCount` requests over {@link KEYS} keys, checked. */
async function measureKeyed(input: CaseInput, system: KeyedSystemName, size: number): Promise<Record<string, number>> {
  const keyed = await createKeyedSystem(system, size);
  await keyed.ready();
  try {
    const check = new KeyedCheck(system);
    const warmUp = Array.from({ length: KEYS }, (_, i) => keyedRequest(i, i));
    check.start(warmUp);
    await keyed.runAll(warmUp, check.done);
    check.finish('warm-up');
    const requests = keyedRequests(input.tinyCount);
    check.start(requests);
    const start = performance.now();
    await keyed.runAll(requests, check.done);
    const seconds = (performance.now() - start) / 1000;
    check.finish('measured run');
    return { requestsPerSecond: input.tinyCount / seconds };
  } finally {
    await keyed.close();
  }
}

async function measure(input: CaseInput): Promise<Record<string, number>> {
  const size = availableParallelism();
  if (isKeyedSystem(input.system)) {
    if (input.workload !== 'keyed tiny') throw new Error(`${input.system} runs only the keyed tiny workload`);
    return measureKeyed(input, input.system, size);
  }
  if (input.workload === 'startup') {
    const start = performance.now();
    const system = await createSystem(input.system, size);
    await system.runAll('inc', [1], false);
    const first = performance.now();
    await system.close();
    return { firstResultMs: first - start, closeMs: performance.now() - first };
  }
  const system = await createSystem(input.system, size);
  await system.ready();
  try {
    switch (input.workload) {
      // On keyed tiny, a system that is not keyed (plain rxjs-threadpool) gives its tiny figure, for keyed/unkeyed.
      case 'keyed tiny':
      case 'tiny': {
        await system.runAll(
          'inc',
          Array.from({ length: 1000 }, (_, i) => i),
          false,
        );
        const inputs = Array.from({ length: input.tinyCount }, (_, i) => i);
        const start = performance.now();
        await system.runAll('inc', inputs, false);
        return { requestsPerSecond: input.tinyCount / ((performance.now() - start) / 1000) };
      }
      case 'cpu': {
        await system.runAll('burn', [1000, 1000], false);
        const start = performance.now();
        await system.runAll(
          'burn',
          Array.from({ length: 64 }, () => input.burnIterations),
          false,
        );
        return { wallMs: performance.now() - start };
      }
      case 'payload copy':
      case 'payload transfer': {
        const transfer = input.workload === 'payload transfer';
        const arrays = Array.from({ length: 200 }, () => new Float64Array(MiB / 8).fill(1));
        const start = performance.now();
        await system.runAll('sum', arrays, transfer);
        return { megabytesPerSecond: 200 / ((performance.now() - start) / 1000) };
      }
      case 'stream': {
        const total = input.streamRate * input.streamSeconds;
        const emitted = new Float64Array(total);
        const latencies = new Float64Array(total);
        const delay = monitorEventLoopDelay({ resolution: 1 });
        const stream = system.stream('inc', (i) => (latencies[i] = performance.now() - emitted[i]));
        delay.enable();
        const start = performance.now();
        let sent = 0;
        await new Promise<void>((resolve) => {
          const tick = setInterval(() => {
            const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * input.streamRate));
            for (; sent < due; sent++) {
              emitted[sent] = performance.now();
              stream.push(sent);
            }
            if (sent === total) {
              clearInterval(tick);
              resolve();
            }
          }, 1);
        });
        await stream.end();
        delay.disable();
        const sorted = Array.from(latencies).sort((a, b) => a - b);
        return {
          latencyP50Ms: sorted[Math.floor(total * 0.5)],
          latencyP99Ms: sorted[Math.floor(total * 0.99)],
          eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
        };
      }
    }
  } finally {
    await system.close();
  }
  throw new Error(`unknown workload ${String(input.workload)}`);
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2]) as CaseInput;
  const metrics = await measure(input);
  const output: CaseOutput = { metrics, maxRssMB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
