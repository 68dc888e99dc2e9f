/**
 * Bundles the browser example into `examples/browser/dist/<bundler>/`, with
 * esbuild, Vite or webpack 5: `index.html`, the page's module and the Web
 * Workers' module.
 *
 * The page starts its workers with
 * `new Worker(new URL('./tasks.worker.js', import.meta.url), { type: 'module' })`.
 * Vite and webpack recognise that expression and bundle the worker module
 * themselves; esbuild does not, so it builds `tasks.worker.ts` as a second
 * entry point, to `tasks.worker.js` beside the page's module, where the URL
 * points.
 *
 * Built from the library's sources, each bundler is told to take
 * `src/threads/platform.browser.ts` for `platform.js` (the published
 * package's `dist/*\/package.json` `browser` fields do that for an
 * application that installs it).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The bundlers the example builds with. */
export const bundlers = ['esbuild', 'vite', 'webpack'] as const;

/** One of {@link bundlers}. */
export type Bundler = (typeof bundlers)[number];

/** Where the bundles go: one folder per bundler. */
export const outdir = join(__dirname, 'dist');

/** An import of the Node platform module from the library's sources, and the browser one that replaces it. */
const platformImport = /^(\.{1,2}\/(?:.*\/)?)platform\.js$/;

/** The page as the bundled `main.js` loads it (the source page names `main.ts`, as Vite wants). */
function writePage(folder: string): void {
  writeFileSync(join(folder, 'index.html'), readFileSync(join(__dirname, 'index.html'), 'utf8').replace('./main.ts', './main.js'));
}

async function withEsbuild(folder: string): Promise<void> {
  const { build } = await import('esbuild');
  const common = {
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    logLevel: 'warning',
    plugins: [
      {
        name: 'browser-platform',
        setup(plugin) {
          plugin.onResolve({ filter: /platform\.js$/ }, ({ path, resolveDir }) =>
            platformImport.test(path) ? { path: resolve(resolveDir, path.replace(/platform\.js$/, 'platform.browser.ts')) } : undefined,
          );
        },
      },
    ],
  } satisfies import('esbuild').BuildOptions;
  await Promise.all([
    build({ ...common, entryPoints: [join(__dirname, 'main.ts')], outfile: join(folder, 'main.js') }),
    build({ ...common, entryPoints: [join(__dirname, 'tasks.worker.ts')], outfile: join(folder, 'tasks.worker.js') }),
  ]);
  writePage(folder);
}

/** The part of a Vite plugin used here. */
interface VitePlugin {
  readonly name: string;
  readonly enforce: 'pre';
  resolveId(source: string, importer: string | undefined): string | undefined;
}

/** The part of Vite's API used here. */
interface Vite {
  build(config: object): Promise<unknown>;
}

async function withVite(folder: string): Promise<void> {
  // Vite 8 is an ES module, typed for node16/bundler resolution only: a CommonJS caller (ts-node, jest)
  // reaches it through a real import(), typed here with what this file uses.
  const importModule = new Function('id', 'return import(id)') as (id: string) => Promise<Vite>;
  const { build } = await importModule('vite');
  const browserPlatform = (): VitePlugin => ({
    name: 'browser-platform',
    enforce: 'pre',
    resolveId: (source, importer) =>
      importer && platformImport.test(source) ? resolve(dirname(importer), source.replace(/platform\.js$/, 'platform.browser.ts')) : undefined,
  });
  await build({
    root: __dirname,
    configFile: false,
    logLevel: 'warn',
    base: './',
    plugins: [browserPlatform()],
    worker: { format: 'es', plugins: () => [browserPlatform()] },
    build: { outDir: folder, emptyOutDir: true, target: 'es2022', sourcemap: true, minify: false },
  });
}

async function withWebpack(folder: string): Promise<void> {
  const { default: webpack } = await import('webpack');
  const compiler = webpack({
    mode: 'production',
    context: __dirname,
    entry: { main: join(__dirname, 'main.ts') },
    output: { path: folder, filename: '[name].js', module: true, clean: true },
    experiments: { outputModule: true },
    target: 'web',
    devtool: 'source-map',
    optimization: { minimize: false },
    resolve: { extensions: ['.ts', '.js'], extensionAlias: { '.js': ['.ts', '.js'] } },
    module: {
      rules: [
        {
          test: /\.ts$/,
          loader: 'ts-loader',
          options: { transpileOnly: true, configFile: join(__dirname, 'tsconfig.json'), compilerOptions: { noEmit: false, module: 'es2022', sourceMap: true } },
        },
      ],
    },
    plugins: [
      new webpack.NormalModuleReplacementPlugin(platformImport, (resource: { request: string }) => {
        resource.request = resource.request.replace(/platform\.js$/, 'platform.browser.ts');
      }),
    ],
    stats: 'errors-warnings',
  });
  await new Promise<void>((done, fail) => {
    compiler.run((error, stats) => {
      compiler.close(() => {
        if (error) fail(error);
        else if (stats?.hasErrors()) fail(new Error(`webpack: ${stats.toString('errors-only')}`));
        else done();
      });
    });
  });
  writePage(folder);
}

const builders: Record<Bundler, (folder: string) => Promise<void>> = { esbuild: withEsbuild, vite: withVite, webpack: withWebpack };

/** Builds the example with `bundler`; resolves with the folder to serve. */
export async function buildExample(bundler: Bundler = 'esbuild'): Promise<string> {
  const folder = join(outdir, bundler);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  await builders[bundler](folder);
  return folder;
}

if (require.main === module) {
  const bundler = (process.argv[2] ?? 'esbuild') as Bundler;
  if (!bundlers.includes(bundler)) {
    console.error(`usage: build.ts [${bundlers.join('|')}]`);
    process.exitCode = 1;
  } else {
    buildExample(bundler).then(
      (folder) => console.log(`built ${folder}`),
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  }
}
