// `npm run build`: the package's two builds, each with its .d.ts files.
//
//   dist/cjs  CommonJS (tsconfig.build.cjs.json), with {"type":"commonjs"}
//   dist/esm  ES modules (tsconfig.build.esm.json), with {"type":"module"}
//
// Each tree is self-contained (its files import only each other), so an
// application that imports several entry points the same way gets one copy.
// The sources import each other with explicit `.js` extensions, which Node's
// ESM loader needs and TypeScript keeps as written.
//
// One file differs between the builds: `src/nodeRequire`, the library's
// `require`, which an ES module gets from `createRequire(import.meta.url)`.
// TypeScript cannot emit `import.meta` into CommonJS, so the ESM output of
// that file is replaced here.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

function files(dir, test) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && test(entry.name))
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

for (const format of ['cjs', 'esm']) {
  rmSync(join(root, 'dist', format), { recursive: true, force: true });
  const run = spawnSync(process.execPath, [tsc, '-p', join(root, `tsconfig.build.${format}.json`)], { stdio: 'inherit' });
  if (run.status !== 0) fail(`tsc -p tsconfig.build.${format}.json failed`);
}

// Bundlers read the `browser` field of the nearest package.json: each tree swaps its Node platform module
// (Node's fs, os, worker_threads; threads.js loaded lazily) for the browser one.
const browser = {
  './src/threads/platform.js': './src/threads/platform.browser.js',
  './src/worker/platform.js': './src/worker/platform.browser.js',
};
writeFileSync(join(root, 'dist/cjs/package.json'), `${JSON.stringify({ type: 'commonjs', browser })}\n`);
writeFileSync(join(root, 'dist/esm/package.json'), `${JSON.stringify({ type: 'module', browser })}\n`);

const nodeRequire = join(root, 'dist/esm/src/nodeRequire.js');
const cjsLine = 'export const nodeRequire = require;';
const emitted = readFileSync(nodeRequire, 'utf8');
if (!emitted.includes(cjsLine)) fail(`${relative(root, nodeRequire)} no longer contains "${cjsLine}": update scripts/build.mjs`);
writeFileSync(
  nodeRequire,
  emitted.replace(cjsLine, "import { createRequire } from 'node:module';\nexport const nodeRequire = createRequire(import.meta.url);"),
);

// Checks on what was emitted.
// Import and export statements (at the start of a line, so not the examples in doc comments) and import() types.
const statements = /^\s*(?:import|export)\b[^;]*?\sfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
const specifiersOf = (file) => [...readFileSync(file, 'utf8').matchAll(statements)].map((match) => match[1] ?? match[2] ?? match[3]);
for (const file of files(join(root, 'dist/esm'), (name) => name.endsWith('.js') || name.endsWith('.d.ts'))) {
  for (const specifier of specifiersOf(file)) {
    if (specifier.startsWith('.') && !specifier.endsWith('.js'))
      fail(`${relative(root, file)} imports "${specifier}" without a .js extension (Node's ESM loader needs it)`);
  }
}
for (const format of ['cjs', 'esm']) {
  for (const file of files(join(root, 'dist', format), (name) => name.endsWith('.d.ts'))) {
    // The `threads` package's types cannot be found under node16/nodenext/bundler resolution.
    if (specifiersOf(file).some((specifier) => /^threads(\/|$)/.test(specifier))) fail(`${relative(root, file)} imports the "threads" package`);
    // Nor can a reference to them; and a consumer without the DOM library has no global Transferable.
    if (/^\/\/\/\s*<reference\s+(lib=|types=["']threads)/m.test(readFileSync(file, 'utf8')))
      fail(`${relative(root, file)} references a lib or the threads types`);
  }
}
for (const entry of ['src/index', 'operators/index', 'src/worker/index', 'marbles/index', 'src/bullmq/index', 'src/bullmq/cli']) {
  for (const format of ['cjs', 'esm']) {
    for (const extension of ['.js', '.d.ts']) {
      if (!existsSync(join(root, 'dist', format, entry + extension))) fail(`missing dist/${format}/${entry}${extension}`);
    }
  }
}
console.log('build: dist/cjs and dist/esm');
