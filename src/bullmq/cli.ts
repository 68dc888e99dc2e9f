#!/usr/bin/env node
/**
 * `rxjs-threadpool-serve <module> --redis redis://127.0.0.1:6379 --queue NAME --threads N`:
 * a worker host (see `serveTasks`) as a command. Logs to stderr; exits 1
 * when the module cannot be loaded or Redis cannot be reached; closes
 * gracefully (running jobs finish) on SIGINT or SIGTERM.
 *
 * Other flags: `--concurrency N`, `--prefix P`, `--lock-duration MS`,
 * `--stalled-interval MS`, `--max-stalled-count N`.
 *
 * @module
 */
import { parseArguments } from './cliArguments.js';
import { serveTasks } from './serveTasks.js';

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseArguments>;
  try {
    parsed = parseArguments(process.argv.slice(2));
  } catch (error) {
    console.error(`rxjs-threadpool-serve: ${(error as Error).message}`);
    process.exit(2);
  }
  const { module, options } = parsed;
  let server: Awaited<ReturnType<typeof serveTasks>>;
  try {
    server = await serveTasks(module, options);
  } catch (error) {
    console.error(`rxjs-threadpool-serve: cannot serve ${module}: ${(error as Error).message}`);
    process.exit(1);
  }
  console.error(`rxjs-threadpool-serve: serving ${module} on queue "${options.queue}" at ${String(options.connection)} with ${server.pool.size} threads (pid ${process.pid})`);
  const stop = (signal: string): void => {
    console.error(`rxjs-threadpool-serve: ${signal}: finishing running jobs, then exiting`);
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

void main();
