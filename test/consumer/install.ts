/**
 * Scratch consumer projects that install the packed tarball with npm,
 * offline: each project's package-lock.json is written from this
 * repository's own (same versions, same integrity hashes), so `npm ci
 * --offline` takes every package from the npm cache that this repository's
 * `npm ci` filled. A project gets what a consumer would have next to the
 * library (TypeScript 7, @types/node 26, tsx, ts-node...), installed under
 * their real names even where this repository installs them under npm
 * aliases (`typescript-7` is `typescript` there).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { npm, repo, step } from './packed';

interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  dev?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  [key: string]: unknown;
}

const registry = (process.env.npm_config_registry ?? 'https://registry.npmjs.org/').replace(/\/?$/, '/');

let repoLock: Promise<Record<string, LockEntry>> | undefined;

function lockOfRepo(): Promise<Record<string, LockEntry>> {
  repoLock ??= readFile(join(repo, 'package-lock.json'), 'utf8').then((text) => (JSON.parse(text) as { packages: Record<string, LockEntry> }).packages);
  return repoLock;
}

/** Where Node would find `name` from the package at `from`, in the repository's tree. */
function resolveIn(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let dir = from; ;) {
    const path = `${dir === '' ? '' : `${dir}/`}node_modules/${name}`;
    if (packages[path]) return path;
    if (dir === '') return undefined;
    const at = dir.lastIndexOf('/node_modules/');
    dir = at === -1 ? '' : dir.slice(0, at);
  }
}

/** A consumer project's dependencies: its name for each, and the repository's install it is copied from (`node_modules/typescript-7`). */
export type Dependencies = Readonly<Record<string, string>>;

/**
 * Writes `dir/package.json` and `dir/package-lock.json` for the tarball and
 * `dependencies`, then `npm ci --offline` there.
 *
 * @param type - The project's module type (`"type"` in its package.json).
 */
export async function installConsumer(dir: string, tarball: string, dependencies: Dependencies, type: 'module' | 'commonjs' = 'commonjs'): Promise<void> {
  const packages = await lockOfRepo();
  const own = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as LockEntry & {
    bin?: unknown;
    peerDependenciesMeta?: unknown;
    engines?: unknown;
    license?: string;
  };
  const lock: Record<string, LockEntry> = {};
  const place = (at: string, entry: LockEntry): void => {
    const existing = lock[at];
    if (existing && existing.version !== entry.version)
      throw new Error(`consumer project ${dir}: ${at} is needed at ${existing.version} and at ${String(entry.version)}`);
    lock[at] = entry;
  };
  // Copies the package at `from` (and what it depends on) to `at`, and the packages it finds from there.
  const copy = (from: string, at: string): void => {
    if (lock[at]?.version === packages[from].version) return;
    const { dev, devOptional, peer, name, ...entry } = packages[from];
    void dev;
    void devOptional;
    void peer;
    // An alias (node_modules/typescript-7 is typescript) goes under its own name: the entry needs none.
    // This repository's lockfile may omit download addresses (npm's omit-lockfile-registry-resolved):
    // give the registry's, by which (with the integrity hash) npm finds the tarball in its cache.
    const real = name ?? from.slice(from.lastIndexOf('node_modules/') + 'node_modules/'.length);
    place(at, { ...entry, resolved: entry.resolved ?? `${registry}${real}/-/${real.split('/').pop() as string}-${entry.version as string}.tgz` });
    for (const dependency of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
      const found = resolveIn(packages, from, dependency);
      if (!found) continue; // an optional dependency for another platform
      const nested = found.startsWith(`${from}/`) ? at + found.slice(from.length) : found;
      copy(found, nested);
    }
  };
  const root: Record<string, string> = {};
  for (const [name, from] of Object.entries(dependencies)) {
    if (!packages[from]) throw new Error(`${from} is not in this repository's package-lock.json: add it to devDependencies`);
    copy(from, `node_modules/${name}`);
    root[name] = packages[from].version as string;
  }
  // The tarball, with what it depends on (threads), as npm would record it.
  const relativeTarball = `file:${relative(dir, tarball)}`;
  root[own.name as string] = relativeTarball;
  for (const dependency of Object.keys(own.dependencies ?? {})) copy(`node_modules/${dependency}`, `node_modules/${dependency}`);
  lock[`node_modules/${own.name as string}`] = {
    version: own.version,
    resolved: relativeTarball,
    integrity: `sha512-${createHash('sha512')
      .update(await readFile(tarball))
      .digest('base64')}`,
    license: own.license,
    dependencies: own.dependencies,
    bin: own.bin,
    peerDependencies: own.peerDependencies,
    peerDependenciesMeta: own.peerDependenciesMeta,
    engines: own.engines,
  };
  const manifest = { name: 'consumer', version: '1.0.0', private: true, type, dependencies: root };
  const lockfile = {
    name: 'consumer',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name: 'consumer', version: '1.0.0', dependencies: root }, ...lock },
  };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(join(dir, 'package-lock.json'), `${JSON.stringify(lockfile, null, 2)}\n`);
  await step(
    `npm ci in ${dir} (offline: it takes every package from the npm cache that this repository's npm ci filled; if one is missing, run npm ci here again)`,
    () => npm(['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], dir),
  );
}
