#!/usr/bin/env node
/**
 * `rxjs-threadpool-serve <module> --redis redis://127.0.0.1:6379 --queue NAME --threads N`:
 * a worker host (see `serveTasks`) as a command. Logs to stderr; exits 2 on
 * a usage mistake (a flag unknown, malformed or out of range), 1 when the
 * module cannot be loaded or Redis cannot be reached; closes gracefully
 * (running jobs finish) on SIGINT or SIGTERM. `--help` lists the flags.
 *
 * @module
 */
import { realpathSync } from 'node:fs';
import { InvalidOptionError } from '../errors.js';
import { type Command, packageVersion, parseArguments, usage } from './cliArguments.js';

async function main(): Promise<void> {
  let command: Command;
  try {
    command = parseArguments(process.argv.slice(2));
  } catch (error) {
    console.error(`rxjs-threadpool-serve: ${(error as Error).message}`);
    process.exit(2);
  }
  if (command.kind === 'help') {
    console.log(usage);
    return;
  }
  if (command.kind === 'version') {
    console.log(packageVersion(realpathSync(process.argv[1])));
    return;
  }
  const { module, options } = command;
  // Loaded here, not at the top: --help and --version work without the optional peers bullmq and ioredis.
  let serveTasks: typeof import('./serveTasks.js').serveTasks;
  try {
    ({ serveTasks } = await import('./serveTasks.js'));
  } catch (error) {
    console.error(
      `rxjs-threadpool-serve: cannot load bullmq and ioredis (optional peer dependencies: npm install bullmq ioredis): ${(error as Error).message}`,
    );
    process.exit(1);
  }
  let server: Awaited<ReturnType<typeof serveTasks>>;
  try {
    server = await serveTasks(module, options);
  } catch (error) {
    if (error instanceof InvalidOptionError) {
      console.error(`rxjs-threadpool-serve: ${error.message}\n${usage}`);
      process.exit(2);
    }
    console.error(`rxjs-threadpool-serve: cannot serve ${module}: ${(error as Error).message}`);
    process.exit(1);
  }
  console.error(
    `rxjs-threadpool-serve: serving ${module} on queue "${options.queue}" at ${redacted(String(options.connection))} with ${server.pool.size} threads (pid ${process.pid})`,
  );
  const stop = (signal: string): void => {
    console.error(`rxjs-threadpool-serve: ${signal}: finishing running jobs, then exiting`);
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/** The Redis URL without its password, for the log. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

void main();
