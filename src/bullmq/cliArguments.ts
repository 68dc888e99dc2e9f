/**
 * The command line of `rxjs-threadpool-serve`.
 *
 * @module
 */
import { resolve } from 'node:path';
import type { ServeOptions } from './serveTasks.js';

const usage = 'usage: rxjs-threadpool-serve <worker module> --redis redis://127.0.0.1:6379 --queue NAME [--threads N] [--concurrency N] [--prefix P] [--lock-duration MS] [--stalled-interval MS] [--max-stalled-count N]';

/** Parses the command line into the module and `serveTasks` options; throws with the usage on a mistake. */
export function parseArguments(argv: readonly string[]): { module: string; options: ServeOptions } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split('=', 2);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value\n${usage}`);
    flags.set(name, value);
  }
  if (positional.length !== 1) throw new Error(`expected one worker module, got ${positional.length}\n${usage}`);
  const known = ['redis', 'queue', 'threads', 'concurrency', 'prefix', 'lock-duration', 'stalled-interval', 'max-stalled-count'];
  for (const name of flags.keys()) if (!known.includes(name)) throw new Error(`unknown flag --${name}\n${usage}`);
  const queue = flags.get('queue');
  if (!queue) throw new Error(`--queue is required\n${usage}`);
  const number = (name: string): number | undefined => {
    const text = flags.get(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value)) throw new Error(`--${name} must be an integer, got "${text}"\n${usage}`);
    return value;
  };
  const entries: [keyof ServeOptions, unknown][] = [
    ['threads', number('threads')],
    ['concurrency', number('concurrency')],
    ['prefix', flags.get('prefix')],
    ['lockDuration', number('lock-duration')],
    ['stalledInterval', number('stalled-interval')],
    ['maxStalledCount', number('max-stalled-count')],
  ];
  const options = { connection: flags.get('redis') ?? 'redis://127.0.0.1:6379', queue, ...Object.fromEntries(entries.filter(([, value]) => value !== undefined)) } as ServeOptions;
  return { module: resolve(positional[0]), options };
}

