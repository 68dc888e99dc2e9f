/**
 * Every TypeScript block of README.md and of the pages under docs/ (but
 * design.md, and the generated docs/api/), type-checked and run, in scratch
 * projects that install the packed tarball (offline, as a consumer would).
 * The README comes first, then the pages by name; a block's test names its
 * file and line (`main.ts, docs/keys.md line 40`).
 *
 * A block is a file, named by its first line (`// main.ts`), else
 * `block-<page>-<line>.ts` (`block-readme-12.ts`, `block-keys-40.ts`). Two
 * blocks of one project with the same name fail the run: rename one. Where
 * a block goes and how it runs follows from its name and text, so a block
 * added later, or a page added under docs/, is covered with no change here:
 *
 * - `*.worker.ts` is a worker module, whatever page it is on: every Node
 *   project gets it, and it "runs" when a pool on it has started (its setup
 *   done) and closed;
 * - `page.ts` is a page's script: bundled with esbuild (with the worker
 *   modules it names, as separate entry points), run in headless Chromium;
 * - `*.test.ts` runs under `node --test`;
 * - any other block is a program, run with node; one whose first line says
 *   `CommonJS` goes to the CommonJS project, the others to the ES module one;
 * - a block that imports `rxjs-threadpool/bullmq` runs against Redis (the
 *   test Redis) with a host (`rxjs-threadpool-serve`) serving the worker
 *   module it names, given the Redis URL and a queue name as arguments.
 *
 * Each project is type-checked with TypeScript 6 (which also emits what
 * runs) and TypeScript 7. A block whose program is missing here (Redis,
 * Chromium) fails alone, saying how to install it.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { serveFolder } from '../examples/browser/serve';
import { installConsumer } from './consumer/install';
import { packedTarball, repo, step } from './consumer/packed';
import { chromiumPath, isAvailable, missingMessage } from './programs/programs';

const run = promisify(execFile);
const compilers = { 6: join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), 7: join(repo, 'node_modules', 'typescript-7', 'bin', 'tsc') } as const;

type Project = 'esm' | 'cjs' | 'browser';
type Kind = 'worker' | 'page' | 'test' | 'program';

/** A TypeScript block of the README or of a docs page. */
interface Block {
  /** The file it is in, from the repository (`README.md`, `docs/keys.md`). */
  readonly file: string;
  /** Its line in that file (of the opening fence). */
  readonly line: number;
  readonly name: string;
  readonly code: string;
  readonly kind: Kind;
  /** The project it belongs to (worker modules: every Node project). */
  readonly project: Project;
  /** The worker modules it imports (`./primes.worker.js` → `primes.worker.ts`). */
  readonly workers: readonly string[];
  readonly redis: boolean;
}

/** The TypeScript blocks of `markdown`, the text of `file` (a path from the repository). */
export function readmeBlocks(markdown: string, file = 'README.md'): Block[] {
  const blocks: Block[] = [];
  const page = basename(file, '.md').toLowerCase();
  const fence = /^```(?:ts|typescript)\s*\n([\s\S]*?)^```\s*$/gm;
  for (const match of markdown.matchAll(fence)) {
    const code = match[1];
    const line = markdown.slice(0, match.index).split('\n').length;
    const first = /^\/\/ ([\w.-]+\.[cm]?ts)\b(.*)$/m.exec(code.split('\n')[0]);
    const name = first?.[1] ?? `block-${page}-${line}.ts`;
    const kind: Kind = name.endsWith('.worker.ts') ? 'worker' : name === 'page.ts' ? 'page' : name.endsWith('.test.ts') ? 'test' : 'program';
    const project: Project = kind === 'page' ? 'browser' : /CommonJS/.test(first?.[2] ?? '') ? 'cjs' : 'esm';
    const workers = [...code.matchAll(/from '\.\/([\w.-]+\.worker)(?:\.js)?'/g)].map((found) => `${found[1]}.ts`);
    blocks.push({ file, line, name, code, kind, project, workers: [...new Set(workers)], redis: code.includes("from 'rxjs-threadpool/bullmq'") });
  }
  return blocks;
}

