/**
 * One measurement in a process of its own (so peak RSS is the system's own):
 * `node dist/bench/case.js '<json>'` prints one JSON line of metrics.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { type ClickEvent, clickStream, SESSION_GAP_MS, type UserSession } from '../examples/sessions/sessionize';
import { sessionsFile } from './measure';
import {
  createKeyedSystem,
  createSessionSystem,
  createSystem,
  isKeyedSystem,
  isSessionSystem,
  type KeyedSystemName,
  type SessionSystemName,
  type SystemName,
} from './systems';
import { type KeyedRequest, keyedRequest, keyOf, KEYS, placeOf, SESSION_USERS, sessionLine } from './tasks';

export type Workload = 'tiny' | 'cpu' | 'payload copy' | 'payload transfer' | 'startup' | 'stream' | 'keyed tiny' | 'keyed stream';

export interface CaseInput {
  /**
   * A keyed system only with the keyed tiny workload; on it, plain `rxjs-threadpool` measures `tiny`.
   * A session system only with the keyed stream workload (`piscina hand-routed` is both: each workload has its own).
   */
  readonly system: SystemName | KeyedSystemName | SessionSystemName;
  readonly workload: Workload;
  /** burn() iterations that take about 20 ms on this machine. */
  readonly burnIterations: number;
  readonly tinyCount: number;
  readonly streamRate: number;
  readonly streamSeconds: number;
  /** The keyed stream workload's clicks (over {@link SESSION_USERS} users). */
  readonly clickCount: number;
}

