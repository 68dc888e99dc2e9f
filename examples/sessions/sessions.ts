/**
 * `npm run example:sessions`: a synthetic click stream of 1,000,000 events
 * over 10,000 users, sessionized per user by a 30-minute gap in the events'
 * own timestamps, with a per-session aggregate and real per-event work (each
 * event's JSON payload is parsed). Twice: users uniform, then skewed (one hot
 * user makes 20% of the clicks). Each through `poolPipe` (one instance of
 * the operator per user, in the worker that owns the user), with a live
 * progress line, then through `groupBy` on the main thread; the sessions
 * must be the same, and the speedup is printed.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { groupBy, lastValueFrom, mergeMap, type Observable, from, tap, toArray } from 'rxjs';
import { createPool, type Pool } from '../../src';
import { poolPipe, pullFrom, results } from '../../operators';
import { clickStream, type ClickEvent, sessionize, type UserSession } from './sessionize';
import type { Tasks } from './sessions.worker';

const EVENTS = Number(process.env.SESSIONS_EVENTS ?? 1_000_000);
const USERS = 10_000;

/** A session as one comparable line. */
const line = (session: UserSession): string => `${session.user}:${session.start}:${session.end}:${session.clicks}:${session.dwellMs}:${session.pages}`;

/** Counts what goes by, for the progress line. */
class Progress {
  events = 0;
  sessions = 0;
  private readonly users = new Set<number>();
  private readonly started = performance.now();
  private timer: ReturnType<typeof setInterval> | undefined;

  seen(click: ClickEvent): void {
    this.events++;
    this.users.add(click.user);
  }

  /** Prints a line every 250 ms until stopped; `busy` says how many workers are busy (when there is a pool). */
  start(label: string, busy?: () => number): void {
    const print = (): void => {
      const seconds = (performance.now() - this.started) / 1000;
      const rate = Math.round(this.events / Math.max(seconds, 0.001));
      const workers = busy ? `, workers busy ${busy()}` : '';
      process.stdout.write(
        `\r  ${label}: ${this.events.toLocaleString('en')} events, ${rate.toLocaleString('en')} events/s, keys open ${this.users.size.toLocaleString('en')}, sessions out ${this.sessions.toLocaleString('en')}${workers}   `,
      );
    };
    this.timer = setInterval(print, 250);
    this.stop = () => {
      clearInterval(this.timer);
      print();
      process.stdout.write('\n');
    };
  }

  stop: () => void = () => undefined;
}

/** The sessions of `events` clicks through poolPipe on `pool`, and the time it took. */
async function onThePool(pool: Pool<Tasks>, skew: number): Promise<{ sessions: string[]; ms: number }> {
  const progress = new Progress();
  const clicks = clickStream(EVENTS, USERS, skew);
  const counted = (function* (): Generator<ClickEvent> {
    for (const click of clicks) {
      progress.seen(click);
      yield click;
    }
  })();
  const started = performance.now();
  progress.start('poolPipe       ', () => pool.stats.busy);
  const sessions = await lastValueFrom(
    pullFrom(counted).pipe(
      poolPipe(pool, 'sessionize', { key: (click) => click.user }),
      results(),
      tap(() => progress.sessions++),
      toArray(),
    ),
  );
  const ms = performance.now() - started;
  progress.stop();
  return { sessions: sessions.map(({ value }) => line(value)), ms };
}

/** The same on the main thread: groupBy, and the operator per group. */
async function onTheMainThread(skew: number): Promise<{ sessions: string[]; ms: number }> {
  const progress = new Progress();
  const started = performance.now();
  progress.start('main thread    ');
  const sessions = await lastValueFrom(
    from(clickStream(EVENTS, USERS, skew)).pipe(
      tap((click) => progress.seen(click)),
      groupBy((click) => click.user),
      mergeMap((user$: Observable<ClickEvent>) => sessionize(user$)),
      tap(() => progress.sessions++),
      toArray(),
    ),
  );
  const ms = performance.now() - started;
  progress.stop();
  return { sessions: sessions.map(line), ms };
}

async function main(): Promise<void> {
  console.log(
    `${EVENTS.toLocaleString('en')} clicks over ${USERS.toLocaleString('en')} users, sessions cut by a 30-minute gap, on ${availableParallelism()} CPUs`,
  );
  // One pool for both runs, started (and its workers' modules loaded) before the clock runs.
  const pool = createPool<Tasks>(join(__dirname, 'sessions.worker.ts'), { size: availableParallelism() });
  await pool.ready;
  let ok = true;
  for (const [label, skew] of [
    ['users uniform', 0],
    ['one hot user (20% of the clicks)', 0.2],
  ] as const) {
    console.log(`\n${label}`);
    const workers = await onThePool(pool, skew);
    const main = await onTheMainThread(skew);
    const same = workers.sessions.length === main.sessions.length && workers.sessions.sort().join('\n') === main.sessions.sort().join('\n');
    ok &&= same;
    console.log(
      `  ${workers.sessions.length.toLocaleString('en')} sessions; the same as groupBy on the main thread: ${same ? 'yes' : 'NO'}; ` +
        `poolPipe ${(workers.ms / 1000).toFixed(1)} s, main thread ${(main.ms / 1000).toFixed(1)} s: speedup ${(main.ms / workers.ms).toFixed(2)}×`,
    );
  }
  await pool.close();
  if (!ok) {
    console.error('\nThe sessions differ.');
    process.exitCode = 1;
  }
}

void main();
