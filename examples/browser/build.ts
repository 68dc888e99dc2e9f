/**
 * Bundles the browser example with esbuild into `examples/browser/dist/`:
 * `main.js` (an ES module for the page), `tasks.worker.js` (a classic
 * script for the Web Workers) and `index.html`.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/** Where the bundle goes. */
export const outdir = join(__dirname, 'dist');

/** Builds the example; resolves with the folder to serve. */
export async function buildExample(): Promise<string> {
  mkdirSync(outdir, { recursive: true });
  const common = { bundle: true, platform: 'browser', target: 'es2022', sourcemap: true, logLevel: 'warning' } as const;
  await Promise.all([
    build({ ...common, entryPoints: [join(__dirname, 'main.ts')], format: 'esm', outfile: join(outdir, 'main.js') }),
    build({ ...common, entryPoints: [join(__dirname, 'tasks.worker.ts')], format: 'iife', outfile: join(outdir, 'tasks.worker.js') }),
  ]);
  copyFileSync(join(__dirname, 'index.html'), join(outdir, 'index.html'));
  return outdir;
}

if (require.main === module) {
  buildExample().then(
    (folder) => console.log(`built ${folder}`),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
