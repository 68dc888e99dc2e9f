/**
 * Worker files written in TypeScript, on Node: how a worker thread loads
 * one. Loaded only through the Node `platform` module.
 *
 * A worker thread inherits the main thread's `execArgv`, so it runs under
 * whatever loader the program runs under (`tsx`, `node --import tsx`,
 * `node -r ts-node/register`, Node's own type stripping): the worker starts
 * from a tiny bootstrap module that loads the file with `require` when such
 * a hook is installed in the thread, and with `import()` otherwise. Only
 * when nothing was inherited does the bootstrap register ts-node itself
 * (the program runs under the `ts-node` command, which hooks the main thread
 * only, or under a test runner), and only a ts-node that can work: ts-node
 * 10 fails on TypeScript 7. When nothing can run the file, the pool fails to
 * start with a message giving the ways out.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nodeRequire } from '../nodeRequire.js';

/** Whether a worker file is TypeScript (`.ts`, `.mts`, `.cts`, `.tsx`). */
export function isTypeScriptFile(file: string): boolean {
  return /\.[cm]?tsx?$/i.test(file);
}

/** How this process's worker threads can run TypeScript. */
export interface TypeScriptRunner {
  /** Node strips the types itself: the bootstrap imports the file (Node's `require` of an ES module `.ts` file came later). */
  readonly stripsTypes?: true;
  /** ts-node's register hook, when the bootstrap must install it itself (nothing was inherited). */
  readonly tsNode?: string;
  /** Why nothing can: the message a pool on a `.ts` file fails with. */
  readonly problem?: string;
}

/** Node options that make a thread load code through a loader or a preload, which workers inherit. */
const inheritedFlags = /^(?:--import|--loader|--experimental-loader|--require|-r|--experimental-strip-types|--experimental-transform-types)(?:=|$)/;

let runner: TypeScriptRunner | undefined;

/**
 * How a worker thread of this process can run a `.ts` file, found once: by
 * what it inherits (a loader or type stripping), else by ts-node installed
 * in the program's folder or next to this library.
 */
export function typeScriptRunner(): TypeScriptRunner {
  runner ??= findRunner();
  return runner;
}

function findRunner(): TypeScriptRunner {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const stripsTypes = Boolean((process.features as { typescript?: unknown }).typescript);
  if (stripsTypes || flags.some((flag) => /^--experimental-(?:strip|transform)-types$/.test(flag))) return { stripsTypes: true };
  if (flags.some((flag) => inheritedFlags.test(flag))) return {};
  const tsNode = resolveFirst('ts-node/register/transpile-only');
  if (!tsNode) return { problem: 'nothing in this process runs TypeScript' };
  const typescript = resolveFirst('typescript/package.json', [tsNode]);
  const version = typescript === undefined ? undefined : (nodeRequire(typescript) as { version?: unknown }).version;
  if (typeof version === 'string' && Number.parseInt(version, 10) >= 7) {
    return {
      problem: `the ts-node found (${dirname(dirname(tsNode))}) cannot run TypeScript ${version}, the one installed beside it: ts-node 10 needs TypeScript 6 or older (npm install -D typescript@6)`,
    };
  }
  return { tsNode };
}

/**
 * Resolves `id` from the program's folder (where its own ts-node and
 * TypeScript are), then from this library's; from `near` files' folders too.
 */
function resolveFirst(id: string, near: readonly string[] = []): string | undefined {
  const from = [createRequire(join(process.cwd(), 'noop.js')), ...near.map((file) => createRequire(file)), nodeRequire];
  for (const require of from) {
    try {
      return require.resolve(id);
    } catch {
      // try the next
    }
  }
  return undefined;
}

/** The message of a pool on a `.ts` file that nothing can run: what is wrong, and the three ways out. */
export function typeScriptProblem(file: string, problem: string): string {
  const node = process.versions.node;
  const [major = 0, minor = 0] = node.split('.').map(Number);
  const stripping = major > 22 || (major === 22 && minor >= 6) ? '' : `; this is Node ${node}, which has none`;
  return (
    `${file} is TypeScript, and ${problem}. Worker threads inherit the loader your program runs under; any of these works: ` +
    `run the program under tsx (tsx main.ts, or node --import tsx main.js); ` +
    `use Node's own type stripping (node --experimental-strip-types main.ts, Node 22.6 or later, on by default from 23.6${stripping}); ` +
    `or point the pool at the compiled .js file. ts-node works too, with TypeScript 6 or older (ts-node main.ts, or node -r ts-node/register main.ts)`
  );
}

/**
 * The module a worker thread starts from to load `file`: a `data:` URL of
 * {@link typeScriptBootstrap} (an eval worker does not get the inherited
 * CommonJS hooks; a module does).
 */
export function typeScriptWorkerUrl(file: string, runner: TypeScriptRunner): URL {
  return new URL(`data:text/javascript,${encodeURIComponent(typeScriptBootstrap(file, runner))}`);
}

/**
 * The ES module code that loads `file` in a worker (a thread, or a child
 * process of the process runtime).
 * `import()` under Node's type stripping; else `require` when a hook for
 * the file's extension is installed in the thread (inherited `-r`, tsx, or
 * the ts-node it registers), `import()` otherwise (an ES loader); an
 * extension nothing knows gets the message with the ways out.
 */
export function typeScriptBootstrap(file: string, { tsNode, stripsTypes }: TypeScriptRunner): string {
  const { href } = pathToFileURL(file);
  const unknown = typeScriptProblem(file, 'the loader this program runs under does not load it in a worker thread');
  const load = [
    'try {',
    `  await import(${JSON.stringify(href)});`,
    '} catch (error) {',
    `  if (error?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;`,
    `  throw new Error(${JSON.stringify(unknown)}, { cause: error });`,
    '}',
  ];
  return [
    "import { createRequire } from 'node:module';",
    `const require = createRequire(${JSON.stringify(href)});`,
    ...(tsNode ? [`require(${JSON.stringify(tsNode)});`] : []),
    ...(stripsTypes
      ? load
      : [`if (require.extensions[${JSON.stringify(extname(file))}]) require(${JSON.stringify(file)});`, 'else {', ...load.map((line) => `  ${line}`), '}']),
  ].join('\n');
}