export interface CaseOutput {
  readonly metrics: Record<string, number>;
  readonly maxRssMB: number;
  /**
   * On the keyed stream workload: a digest of the run's sessions (their sorted {@link sessionLine}s),
   * the same for every system and round when they all made the same sessions; the lines are kept in
   * {@link sessionsFile} for a diff.
   */
  readonly digest?: string;
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

/** Clicks of the keyed stream workload's warm-up (its own seed): every user about twice. */
const WARM_UP_CLICKS = 20_000;

/**
 * What any sessionization of `clicks` must give, checked after the clock stops (a run that breaks it
 * fails the case, loudly): every click in exactly one session (the sessions' clicks add up to the
 * clicks, and each user's to that user's), and a user's sessions apart by more than
 * {@link SESSION_GAP_MS} (closer ones would have been one session: what clicks fed out of order, or
 * to two instances of one user, give). Returns the sessions' sorted lines.
 */
function checkSessions(system: string, run: string, clicks: readonly ClickEvent[], sessions: readonly UserSession[]): string[] {
  const problems: string[] = [];
  const problem = (text: string): void => void (problems.length < 10 && problems.push(text));
  const clicksOf = new Int32Array(SESSION_USERS);
  for (const click of clicks) clicksOf[click.user]++;
  const byUser = new Map<number, UserSession[]>();
  for (const session of sessions) {
    if (!Number.isInteger(session.user) || session.user < 0 || session.user >= SESSION_USERS) {
      problem(`a session of no user: ${JSON.stringify(session)}`);
      continue;
    }
    clicksOf[session.user] -= session.clicks;
    if (!(session.clicks >= 1 && session.start <= session.end && session.pages >= 1 && session.pages <= session.clicks))
      problem(`a malformed session: ${sessionLine(session)}`);
    const mine = byUser.get(session.user);
    if (mine) mine.push(session);
    else byUser.set(session.user, [session]);
  }
  for (let user = 0; user < SESSION_USERS; user++) {
    if (clicksOf[user] !== 0)
      problem(`user ${user}: its sessions count ${clicksOf[user] > 0 ? `${clicksOf[user]} clicks fewer` : `${-clicksOf[user]} clicks more`} than it made`);
  }
  for (const [user, mine] of byUser) {
    mine.sort((a, b) => a.start - b.start);
    for (let i = 1; i < mine.length; i++) {
      if (mine[i].start - mine[i - 1].end <= SESSION_GAP_MS)
        problem(`user ${user}: sessions ${sessionLine(mine[i - 1])} and ${sessionLine(mine[i])} overlap or are within the gap`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `SESSIONS WRONG: ${system}, ${run}: ${sessions.length} sessions of ${clicks.length} clicks; the first problems:\n  ${problems.join('\n  ')}`,
    );
  }
  return sessions.map(sessionLine).sort();
}

/** The longest a keyed stream run may take before its case fails as hung. */
const RUN_LIMIT_MS = 120_000;

/**
 * Waits for `run`, failing the case if it has not ended in {@link RUN_LIMIT_MS} (HUNG, with
 * `progress()`), so a system that stops answering fails loudly instead of stalling the bench. (Its timer
 * also holds the process; since the fix that made an open poolPipe hold it, no system relies on that.)
 */
async function held<T>(what: string, run: Promise<T>, progress: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`HUNG: ${what} had not ended after ${RUN_LIMIT_MS / 1000} s (${progress()})`)), RUN_LIMIT_MS);
  });
  try {
    return await Promise.race([run, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The keyed stream workload: the sessionization of `clickCount` clicks over {@link SESSION_USERS}
 * users (built before the clock starts, the same in every process), after a warm-up of
 * {@link WARM_UP_CLICKS} other clicks; events/s, and the main thread's event-loop delay p99 while the
 * measured run goes. Each session is only kept while the clock runs; both runs' sessions are checked
 * after it stops (checkSessions), and the measured run's digest goes out for run.ts to compare
 * across systems.
 */
async function measureSessions(input: CaseInput, system: SessionSystemName, size: number): Promise<{ metrics: Record<string, number>; digest: string }> {
  const warmUp = Array.from(clickStream(WARM_UP_CLICKS, SESSION_USERS, 0, 7));
  const clicks = Array.from(clickStream(input.clickCount, SESSION_USERS, 0, 42));
  const sessions = await createSessionSystem(system, size);
  await sessions.ready();
  try {
    const warmUpSessions: UserSession[] = [];
    await held(
      `${system}, warm-up`,
      sessions.run(warmUp, (session) => void warmUpSessions.push(session)),
      () => `${warmUpSessions.length} sessions so far`,
    );
    checkSessions(system, 'warm-up', warmUp, warmUpSessions);
    const made: UserSession[] = [];
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    // The monitor's first tick only starts its clock: let it come before the run, or a run that never yields records nothing.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const start = performance.now();
    await held(
      `${system}, measured run`,
      sessions.run(clicks, (session) => void made.push(session)),
      () => `${made.length} sessions so far`,
    );
    const seconds = (performance.now() - start) / 1000;
    // A timer's turn before the monitor stops: it records the delay of the run's last stretch (all of it, for a run that never yields).
    await new Promise((resolve) => setTimeout(resolve, 5));
    delay.disable();
    const lines = checkSessions(system, 'measured run', clicks, made);
    const text = `${lines.join('\n')}\n`;
    writeFileSync(sessionsFile(system), text);
    return {
      metrics: { eventsPerSecond: clicks.length / seconds, eventLoopDelayP99Ms: delay.percentile(99) / 1e6, sessions: made.length },
      digest: createHash('sha256').update(text).digest('hex').slice(0, 16),
    };
  } finally {
    await sessions.close();
  }
}

async function measure(input: CaseInput): Promise<Record<string, number>> {
  const size = availableParallelism();
  if (isKeyedSystem(input.system)) {
    if (input.workload !== 'keyed tiny') throw new Error(`${input.system} runs only the keyed tiny workload`);
    return measureKeyed(input, input.system, size);
  }
  if (isSessionSystem(input.system)) throw new Error(`${input.system} runs only the keyed stream workload`);
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
  if (input.workload === 'keyed stream') {
    if (!isSessionSystem(input.system)) throw new Error(`${input.system} does not run the keyed stream workload`);
    const { metrics, digest } = await measureSessions(input, input.system, availableParallelism());
    const output: CaseOutput = { metrics, digest, maxRssMB: process.resourceUsage().maxRSS / 1024 };
    process.stdout.write(`${JSON.stringify(output)}\n`);
    return;
  }
  const metrics = await measure(input);
  const output: CaseOutput = { metrics, maxRssMB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
