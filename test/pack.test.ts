/**
 * The published package, as a consumer installs it: `npm run build`,
 * `npm pack`, then a scratch project installs the tarball (with rxjs and
 * @types/node, from the npm cache when it can) and, for each TypeScript
 * `moduleResolution` (node16, nodenext, bundler) as ES modules and as
 * CommonJS, type-checks (strict, library .d.ts files included) and compiles a
 * program and its worker module, then runs the program with node: a real pool
 * on the compiled worker, results and an error through `poolMap`, the
 * virtual pool of `/marbles`, and the pool closed so the process exits.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = join(__dirname, '..');
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');

type Format = 'esm' | 'cjs';
interface Combo {
  readonly name: string;
  readonly format: Format;
  readonly compilerOptions: Record<string, string>;
}

// `bundler` with CommonJS: TypeScript 6 accepts module "commonjs" with
// moduleResolution "bundler", which is what a CommonJS project on it uses.
const combos: Combo[] = [
  { name: 'node16-esm', format: 'esm', compilerOptions: { module: 'node16', moduleResolution: 'node16' } },
  { name: 'node16-cjs', format: 'cjs', compilerOptions: { module: 'node16', moduleResolution: 'node16' } },
  { name: 'nodenext-esm', format: 'esm', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' } },
  { name: 'nodenext-cjs', format: 'cjs', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' } },
  { name: 'bundler-esm', format: 'esm', compilerOptions: { module: 'es2022', moduleResolution: 'bundler' } },
  { name: 'bundler-cjs', format: 'cjs', compilerOptions: { module: 'commonjs', moduleResolution: 'bundler' } },
];

/** npm, the one running this test when there is one. */
function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  const cli = process.env.npm_execpath;
  return cli && /npm-cli\.[cm]?js$/.test(cli)
    ? run(process.execPath, [cli, ...args], { cwd, maxBuffer: 1 << 24 })
    : run(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { cwd, maxBuffer: 1 << 24, shell: process.platform === 'win32' });
}

async function step<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${what} failed: ${(error as Error).message}\n${stdout}\n${stderr}`);
  }
}

const workerSource = `import { exposeTasks, type TaskMap } from 'rxjs-threadpool/worker';