/** The files whose blocks run: the README, then the docs pages by name (not design.md, which has no program, nor docs/api/). */
const files = [
  'README.md',
  ...readdirSync(join(repo, 'docs'), { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.md') && entry.name !== 'design.md')
    .map((entry) => `docs/${entry.name}`)
    .sort(),
];
const readme = readFileSync(join(repo, 'README.md'), 'utf8');
const blocks = files.flatMap((file) => readmeBlocks(file === 'README.md' ? readme : readFileSync(join(repo, file), 'utf8'), file));
const workerBlocks = blocks.filter(({ kind }) => kind === 'worker');
const runnable = blocks.filter(({ kind }) => kind !== 'worker');
/** A block's name, and its project when that is not the usual one. */
const keyOf = (block: Block): string => `${block.name}${block.project === 'cjs' ? ' (CommonJS)' : ''}`;
const label = (block: Block): string => `${keyOf(block)}, ${block.file} line ${block.line}`;

/** What some blocks print, beyond exiting cleanly (by {@link keyOf}). */
const prints: Record<string, readonly (string | RegExp)[]> = {
  'main.ts': ['countPrimes(20000) = 2262', /request \d+: .*not a limit: -1/],
  'main.ts (CommonJS)': ['countPrimes(200000) = 17984'],
  'run.ts': ['1229 9592', 'ERR_TASK_FAILED not a limit: -1'],
  'inline.ts': ['[ 75025, 121393 ]', '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'],
  'seed.ts': ['Result from request', 'Exception occurred in request'],
  'producer.ts': ['1465 primes counted on the hosts'],
  'page.ts': ['countPrimes(100000) = 9592', 'countPrimes(200000) = 17984'],
  'cancel-with-outcomes.ts': [/^50 outcomes for 50 requests, (4\d) of them TaskCancelledError$/m],
  // Every result, then the drain's end.
  'shutdown.ts': ['drained', /^(?:countPrimes\(\d00000\) = \d+\n){3}drained$/m],
  'autoscale.ts': ['grew to 4 workers', 'back to 1 when idle', 'driven to 3 workers'],
  'worker-options.ts': [/^168$/m],
  'native.ts': ['true true', 'closed'],
  'crawl.ts': ['ERR_TASK_TIMEOUT', /^true$/m],
  'metrics.ts': [
    'threadpool.workers exported',
    'threadpool.queued exported',
    'threadpool.utilization exported',
    'threadpool.worker.event_loop.utilization exported',
    'threadpool.events exported',
  ],
  'bounded-pool.ts': ['pushed: some refused; pulled: 1000 of 1000 counted', 'cancelled 3', '2 ran, 3 cancelled'],
  'events.ts': [/^worker 1 started\nworker 1 recycled: maxTasksPerWorker\nworker 2 started\n(?:.*\n)*closing\nworker 2 exited: closed\nclosed$/m],
};

/** Runs `task` on each item, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
    }),
  );
}

/** A `rxjs-threadpool-serve` host from the installed package; resolves once it serves. */
function startHost(consumer: string, workerModule: string, redisUrl: string, queue: string): Promise<{ child: ChildProcess; log: () => string }> {
  const bin = join(consumer, 'node_modules', '.bin', 'rxjs-threadpool-serve');
  const child = spawn(process.execPath, [bin, workerModule, '--redis', redisUrl, '--queue', queue, '--threads', '1'], {
    cwd: consumer,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start within 30 s:\n${text}`)), 30_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('serving')) {
        clearTimeout(timer);
        resolve({ child, log: () => text });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`host exited (${String(code)}) before serving:\n${text}`));
    });
  });
}

async function stopHost(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

describe('README.md and docs/*.md', () => {
  let scratch: string;
  let consumer: string;
  const dirs = {} as Record<Project, string>;
  const checked = new Map<string, Error | undefined>();
  /** What each block printed when run, or how it failed (by label). */
  const ran = new Map<string, string | Error>();

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'rxjs-threadpool-readme-'));
    consumer = join(scratch, 'consumer');
    await installConsumer(consumer, await packedTarball(), {
      rxjs: 'node_modules/rxjs',
      '@types/node': 'node_modules/@types/node',
      bullmq: 'node_modules/bullmq',
      ioredis: 'node_modules/ioredis',
      // The OpenTelemetry recipe's (docs/production.md): the application's, not the library's.
      '@opentelemetry/api': 'node_modules/@opentelemetry/api',
      '@opentelemetry/sdk-metrics': 'node_modules/@opentelemetry/sdk-metrics',
    });
    for (const project of ['esm', 'cjs', 'browser'] as const) {
      const dir = join(consumer, project);
      dirs[project] = dir;
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'package.json'), `${JSON.stringify({ type: project === 'cjs' ? 'commonjs' : 'module' })}\n`);
      const compilerOptions =
        project === 'browser'
          ? { module: 'es2022', moduleResolution: 'bundler', lib: ['es2022', 'dom'], types: [] as string[], noEmit: true }
          : { module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022'], types: ['node'], outDir: 'out', rootDir: '.', noEmitOnError: true };
      await writeFile(
        join(dir, 'tsconfig.json'),
        `${JSON.stringify({ compilerOptions: { target: 'es2022', strict: true, skipLibCheck: false, ...compilerOptions }, include: ['*.ts'] }, null, 2)}\n`,
      );
    }
    const written = new Map<string, Block>();
    const place = async (project: Project, block: Block): Promise<void> => {
      const path = join(dirs[project], block.name);
      const before = written.get(path);
      if (before && before !== block)
        throw new Error(
          `${before.file} line ${before.line} and ${block.file} line ${block.line}: two blocks named ${block.name} in one project; rename one (its first line)`,
        );
      written.set(path, block);
      await writeFile(path, block.code);
    };
    for (const block of runnable) await place(block.project, block);
    for (const worker of workerBlocks) {
      await place('esm', worker);
      await place('cjs', worker);
    }
    for (const page of blocks.filter(({ kind }) => kind === 'page')) {
      for (const name of page.workers) {
        const worker = workerBlocks.find((each) => each.name === name);
        if (worker) await place('browser', worker);
      }
    }
    await eachLimited(
      (['esm', 'cjs', 'browser'] as const).flatMap((project) => ([6, 7] as const).map((typescript) => ({ project, typescript }))),
      2,
      async ({ project, typescript }) => {
        const args = typescript === 6 ? ['-p', dirs[project]] : ['-p', dirs[project], '--noEmit'];
        checked.set(
          `${project}:${typescript}`,
          await step(`TypeScript ${typescript} on the ${project} project`, () => run(process.execPath, [compilers[typescript], ...args])).then(
            () => undefined,
            (error: Error) => error,
          ),
        );
      },
    );
    // Two blocks at a time: each starts a pool of worker threads.
    await eachLimited(blocks, 2, async (block) => {
      ran.set(label(block), await (block.kind === 'worker' ? startWorker(block) : runBlock(block)).catch((error: Error) => error));
    });
  }, 300_000);

  afterAll(async () => {
    if (!scratch || !existsSync(scratch)) return;
    if (process.env.README_TEST_KEEP) console.log(`README test: scratch projects kept in ${scratch}`);
    else await rm(scratch, { recursive: true, force: true });
  });

  test('has TypeScript blocks, and every expectation below names one of them', () => {
    expect(blocks.length).toBeGreaterThan(10);
    const keys = blocks.map(keyOf);
    for (const expected of Object.keys(prints)) expect(keys).toContain(expected);
  });

  test.each((['esm', 'cjs', 'browser'] as const).flatMap((project) => ([6, 7] as const).map((typescript) => [project, typescript] as const)))(
    'the %s project type-checks with TypeScript %s (strict, with the library’s .d.ts files)',
    (project, typescript) => {
      const error = checked.get(`${project}:${typescript}`);
      if (error) throw error;
    },
  );

  test.each(workerBlocks.map((block) => [label(block), block] as const))('worker module %s: a pool on it starts and closes', (name) => {
    expect(outcome(name)).toContain('started and closed');
  });

  test.each(runnable.map((block) => [label(block), block] as const))('%s runs', (name, block) => {
    const output = outcome(name);
    for (const expected of prints[keyOf(block)] ?? []) expect(output).toMatch(expected);
  });

  /** What running a block printed; throws how it failed. */
  function outcome(name: string): string {
    const result = ran.get(name);
    if (result === undefined) throw new Error(`${name} did not run`);
    if (result instanceof Error) throw result;
    return result;
  }

  /** Starts a pool on a worker block (from a program beside the compiled module) and closes it. */
  async function startWorker(block: Block): Promise<string> {
    const starter = join(dirs.esm, 'out', `start-${block.name.replace(/\.ts$/, '.mjs')}`);
    await writeFile(
      starter,
      `import { createPool } from 'rxjs-threadpool';\nconst pool = createPool(new URL('./${block.name.replace(/\.ts$/, '.js')}', import.meta.url), { size: 1 });\nawait pool.ready;\nawait pool.close();\nconsole.log('started and closed');\n`,
    );
    const { stdout } = await step(label(block), () => run(process.execPath, [starter], { cwd: dirs.esm, timeout: 60_000 }));
    return stdout;
  }

  /** Runs a block as its kind says; resolves with what it printed. */
  async function runBlock(block: Block): Promise<string> {
    const name = label(block);
    if (checked.get(`${block.project}:6`)) throw new Error(`${name} did not compile: see the type-check test of the ${block.project} project`);
    if (block.kind === 'page') {
      const browserPath = chromiumPath();
      if (!browserPath) throw new Error(missingMessage('chromium', `block ${name}`));
      return runPage(block, browserPath);
    }
    if (block.redis) {
      if (!isAvailable('redis')) throw new Error(missingMessage('redis', `block ${name}`));
      return runWithHost(block);
    }
    const compiled = join('out', block.name.replace(/\.ts$/, '.js'));
    const args = block.kind === 'test' ? ['--test', compiled] : [compiled];
    const { stdout, stderr } = await step(name, () => run(process.execPath, args, { cwd: dirs[block.project], timeout: 60_000 }));
    return stdout + stderr;
  }

  /** Runs a Redis block: a host on the worker module it names, and the block with the Redis URL and a fresh queue. */
  async function runWithHost(block: Block): Promise<string> {
    const url = process.env.RXJS_THREADPOOL_TEST_REDIS as string;
    const queue = `readme-${process.pid}-${Date.now()}`;
    const worker = block.workers[0];
    if (!worker) throw new Error(`${label(block)} imports rxjs-threadpool/bullmq but names no worker module for a host to serve`);
    const host = await startHost(consumer, join(dirs[block.project], 'out', worker.replace(/\.ts$/, '.js')), url, queue);
    try {
      const { stdout, stderr } = await step(label(block), () =>
        run(process.execPath, [join('out', block.name.replace(/\.ts$/, '.js')), url, queue], { cwd: dirs[block.project], timeout: 60_000 }),
      );
      return stdout + stderr;
    } finally {
      await stopHost(host.child);
    }
  }

  /** Bundles a page block (and its worker modules, beside it) with esbuild and runs it in Chromium; resolves with the page's text. */
  async function runPage(block: Block, executablePath: string): Promise<string> {
    const { build } = (await import('esbuild')) as typeof import('esbuild');
    const dir = dirs.browser;
    const site = join(dir, 'site');
    const common = { bundle: true, platform: 'browser', format: 'esm', target: 'es2022', absWorkingDir: dir, logLevel: 'warning' } as const;
    await build({ ...common, entryPoints: [join(dir, block.name)], outfile: join(site, block.name.replace(/\.ts$/, '.js')) });
    for (const worker of block.workers) await build({ ...common, entryPoints: [join(dir, worker)], outfile: join(site, worker.replace(/\.ts$/, '.js')) });
    await writeFile(
      join(site, 'index.html'),
      `<!doctype html><meta charset="utf-8"><body style="white-space: pre"><script type="module" src="./${block.name.replace(/\.ts$/, '.js')}"></script></body>\n`,
    );
    const server = await serveFolder(site);
    const browser = await chromium.launch({
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(String(error)));
      await page.goto(server.url);
      const expected = (prints[keyOf(block)] ?? []).filter((each): each is string => typeof each === 'string');
      // Done when the page shows every line expected (or, for a page with none listed, any text).
      await page.waitForFunction(
        (lines: string[]) => {
          const text = document.body.textContent ?? '';
          return lines.length === 0 ? text.trim() !== '' : lines.every((line) => text.includes(line));
        },
        expected,
        { timeout: 60_000 },
      );
      expect(errors).toEqual([]);
      return (await page.textContent('body')) ?? '';
    } finally {
      await browser.close();
      await server.close();
    }
  }

  test('the test command it gives is the one .ci/run runs, with the system programs on Debian', () => {
    expect(readme).toContain('sudo apt-get install -y redis-server chromium && npm ci && npm test');
    const ci = readFileSync(join(repo, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/apt-get install -y/);
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).toMatch(/^npm test$/m);
  });
});
