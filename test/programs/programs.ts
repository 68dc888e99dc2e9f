/**
 * The programs some suites need besides Node (redis-server, Chromium):
 * where they are, and the message a suite fails with when one is missing.
 * `REDIS_URL` and `CHROMIUM_PATH` point the tests at a Redis or a browser
 * that is already there (a Redis in Docker, a Chrome of your own).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** A program a suite may need. */
export type Program = 'redis-server' | 'redis' | 'chromium';

/** The executable `command` on PATH, if any. */
export function onPath(command: string): string | undefined {
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    if (folder === '') continue;
    const candidate = join(folder, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The Chromium (or Chrome) to drive: `CHROMIUM_PATH`, else Debian's, else one on PATH. */
export function chromiumPath(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const command of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    const found = onPath(command);
    if (found) return found;
  }
  return undefined;
}

/** Whether `program` is there: a Redis to connect to (`REDIS_URL`, or the one globalSetup started), the redis-server program, or Chromium. */
export function isAvailable(program: Program): boolean {
  if (program === 'redis') return Boolean(process.env.RXJS_THREADPOOL_TEST_REDIS);
  if (program === 'redis-server') return onPath('redis-server') !== undefined;
  return chromiumPath() !== undefined;
}

/** What `what` (a suite, a README block) fails with when `program` is missing: the program, the command that installs it, the way around. */
export function missingMessage(program: Program, what: string): string {
  if (program === 'chromium') {
    return (
      `${what} needs Chromium, which is not installed: sudo apt-get install -y chromium (Debian/Ubuntu), ` +
      'or set CHROMIUM_PATH to a Chromium or Chrome executable.'
    );
  }
  const server = `${what} needs redis-server, which is not installed: sudo apt-get install -y redis-server (Debian/Ubuntu; brew install redis on macOS)`;
  return program === 'redis'
    ? `${server}, or set REDIS_URL to a running Redis (docker run -d -p 6379:6379 redis, then REDIS_URL=redis://127.0.0.1:6379).`
    : `${server}; this suite stops and starts its own server, so REDIS_URL is not enough.`;
}
