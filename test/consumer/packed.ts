/**
 * The package as npm publishes it: `npm run build`, then `npm pack`, once
 * for every suite that installs it (pack, README, TypeScript workers).
 *
 * The tarball is kept under `node_modules/.cache/rxjs-threadpool-pack/`,
 * named by a hash of everything that goes into it (sources, build scripts,
 * package.json, README, LICENSE), so a second suite, or a second run with
 * nothing changed, takes it as it is. Suites running at the same time in
 * several Jest workers build it once: the first takes a lock (a directory),
 * the others wait for the tarball to appear.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, watch, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository. */
export const repo = join(__dirname, '..', '..');

const cache = join(repo, 'node_modules', '.cache', 'rxjs-threadpool-pack');

/** What the tarball is made from. */
const inputs = [
  'package.json',
  'README.md',
  'LICENSE',
  'tsconfig.json',
  'tsconfig.build.cjs.json',
  'tsconfig.build.esm.json',
  'scripts/build.mjs',
  'src',
  'operators',
  'marbles',
];

function filesUnder(path: string): string[] {
  const full = join(repo, path);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [full];
  return readdirSync(full, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name))
    .sort();
}

function inputHash(): string {
  const hash = createHash('sha256');
  for (const file of inputs.flatMap(filesUnder)) hash.update(relative(repo, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** npm, the one running the tests when there is one. */
export function npm(args: readonly string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  const cli = process.env.npm_execpath;
  return cli && /npm-cli\.[cm]?js$/.test(cli)
    ? run(process.execPath, [cli, ...args], { cwd, maxBuffer: 1 << 24 })
    : run(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { cwd, maxBuffer: 1 << 24, shell: process.platform === 'win32' });
}

/** Runs `action`; a failure's error says what failed, with the command's output. */
export async function step<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${what} failed: ${(error as Error).message}\n${stdout}\n${stderr}`);
  }
}

/** Whether a process is alive (the holder of a lock). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Resolves when `file` exists or `lock` is gone (watching the cache folder,
 * where both change), or rejects after `ms`.
 */
function appears(file: string, ms: number, lock: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (existsSync(file) || !existsSync(lock)) finish();
    };
    const watcher = watch(cache, check);
    const timer = setTimeout(() => finish(new Error(`${relative(repo, file)} did not appear within ${ms} ms`)), ms);
    function finish(error?: Error): void {
      clearTimeout(timer);
      watcher.close();
      if (error) reject(error);
      else resolve();
    }
    check();
  });
}

let packed: Promise<string> | undefined;

/** The packed tarball's path: built on the first call (in this process, or any Jest worker), then reused. */
export function packedTarball(): Promise<string> {
  packed ??= pack();
  return packed;
}

async function pack(): Promise<string> {
  mkdirSync(cache, { recursive: true });
  const { name, version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { name: string; version: string };
  const folder = join(cache, inputHash());
  const tarball = join(folder, `${name}-${version}.tgz`);
  const lock = `${folder}.lock`;
  for (;;) {
    if (existsSync(tarball)) return tarball;
    try {
      mkdirSync(lock);
    } catch {
      const holder = Number(readFileSync(join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }));
      if (holder && !alive(holder)) rmSync(lock, { recursive: true, force: true });
      else await appears(tarball, 240_000, lock);
      continue;
    }
    try {
      writeFileSync(join(lock, 'pid'), String(process.pid));
      // Older tarballs are of sources that changed since.
      for (const entry of readdirSync(cache))
        if (!entry.startsWith(folder.slice(cache.length + 1))) rmSync(join(cache, entry), { recursive: true, force: true });
      const building = `${folder}.tmp-${process.pid}`;
      rmSync(building, { recursive: true, force: true });
      mkdirSync(building);
      await step('npm run build', () => npm(['run', 'build'], repo));
      // The build ran above; --ignore-scripts keeps pack from running the prepack build again.
      await step('npm pack', () => npm(['pack', '--ignore-scripts', '--pack-destination', building], repo));
      renameSync(building, folder);
      return tarball;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}
