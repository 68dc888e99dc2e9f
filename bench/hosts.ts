/** Worker host processes for the distributed benchmarks: started as separate `node` processes, stopped with SIGKILL. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** The compiled tree (dist/), where the benchmarks run from. */
export const root = join(__dirname, '..');

/** The arguments of a host process: ours (`rxjs-threadpool-serve`, one thread) or plain BullMQ's at `concurrency`. */
export function hostArguments(kind: 'ours' | 'plain', url: string, queue: string, concurrency = 8): string[] {
  return kind === 'ours'
    ? [join(root, 'src/bullmq/cli.js'), join(root, 'bench/workers/ours.worker.js'), '--redis', url, '--queue', queue, '--threads', '1']
    : [join(root, 'bench/bullmqHost.js'), url, queue, String(concurrency)];
}

/** Starts a host process (with `env` added to this process's environment) and resolves once it serves. */
export function startHost(args: readonly string[], env?: Readonly<Record<string, string>>): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) });
  let text = '';
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('serving')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`host exited (${code}) before serving:\n${text}`)));
  });
}

/** Kills the hosts and resolves once they have exited. */
export async function stopHosts(hosts: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    hosts.map(
      (host) =>
        new Promise<void>((resolve) => {
          if (host.exitCode !== null) return resolve();
          host.once('exit', () => resolve());
          host.kill('SIGKILL');
        }),
    ),
  );
}
