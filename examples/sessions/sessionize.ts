/**
 * The sessions example's data and operator, shared by the example
 * (`npm run example:sessions`), its worker and the bench's `keyed stream`
 * workload: a synthetic click stream, and sessionization by an inactivity
 * gap on the events' own timestamps (so every run gives the same sessions).
 *
 * @module
 */
import { endWith, mergeMap, type Observable, scan } from 'rxjs';

/** A click: its user, when it happened (ms, the event's own clock), and a JSON payload the operator parses. */
export interface ClickEvent {
  readonly user: number;
  readonly at: number;
  readonly payload: string;
}

/** A user's session: its first and last click, how many, and what the payloads add up to. */
export interface UserSession {
  readonly user: number;
  readonly start: number;
  readonly end: number;
  readonly clicks: number;
  /** Sum of the payloads' `dwellMs`. */
  readonly dwellMs: number;
  /** Distinct pages (by the payloads' `page`), counted. */
  readonly pages: number;
}

/** A session ends after this long without a click of its user (event time). */
export const SESSION_GAP_MS = 30 * 60_000;

/** A seeded PRNG (mulberry32): the same stream in every process. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * `count` clicks of `users` users, in event-time order. `skew`: one user
 * (user 0) makes that share of all clicks (0: uniform). Each click carries
 * a JSON payload of about 20 fields: parsing it is the per-event work
 * (a few µs).
 */
export function* clickStream(count: number, users: number, skew = 0, seed = 42): Generator<ClickEvent> {
  const next = random(seed);
  // The payloads are made once and picked from: making one costs the main thread as much as parsing it costs
  // the operator, and the work to measure is the parsing.
  const payloads: string[] = [];
  for (let p = 0; p < 4096; p++) {
    const fields: Record<string, number | string | boolean> = { page: `/p/${Math.floor(next() * 500)}`, dwellMs: Math.floor(next() * 5000) };
    for (let f = 0; f < 18; f++) fields[`f${f}`] = f % 3 === 0 ? `v${Math.floor(next() * 1e6)}` : f % 3 === 1 ? Math.floor(next() * 1e6) : next() < 0.5;
    payloads.push(JSON.stringify(fields));
  }
  let at = 0;
  for (let i = 0; i < count; i++) {
    // Event time advances so that a user's clicks come about 20 minutes apart on average (some sessions go
    // on, some end: the gap is 30 minutes), whatever the number of users.
    at += Math.floor(next() * ((2 * 20 * 60_000) / users));
    const user = skew > 0 && next() < skew ? 0 : Math.floor(next() * users);
    yield { user, at, payload: payloads[Math.floor(next() * payloads.length)] };
  }
}

/** An open session, with the pages it saw so far. */
interface Open {
  readonly start: number;
  end: number;
  clicks: number;
  dwellMs: number;
  readonly pages: Set<string>;
}

const closed = (user: number, open: Open): UserSession => ({
  user,
  start: open.start,
  end: open.end,
  clicks: open.clicks,
  dwellMs: open.dwellMs,
  pages: open.pages.size,
});

/**
 * One user's clicks cut into sessions by {@link SESSION_GAP_MS} of event
 * time; a session goes out when the next one starts, the last when the
 * input completes.
 */
export const sessionize = (clicks$: Observable<ClickEvent>): Observable<UserSession> =>
  clicks$.pipe(
    endWith(null),
    scan<ClickEvent | null, { user: number; open?: Open; done?: UserSession }>(
      (state, click) => {
        if (click === null) return { user: state.user, done: state.open && closed(state.user, state.open) };
        const payload = JSON.parse(click.payload) as { page: string; dwellMs: number };
        const { open } = state;
        if (open && click.at - open.end <= SESSION_GAP_MS) {
          open.end = click.at;
          open.clicks++;
          open.dwellMs += payload.dwellMs;
          open.pages.add(payload.page);
          return { user: click.user, open };
        }
        const fresh: Open = { start: click.at, end: click.at, clicks: 1, dwellMs: payload.dwellMs, pages: new Set([payload.page]) };
        return { user: click.user, open: fresh, done: open && closed(click.user, open) };
      },
      { user: -1 },
    ),
    mergeMap(({ done }) => (done ? [done] : [])),
  );