export const tasks = exposeTasks({
  square(n: number): number {
    if (n < 0) throw new RangeError(\`negative: \${n}\`);
    return n * n;
  },
  async greet(name: string): Promise<string> {
    return \`hello \${name}\`;
  },
});
export type Tasks = typeof tasks;

const map: TaskMap = tasks;
void map;
`;

function mainSource(format: Format): string {
  const [workerPath, resolved] =
    format === 'esm'
      ? ["new URL('./worker.js', import.meta.url)", "import.meta.resolve('rxjs-threadpool/operators')"]
      : ["require('node:path').join(__dirname, 'worker.js') as string", "require.resolve('rxjs-threadpool/operators')"];
  return `import { from, lastValueFrom, map, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { createPool, type Outcome, TaskError } from 'rxjs-threadpool';
import { createVirtualPool } from 'rxjs-threadpool/marbles';
import { poolMap, results } from 'rxjs-threadpool/operators';
import type { Task, TaskMap } from 'rxjs-threadpool/worker';
import { type Tasks, tasks } from './worker.js';

const square: Task = tasks.square;
const taskMap: TaskMap = tasks;

async function main(): Promise<void> {
  const pool = createPool<Tasks>(${workerPath}, { size: 2 });
  const outcomes: Outcome<[n: number], number>[] = await lastValueFrom(from([1, 2, -3, 4]).pipe(poolMap(pool, 'square', { ordered: true }), toArray()));
  const squares = outcomes.map((outcome) => {
    if (outcome.ok) {
      const n: number = outcome.value;
      // @ts-expect-error: the result of square is a number
      const s: string = outcome.value;
      void s;
      return { arg: outcome.request.args[0], value: n };
    }
    const error = outcome.error;
    return error instanceof TaskError
      ? { arg: outcome.request.args[0], error: error.name, code: error.code, cause: \`\${error.cause.name}: \${error.cause.message}\` }
      : { arg: outcome.request.args[0], error: String(error) };
  });
  const greetings = await lastValueFrom(
    from(['a', 'b']).pipe(
      poolMap(pool, 'greet', { ordered: true }),
      results(),
      map(({ value }) => value.toUpperCase()),
      toArray(),
    ),
  );
  // Type errors only, never run (poolMap also rejects an unknown task at run time).
  void (() => {
    // @ts-expect-error: the worker module has no task of that name
    poolMap(pool, 'cube');
    // @ts-expect-error: square takes a number
    from(['x']).pipe(poolMap(pool, 'square'));
  });
  await pool.close();

  // Inline tasks: the generated worker finds the package's own worker side in the installed build.
  const inline = createPool.fromFunctions({ twice: (n: number): number => n * 2 }, { size: 1 });
  const twice: number[] = await lastValueFrom(from([1, 2]).pipe(poolMap(inline, 'twice', { ordered: true }), results(), map(({ value }) => value), toArray()));
  await inline.close();

  let frames: string[] = [];
  const scheduler = new TestScheduler((actual: { frame: number; notification: { kind: string; value?: unknown } }[]) => {
    frames = actual.map(({ frame, notification }) => \`\${frame}:\${notification.kind}\${notification.kind === 'N' ? ':' + String(notification.value) : ''}\`);
  });
  scheduler.run(({ cold, expectObservable }) => {
    const virtual = createVirtualPool(tasks, { scheduler, size: 1, duration: 2 });
    const values = cold('ab|', { a: 3, b: 5 }).pipe(
      poolMap(virtual, 'square'),
      map((outcome) => (outcome.ok ? outcome.value : -1)),
    );
    expectObservable(values).toBe('');
  });

  const format = typeof require === 'undefined' ? 'esm' : 'cjs';
  const build = /[\\\\/]dist[\\\\/](esm|cjs)[\\\\/]/.exec(${resolved})?.[1];
  console.log(JSON.stringify({ format, build, squares, greetings, twice, frames, tasks: Object.keys(taskMap), square: typeof square }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`;
}

function expected(format: Format): unknown {
  return {
    format,
    build: format,
    squares: [
      { arg: 1, value: 1 },
      { arg: 2, value: 4 },
      { arg: -3, error: 'TaskError', code: 'ERR_TASK_FAILED', cause: 'RangeError: negative: -3' },
      { arg: 4, value: 16 },
    ],
    greetings: ['HELLO A', 'HELLO B'],
    twice: [2, 4],
    frames: ['2:N:9', '4:N:25', '4:C'],
    tasks: ['square', 'greet'],
    square: 'function',
  };
}

/** Runs `task` on each item, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
    }),
  );
}

describe('the packed package in a consumer project', () => {
  let scratch: string;
  const outputs = new Map<string, string>();
  const failures = new Map<string, Error>();

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'rxjs-threadpool-pack-'));
    await step('npm run build', () => npm(['run', 'build'], repo));
    // The build ran above; --ignore-scripts keeps pack from running the prepack build again.
    const packed = await step('npm pack', () => npm(['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], repo));
    const [{ filename }] = JSON.parse(packed.stdout) as { filename: string }[];
    const tarball = join(scratch, filename);

    const consumer = join(scratch, 'consumer');
    await mkdir(consumer);
    await writeFile(join(consumer, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true }, null, 2)}\n`);
    const versionOf = async (name: string): Promise<string> =>
      (JSON.parse(await readFile(join(repo, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    await step('npm install', async () =>
      npm(
        [
          'install',
          '--prefer-offline',
          '--no-audit',
          '--no-fund',
          '--prefix',
          consumer,
          tarball,
          `rxjs@${await versionOf('rxjs')}`,
          `@types/node@${await versionOf('@types/node')}`,
        ],
        consumer,
      ),
    );

    await eachLimited(combos, 2, async ({ name, format, compilerOptions }) => {
      const dir = join(consumer, name);
      await mkdir(dir);
      await writeFile(join(dir, 'package.json'), `${JSON.stringify({ type: format === 'esm' ? 'module' : 'commonjs' })}\n`);
      const tsconfig = {
        compilerOptions: {
          ...compilerOptions,
          target: 'es2022',
          lib: ['es2022'],
          types: ['node'],
          strict: true,
          skipLibCheck: false,
          noEmitOnError: true,
          outDir: 'out',
          rootDir: '.',
        },
        files: ['main.ts', 'worker.ts'],
      };
      await writeFile(join(dir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
      await writeFile(join(dir, 'worker.ts'), workerSource);
      await writeFile(join(dir, 'main.ts'), mainSource(format));
      try {
        // One tsc run type-checks (strict, with the library's .d.ts files) and, only if that passes, emits.
        await step(`${name}: tsc`, () => run(process.execPath, [tsc, '-p', dir], { cwd: dir }));
        const { stdout } = await step(`${name}: node out/main.js`, () => run(process.execPath, [join(dir, 'out', 'main.js')], { cwd: dir, timeout: 30_000 }));
        outputs.set(name, stdout);
      } catch (error) {
        failures.set(name, error as Error);
      }
    });
  }, 240_000);

  afterAll(async () => {
    if (!scratch || !existsSync(scratch)) return;
    // PACK_TEST_KEEP=1 keeps the scratch project to look into.
    if (process.env.PACK_TEST_KEEP) console.log(`pack test: scratch project kept in ${scratch}`);
    else await rm(scratch, { recursive: true, force: true });
  });

  test('a browser bundle of the installed package holds no Node module (the browser field swaps the platform module)', async () => {
    const consumer = join(scratch, 'consumer');
    await writeFile(
      join(consumer, 'page.mjs'),
      "import { createPool } from 'rxjs-threadpool';\nimport { poolMap } from 'rxjs-threadpool/operators';\nimport { exposeTasks } from 'rxjs-threadpool/worker';\nglobalThis.api = { createPool, poolMap, exposeTasks };\n",
    );
    // esbuild from this repository; it resolves the package from the consumer's node_modules.
    const { build } = (await import('esbuild')) as typeof import('esbuild');
    const result = await build({ entryPoints: [join(consumer, 'page.mjs')], absWorkingDir: consumer, bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
    const inputs = Object.keys(result.metafile.inputs).filter((input) => input.includes('rxjs-threadpool'));
    expect(inputs).toContain('node_modules/rxjs-threadpool/dist/esm/src/threads/platform.browser.js');
    expect(inputs).not.toContain('node_modules/rxjs-threadpool/dist/esm/src/threads/platform.js');
    expect(inputs.filter((input) => /NodeWorker|nodeRequire/.test(input))).toEqual([]);
    expect(result.outputFiles[0].text).not.toMatch(/from ["']node:|require\(["']node:/);
  });

  test('the rxjs-threadpool-serve bin and the rxjs-threadpool/bullmq entry are installed, and bullmq (an optional peer) is not', async () => {
    const consumer = join(scratch, 'consumer');
    expect(existsSync(join(consumer, 'node_modules', '.bin', 'rxjs-threadpool-serve'))).toBe(true);
    const { stdout } = await run(process.execPath, ['-e', "console.log(require.resolve('rxjs-threadpool/bullmq'))"], { cwd: consumer });
    expect(stdout.trim()).toMatch(/dist[\\/]cjs[\\/]src[\\/]bullmq[\\/]index\.js$/);
    expect(existsSync(join(consumer, 'node_modules', 'bullmq'))).toBe(false);
    expect(existsSync(join(consumer, 'node_modules', 'ioredis'))).toBe(false);
  });

  test.each(combos.map((combo) => [combo.name, combo] as const))('%s: type-checks, compiles and runs', (name, { format }) => {
    const failure = failures.get(name);
    if (failure) throw failure;
    expect(JSON.parse(outputs.get(name) ?? 'null')).toEqual(expected(format));
  });
});
