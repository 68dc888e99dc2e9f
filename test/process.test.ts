// A pool's effect on its process's life, in child processes: close frees everything, an idle pool is
// forgotten, a pool with work keeps the process alive until the work is done; and the pool leaves the
// process's signals to the application.
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { closePools, fixture, runtimes, tasksPool } from './helpers';

afterEach(closePools);

interface Line {
  readonly at: number;
  readonly closed?: boolean;
  readonly idle?: boolean;
  readonly result?: unknown;
  readonly signal?: string;
  readonly late?: unknown;
  readonly workers?: number;
}

/** Runs the child script in `mode`, its pool's workers of `runtime`; resolves with its output lines and when it exited (ms since epoch). */
function runChild(mode: string, runtime: (typeof runtimes)[number] = 'thread'): Promise<{ lines: Line[]; exitedAt: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', fixture('child-pool.ts'), mode, runtime],
      { timeout: 20_000 },
      (error, stdout, stderr) => {
        const exitedAt = Date.now();
        if (error && error.killed) {
          reject(new Error(`child "${mode}" did not exit on its own within 20 s\n${stderr}`));
          return;
        }
        const lines = stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Line);
        resolve({ lines, exitedAt, code: child.exitCode });
      },
    );
  });
}

describe.each(runtimes)('a pool and its process (%s workers)', (runtime) => {
  test('a process that opens, uses and closes a pool exits promptly after close, on its own', async () => {
    const { lines, exitedAt, code } = await runChild('close', runtime);
    expect(code).toBe(0);
    expect(lines).toEqual([expect.objectContaining({ closed: true })]);
    // The promise is that close() leaves nothing that keeps the process alive: it ends right after it.
    // Something left behind shows as a wait of a timer's length (threads.js's is 10 s) or no exit at all
    // (the child is killed at 20 s); 5 s tells those apart and leaves a loaded CI machine room to exit.
    expect(exitedAt - lines[0].at).toBeLessThan(5000);
  });

  test('a forgotten idle pool does not keep the process alive', async () => {
    const { lines, code } = await runChild('forget-idle', runtime);
    expect(code).toBe(0);
    expect(lines).toEqual([expect.objectContaining({ idle: true })]);
  });

  test('a forgotten pool with a request running keeps the process alive until the result is out', async () => {
    const { lines, code } = await runChild('forget-busy', runtime);
    expect(code).toBe(0);
    expect(lines).toEqual([expect.objectContaining({ result: 800 })]);
  });

  test('a stream (poolPipe) keeps the process alive until its instances have drained and its output completed', async () => {
    const { lines, code } = await runChild('forget-stream', runtime);
    expect(code).toBe(0);
    const results = lines.filter((line) => line.result !== undefined).map((line) => line.result);
    expect(results.sort()).toEqual(['a=4', 'b=2']);
    expect(lines.at(-1)).toEqual(expect.objectContaining({ closed: true }));
  });

  test('a forgotten pool with a request queued keeps the process alive until a worker serves it', async () => {
    const { lines, code } = await runChild('forget-queued', runtime);
    expect(code).toBe(0);
    expect(lines).toEqual([expect.objectContaining({ result: 7 })]);
  });
});

describe('shutting down', () => {
  test('SIGTERM with the recipe of docs/production.md drains the pool: requests in hand finish, a later one is refused, and the process exits 0', async () => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', fixture('child-pool.ts'), 'drain-on-sigterm'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: Line[] = [];
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    for await (const text of createInterface({ input: child.stdout })) {
      const line = JSON.parse(text) as Line;
      lines.push(line);
      if (line.result === 100) child.kill('SIGTERM');
    }
    const code = await exited;
    clearTimeout(killer);
    expect(code).toBe(0);
    const signalAt = lines.findIndex((line) => line.signal === 'SIGTERM');
    expect(signalAt).toBeGreaterThan(0);
    // The two long requests were running when the signal came: they finished after it, then the pool closed.
    const after = lines.slice(signalAt + 1);
    expect(after.filter((line) => line.result !== undefined).map((line) => line.result)).toEqual([2000, 2000]);
    expect(after.find((line) => line.late !== undefined)?.late).toBe('ERR_POOL_CLOSED');
    expect(lines.at(-1)).toEqual(expect.objectContaining({ closed: true }));
  });

  test("pool[Symbol.asyncDispose]() (what `await using` calls) closes the pool, on Node's own symbol", async () => {
    const { lines, code } = await runChild('dispose');
    expect(code).toBe(0);
    expect(lines).toEqual([expect.objectContaining({ closed: true, workers: 0 })]);
  });
});

test('creating a pool leaves SIGINT and SIGTERM to the application (threads.js would install exit handlers)', async () => {
  const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
  const pool = tasksPool({ size: 1 });
  await pool.ready;
  expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
});
