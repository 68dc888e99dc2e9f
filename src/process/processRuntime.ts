/**
 * The process runtime (`createPool(file, { runtime: 'process' })`): each
 * worker is a child process of Node running the same worker module, for
 * native modules that are not thread-safe and work that needs its own heap
 * or may take its process down. Node only: reached through the Node
 * `platform` module.
 *
 * A child is started with `child_process.spawn` of this Node, an IPC
 * channel with advanced serialization (structured clones, as between
 * threads, but nothing is transferred: a transfer list is copied), and a
 * small bootstrap evaluated as an ES module: it marks the process as a
 * pool's worker (`PROCESS_WORKER`), ends it when the channel to the master
 * closes (the master died), and loads the worker file as a thread would
 * (`.ts` files under the loader the program runs under).
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { InvalidOptionError } from '../errors.js';
import type { ThreadOptions } from '../threads/threadOptions.js';
import { isTypeScriptFile, typeScriptBootstrap, typeScriptProblem, typeScriptRunner } from '../threads/typeScriptWorker.js';
import type { RuntimeEvents, RuntimeWorker, WorkerRuntime } from '../workerExecutor/runtime.js';

/** The key of the global the bootstrap sets (`PROCESS_WORKER` of `src/worker/port.ts`: `Symbol.for` names the same symbol). */
const PROCESS_WORKER_KEY = 'rxjs-threadpool.processWorker';

/** Node flags of the main process a child does not inherit: its own script (`-e`, `-p`), and the module type of that script. */
const notInherited = /^(?:-e|--eval|-p|--print|--input-type)(?:=|$)/;
/** Node flags whose value may be the next argument. */
const withValue =
  /^(?:-e|--eval|-p|--print|--input-type|-r|--require|--import|--loader|--experimental-loader|-C|--conditions|--env-file|--title|--inspect-port|--debug-port)$/;

/** The thread options a child process cannot take, and why. */
const threadOnly = {
  workerData: "a child process has no workerData: pass data in env or argv (runtime: 'process')",
  name: "a child process has no thread name (runtime: 'process')",
} as const;

/**
 * The runtime of child processes running `file` (an absolute path, checked
 * by the caller) with `options`; `found(file)` finds the file to load (an
 * extension added, `x.ts` for `x.js`) or throws.
 *
 * Of the thread options: `env` (the child's whole environment, as a
 * thread's `process.env`), `argv` (after the file, in `process.argv`),
 * `execArgv` (after the main process's own, so loaders stay), `stdout` and
 * `stderr`, and of `resourceLimits` only `maxOldGenerationSizeMb` (as
 * `--max-old-space-size`). `workerData`, `name` and the other limits are
 * refused with `InvalidOptionError`.
 */
export function processRuntime(file: string, found: (file: string) => string, options: ThreadOptions = {}): WorkerRuntime {
  for (const name of ['workerData', 'name'] as const) {
    if (options[name] !== undefined) throw new InvalidOptionError(name, options[name], threadOnly[name]);
  }
  const { resourceLimits = {} } = options;
  for (const [name, value] of Object.entries(resourceLimits)) {
    if (name !== 'maxOldGenerationSizeMb' && value !== undefined)
      throw new InvalidOptionError(`resourceLimits.${name}`, value, "left out: a child process takes maxOldGenerationSizeMb only (runtime: 'process')");
  }
  return {
    kind: 'process',
    file,
    canTransfer: false,
    start: (events) => startChild(bootstrap(found(file)), options, events),
  };
}

/** The module a child evaluates: it marks itself a pool's worker, ends with its channel, and loads `file`. */
function bootstrap(file: string): string {
  const prelude = [`globalThis[Symbol.for(${JSON.stringify(PROCESS_WORKER_KEY)})] = true;`, "process.once('disconnect', () => process.exit(0));"];
  if (!isTypeScriptFile(file)) return [...prelude, `await import(${JSON.stringify(pathToFileURL(file).href)});`].join('\n');
  const runner = typeScriptRunner();
  if (runner.problem) throw new Error(typeScriptProblem(file, runner.problem));
  return [...prelude, typeScriptBootstrap(file, runner)].join('\n');
}

function startChild(code: string, options: ThreadOptions, events: RuntimeEvents): RuntimeWorker {
  const { env, argv = [], execArgv = [], stdout, stderr, resourceLimits } = options;
  const memory = resourceLimits?.maxOldGenerationSizeMb;
  const flags = [
    ...inheritedFlags(),
    ...execArgv,
    ...(memory === undefined ? [] : [`--max-old-space-size=${Math.max(1, Math.round(memory))}`]),
    '--input-type=module',
    '--eval',
    code,
  ];
  const child = spawn(process.execPath, [...flags, '--', ...argv], {
    stdio: ['ignore', stdout ? 'pipe' : 'inherit', stderr ? 'pipe' : 'inherit', 'ipc'],
    serialization: 'advanced',
    windowsHide: true,
    ...(env === undefined ? {} : { env: Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined)) as NodeJS.ProcessEnv }),
  });
  let ended = false;
  const end = (reason: string, cause?: unknown): void => {
    if (ended) return;
    ended = true;
    events.ended(reason, cause);
  };
  child.on('message', (data) => events.message(data));
  child.on('exit', (code, signal) => end(code === null ? exitBySignal(signal) : `exited with code ${code}`));
  child.on('error', (error) => end('could not be started or reached', error));
  return {
    post(message) {
      // A message it can no longer take (it is exiting) is lost with it: its exit is reported.
      child.send(message as never, (error) => void error);
    },
    hold: (on) => hold(child, on),
    kill() {
      ended = true;
      if (child.exitCode !== null || child.signalCode !== null) return undefined;
      // Held until it has exited: an idle child is unreferenced, and the process would end before hearing of its exit.
      hold(child, true);
      return new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
    },
    output: { stdout: child.stdout ?? undefined, stderr: child.stderr ?? undefined },
  };
}

/**
 * The main process's Node flags, but those of its own script (`-e`, `-p`,
 * `--input-type`): a child inherits its loaders (`--import tsx`,
 * `-r ts-node/register`) as a thread does. A bare argument that is no
 * flag's value ends them (a launcher such as ts-node puts its own script there).
 */
function inheritedFlags(): string[] {
  const flags: string[] = [];
  const own = process.execArgv;
  for (let i = 0; i < own.length; i++) {
    const flag = own[i];
    if (!flag.startsWith('-')) break;
    const takesNext = !flag.includes('=') && withValue.test(flag) && i + 1 < own.length;
    if (!notInherited.test(flag)) flags.push(...(takesNext ? [flag, own[i + 1]] : [flag]));
    if (takesNext) i++;
  }
  return flags;
}

/** How a child killed by `signal` died: V8 aborts a process that runs out of heap. */
function exitBySignal(signal: NodeJS.Signals | null): string {
  return signal === 'SIGABRT' ? 'aborted (SIGABRT: out of memory, its maxOldGenerationSizeMb, or a native crash)' : `was killed by ${signal}`;
}

/** Makes a child, its IPC channel and its captured streams keep the process alive (`on`), or not. */
function hold(child: ChildProcess, on: boolean): void {
  const handles = [child, child.channel, child.stdout, child.stderr] as (Partial<{ ref(): void; unref(): void }> | null | undefined)[];
  for (const handle of handles) {
    if (on) handle?.ref?.();
    else handle?.unref?.();
  }
}
