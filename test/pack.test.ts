/**
 * The published package, as a consumer installs it: the packed tarball
 * (test/consumer/packed.ts) installed with npm in scratch projects, offline,
 * next to @types/node 20 or 26 (test/consumer/install.ts). In them:
 *
 * - for each TypeScript `moduleResolution` (node16, nodenext, bundler), as ES
 *   modules and as CommonJS, TypeScript 6 type-checks (strict, the library's
 *   .d.ts files included) and compiles a program and its worker module, and
 *   node runs it: a real pool on the compiled worker, `poolMap` and
 *   `pool.run` results and an error, inline tasks, the virtual pool of
 *   `/marbles`, and the pool closed so the process exits;
 * - the same program type-checks with TypeScript 6 and 7 and with @types/node
 *   20 and 26 under each of those, and under node10 with TypeScript 6
 *   (TypeScript 7 removed it), which finds the subpaths through `typesVersions`;
 * - attw (@arethetypeswrong/cli) and publint find nothing wrong with the tarball;
 * - a browser bundle holds no Node module, and the bin is linked.
 *
 * The program and its worker module are in test/consumer/program.ts.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installConsumer } from './consumer/install';
import { packedTarball, repo, step } from './consumer/packed';
import { expected, type Format, mainSource, workerSource } from './consumer/program';

const run = promisify(execFile);
const compilers = { 6: join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), 7: join(repo, 'node_modules', 'typescript-7', 'bin', 'tsc') } as const;
type TypeScriptVersion = keyof typeof compilers;
type TypesVersion = 20 | 26;

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

/** TypeScript 6 only: TypeScript 7 removed moduleResolution node10. */
const node10: Combo = { name: 'node10-cjs', format: 'cjs', compilerOptions: { module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '6.0' } };

/** A type-check without emit: a TypeScript, an @types/node, a combo. */
interface Check {
  readonly typescript: TypeScriptVersion;
  readonly types: TypesVersion;
  readonly combo: Combo;
}

const checks: Check[] = [
  ...([6, 7] as const).flatMap((typescript) =>
    ([20, 26] as const).flatMap((types) =>
      // TypeScript 6 with @types/node 20 is the runtime combos' own compile.
      typescript === 6 && types === 20 ? [] : combos.map((combo) => ({ typescript, types, combo })),
    ),
  ),
  { typescript: 6, types: 20, combo: node10 },
  { typescript: 6, types: 26, combo: node10 },
];

