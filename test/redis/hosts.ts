/**
 * Worker hosts for the queue tests: `rxjs-threadpool-serve` (src/bullmq/cli.ts,
 * through ts-node) serving test/fixtures/queue.worker.ts, each a separate
 * `node` process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const repo = join(__dirname, '..', '..');
const cli = join(repo, 'src', 'bullmq', 'cli.ts');
export const queueWorker = join(repo, 'test', 'fixtures', 'queue.worker.ts');

/** A running host process. */
export interface Host {
  readonly child: ChildProcess;
  /** Its stderr so far. */
  readonly log: () => string;
  /** Resolves with its exit code (or signal) when it has exited. */
  readonly exited: Promise<number | string | null>;
  /** Whether it is still running. */
  readonly alive: () => boolean;
}

/** The Redis URL globalSetup started. */
export function testRedisUrl(): string {
  const url = process.env.RXJS_THREADPOOL_TEST_REDIS;
  if (!url) throw new Error('no test Redis: run the queue tests through jest (globalSetup starts redis-server)');
  return url;
}

/** A queue name no other test uses. */
export function uniqueQueue(name: string): string {
  return `${name}-${process.pid}-${Date.now()}`;
}

/**
 * Spawns a host (with `env` added to this process's environment) and
 * resolves once it serves (it logs "serving"); rejects with its log when it
 * exits first or does not serve within 30 s.
 */
export function startHost(redisUrl: string, queue: string, args: readonly string[] = [], module = queueWorker, env?: NodeJS.ProcessEnv): Promise<Host> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', cli, module, '--redis', redisUrl, '--queue', queue, ...args], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  let text = '';
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const host: Host = { child, log: () => text, exited, alive: () => child.exitCode === null && child.signalCode === null };
  return new Promise<Host>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Given up on: it must not outlive the suite (a host left running keeps Jest from exiting).
      child.kill('SIGKILL');
      reject(new Error(`host did not start within 30 s:\n${text}`));
    }, 30_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('serving')) {
        clearTimeout(timer);
        resolve(host);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`host exited (${String(code)}) before serving:\n${text}`));
    });
  });
}

/**
 * Resolves once the log of one of `hosts` matches `pattern` (at once if one
 * already does); rejects with their logs after `ms`.
 */
export function waitForLog(hosts: readonly Host[], pattern: RegExp, ms = 10_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const check = (): boolean => {
      if (!hosts.some((host) => pattern.test(host.log()))) return false;
      stop();
      resolve();
      return true;
    };
    const stop = (): void => {
      clearTimeout(timer);
      for (const host of hosts) host.child.stderr?.off('data', check);
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no host logged ${String(pattern)} within ${ms} ms:\n${hosts.map((host) => host.log()).join('\n---\n')}`));
    }, ms);
    // 'data' listeners run in order: startHost's, added first, has appended the chunk to the log when this one runs.
    if (!check()) for (const host of hosts) host.child.stderr?.on('data', check);
  });
}

/** Stops hosts: SIGTERM (they finish their jobs), then SIGKILL after 5 s. */
export async function stopHosts(hosts: readonly Host[]): Promise<void> {
  await Promise.all(
    hosts.map(async (host) => {
      if (host.child.exitCode !== null || host.child.signalCode !== null) return;
      host.child.kill('SIGTERM');
      const timer = setTimeout(() => host.child.kill('SIGKILL'), 5000);
      await host.exited;
      clearTimeout(timer);
    }),
  );
}
