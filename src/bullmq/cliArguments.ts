/**
 * The command line of `rxjs-threadpool-serve`, parsed with Node's
 * `util.parseArgs`. Numbers are checked for their form here (digits only)
 * and for their range by `serveTasks`, which names the option.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ServeOptions } from './serveOptions.js';

/** The bin's usage text (`--help`). */
export const usage = `usage: rxjs-threadpool-serve <worker module> --queue NAME [options]

Serves the worker module's tasks to the queue pools (createQueuePool) of the
queue: takes their jobs from Redis and runs them on a pool of worker threads.

  --redis URL               Redis: redis://[user:password@]host:port[/db], rediss:// for TLS
                            (default redis://127.0.0.1:6379)
  --queue NAME              the BullMQ queue (required)
  --threads N               worker threads (default: the number of CPUs)
  --concurrency N           jobs run at once (default: fitted to the jobs)
  --prefix P                BullMQ's key prefix (default bull)
  --lock-duration MS        a job of a host that died is run again after this (default 30000)
  --stalled-interval MS     how often to look for such jobs (default 30000)
  --max-stalled-count N     stalls after which a job fails (default 1)
  --connect-timeout MS      how long the start may take to reach Redis (default 1500)
  --max-job-bytes N         the largest job accepted, its JSON in bytes (default 16777216)
  --max-job-requests N      the most requests a job may carry (default 65536)
  -h, --help                this text
  -v, --version             the version`;

/** A flag of a number, and the `serveTasks` option it sets. */
const numberFlags = {
  threads: 'threads',
  concurrency: 'concurrency',
  'lock-duration': 'lockDuration',
  'stalled-interval': 'stalledInterval',
  'max-stalled-count': 'maxStalledCount',
  'connect-timeout': 'connectTimeout',
  'max-job-bytes': 'maxJobBytes',
  'max-job-requests': 'maxJobRequests',
} as const satisfies Record<string, keyof ServeOptions>;

/** What the command line asks for: to serve a module, or to print the usage or the version. */
export type Command =
  { readonly kind: 'serve'; readonly module: string; readonly options: ServeOptions } | { readonly kind: 'help' } | { readonly kind: 'version' };

/** Parses the command line; throws with the usage on a mistake. */
export function parseArguments(argv: readonly string[]): Command {
  const flags = {
    redis: { type: 'string' },
    queue: { type: 'string' },
    prefix: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
    ...Object.fromEntries(Object.keys(numberFlags).map((name) => [name, { type: 'string' }])),
  } as const;
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof flags; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: flags, allowPositionals: true, strict: true });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${usage}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  if (positionals.length !== 1) throw new Error(`expected one worker module, got ${positionals.length}\n${usage}`);
  if (!values.queue) throw new Error(`--queue is required\n${usage}`);
  const options: Record<string, unknown> = { connection: values.redis ?? 'redis://127.0.0.1:6379', queue: values.queue };
  if (values.prefix !== undefined) options.prefix = values.prefix;
  for (const [flag, option] of Object.entries(numberFlags)) {
    const text = (values as Record<string, string | boolean | undefined>)[flag];
    if (typeof text !== 'string') continue;
    if (!/^\d{1,15}$/.test(text)) throw new Error(`--${flag} must be a whole number, got "${text.length > 40 ? `${text.slice(0, 37)}...` : text}"\n${usage}`);
    options[option] = Number(text);
  }
  return { kind: 'serve', module: resolve(positionals[0]), options: options as unknown as ServeOptions };
}

/**
 * This package's version, from its package.json: the first one named
 * `rxjs-threadpool` above `from` (the running script; in the published
 * package, dist/cjs has a package.json of its own without a name).
 */
export function packageVersion(from: string): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'rxjs-threadpool' && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // No package.json here (or not ours): look further up.
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}