const checkName = ({ typescript, types, combo }: Check): string => `TypeScript ${typescript}, @types/node ${types}, ${combo.name}`;

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
  let tarball: string;
  const consumers = { 20: '', 26: '' } as Record<TypesVersion, string>;
  const outputs = new Map<string, string>();
  const failures = new Map<string, Error>();

  /** Writes a combo's project (package.json, tsconfig.json, the sources) under `dir`. */
  async function writeProject(dir: string, { format, compilerOptions }: Combo, emit: boolean): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'package.json'), `${JSON.stringify({ type: format === 'esm' ? 'module' : 'commonjs' })}\n`);
    const tsconfig = {
      compilerOptions: {
        ...compilerOptions,
        target: 'es2022',
        lib: ['es2022'],
        types: ['node'],
        strict: true,
        skipLibCheck: false,
        ...(emit ? { noEmitOnError: true, outDir: 'out', rootDir: '.' } : { noEmit: true }),
      },
      files: ['main.ts', 'worker.ts'],
    };
    await writeFile(join(dir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
    await writeFile(join(dir, 'worker.ts'), workerSource);
    await writeFile(join(dir, 'main.ts'), mainSource(format));
  }

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'rxjs-threadpool-pack-'));
    tarball = await packedTarball();
    for (const types of [20, 26] as const) {
      consumers[types] = join(scratch, `types-node-${types}`);
      await installConsumer(consumers[types], tarball, {
        rxjs: 'node_modules/rxjs',
        '@types/node': types === 20 ? 'node_modules/@types/node' : 'node_modules/@types/node-26',
      });
    }
    const jobs: (() => Promise<void>)[] = [
      ...combos.map((combo) => async () => {
        const dir = join(consumers[20], combo.name);
        await writeProject(dir, combo, true);
        try {
          // One tsc run type-checks (strict, with the library's .d.ts files) and, only if that passes, emits.
          await step(`${combo.name}: tsc`, () => run(process.execPath, [compilers[6], '-p', dir], { cwd: dir }));
          const { stdout } = await step(`${combo.name}: node out/main.js`, () =>
            run(process.execPath, [join(dir, 'out', 'main.js')], { cwd: dir, timeout: 30_000 }),
          );
          outputs.set(combo.name, stdout);
        } catch (error) {
          failures.set(combo.name, error as Error);
        }
      }),
      ...checks.map((check) => async () => {
        const dir = join(consumers[check.types], `ts${check.typescript}-${check.combo.name}`);
        await writeProject(dir, check.combo, false);
        try {
          await step(`${checkName(check)}: tsc`, () => run(process.execPath, [compilers[check.typescript], '-p', dir], { cwd: dir }));
        } catch (error) {
          failures.set(checkName(check), error as Error);
        }
      }),
    ];
    await eachLimited(jobs, 2, (job) => job());
  }, 300_000);

  afterAll(async () => {
    if (!scratch || !existsSync(scratch)) return;
    // PACK_TEST_KEEP=1 keeps the scratch projects to look into.
    if (process.env.PACK_TEST_KEEP) console.log(`pack test: scratch projects kept in ${scratch}`);
    else await rm(scratch, { recursive: true, force: true });
  });

  test('a browser bundle of the installed package holds no Node module (the browser field swaps the platform module)', async () => {
    const consumer = consumers[20];
    await writeFile(
      join(consumer, 'page.mjs'),
      "import { createPool } from 'rxjs-threadpool';\nimport { poolMap } from 'rxjs-threadpool/operators';\nimport { exposeTasks } from 'rxjs-threadpool/worker';\nglobalThis.api = { createPool, poolMap, exposeTasks };\n",
    );
    // esbuild from this repository; it resolves the package from the consumer's node_modules.
    const { build } = (await import('esbuild')) as typeof import('esbuild');
    const result = await build({
      entryPoints: [join(consumer, 'page.mjs')],
      absWorkingDir: consumer,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs).filter((input) => input.includes('rxjs-threadpool'));
    expect(inputs).toContain('node_modules/rxjs-threadpool/dist/esm/src/threads/platform.browser.js');
    expect(inputs).not.toContain('node_modules/rxjs-threadpool/dist/esm/src/threads/platform.js');
    expect(inputs.filter((input) => /NodeWorker|nodeRequire|typeScriptWorker/.test(input))).toEqual([]);
    expect(result.outputFiles[0].text).not.toMatch(/from ["']node:|require\(["']node:/);
  });

  test('the rxjs-threadpool-serve bin and the rxjs-threadpool/bullmq entry are installed, and bullmq (an optional peer) is not', async () => {
    const consumer = consumers[20];
    expect(existsSync(join(consumer, 'node_modules', '.bin', 'rxjs-threadpool-serve'))).toBe(true);
    const { stdout } = await run(process.execPath, ['-e', "console.log(require.resolve('rxjs-threadpool/bullmq'))"], { cwd: consumer });
    expect(stdout.trim()).toMatch(/dist[\\/]cjs[\\/]src[\\/]bullmq[\\/]index\.js$/);
    expect(existsSync(join(consumer, 'node_modules', 'bullmq'))).toBe(false);
    expect(existsSync(join(consumer, 'node_modules', 'ioredis'))).toBe(false);
  });

  test('the package ships its LICENSE and names its repository', async () => {
    const installed = join(consumers[20], 'node_modules', 'rxjs-threadpool');
    expect(existsSync(join(installed, 'LICENSE'))).toBe(true);
    const manifest = (await import(join(installed, 'package.json'))) as {
      license: string;
      repository: { url: string };
      homepage: string;
      bugs: { url: string };
    };
    expect(manifest).toMatchObject({
      license: 'MIT',
      repository: { url: expect.any(String) },
      homepage: expect.any(String),
      bugs: { url: expect.any(String) },
    });
  });

  test('attw (are the types wrong?) finds no problem under node10, node16 (CJS and ESM) or bundler resolution', async () => {
    const attw = join(repo, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
    const { stdout } = await step('attw', () => run(process.execPath, [attw, tarball, '--format', 'json'], { cwd: scratch, maxBuffer: 1 << 26 }));
    const { analysis, problems } = JSON.parse(stdout) as { analysis: { entrypoints: Record<string, unknown> }; problems: Record<string, unknown> };
    expect(Object.keys(analysis.entrypoints)).toEqual(['.', './operators', './worker', './marbles', './bullmq', './package.json']);
    expect(problems).toEqual({});
  });

  test('publint, strict, finds nothing to report', async () => {
    const publint = join(repo, 'node_modules', 'publint', 'src', 'cli.js');
    const { stdout } = await step('publint', () => run(process.execPath, [publint, '--strict', tarball], { cwd: scratch }));
    expect(stdout).toMatch(/All good!/);
  });

  test.each(combos.map((combo) => [combo.name, combo] as const))('%s: type-checks, compiles and runs', (name, { format }) => {
    const failure = failures.get(name);
    if (failure) throw failure;
    expect(JSON.parse(outputs.get(name) ?? 'null')).toEqual(expected(format));
  });

  test.each(checks.map((check) => [checkName(check)]))('%s: type-checks', (name) => {
    const failure = failures.get(name);
    if (failure) throw failure;
  });
});
