/**
 * A pool on a `.ts` worker file, in consumer projects that install the
 * packed tarball: the worker threads run it under whatever the program runs
 * under (tsx, ts-node, Node's type stripping where Node has it), with
 * TypeScript 7 installed next to the library; and where nothing can run it,
 * the pool fails to start with a message that gives the ways out.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installConsumer } from './consumer/install';
import { packedTarball, step } from './consumer/packed';

const run = promisify(execFile);

const worker = `import { exposeTasks } from 'rxjs-threadpool/worker';

export const tasks = exposeTasks({
  greet(name: string): string {
    const greeting: string = \`hello \${name}\`;
    return greeting;
  },
});
export type Tasks = typeof tasks;
`;

/** A program (ES module) on the worker: its result, or the pool's start error, on stdout. */
const esmMain = (workerPath: string): string => `import { createPool } from 'rxjs-threadpool';
import type { Tasks } from './tasks.worker.js';

const pool = createPool<Tasks>(new URL(${JSON.stringify(workerPath)}, import.meta.url), { size: 1 });
const outcome = await pool.run('greet', 'worker').then(
  (value: string) => ({ value }),
  (error: Error & { code?: string }) => ({ code: error.code, message: error.message }),
);
console.log(JSON.stringify(outcome));
await pool.close();
`;

/** The same program, in plain JavaScript (no loader needed for the program itself). */
const esmPlainMain = (workerPath: string): string =>
  esmMain(workerPath)
    .replace("import type { Tasks } from './tasks.worker.js';\n", '')
    .replace('createPool<Tasks>', 'createPool')
    .replace('(value: string)', '(value)')
    .replace('(error: Error & { code?: string })', '(error)');

/** A CommonJS program on the worker, in TypeScript. */
const cjsMain = `import { join } from 'node:path';
import { createPool } from 'rxjs-threadpool';
import type { Tasks } from './tasks.worker';

async function main(): Promise<void> {
  const pool = createPool<Tasks>(join(__dirname, 'tasks.worker.ts'), { size: 1 });
  const outcome = await pool.run('greet', 'worker').then(
    (value: string) => ({ value }),
    (error: Error & { code?: string }) => ({ code: error.code, message: error.message }),
  );
  console.log(JSON.stringify(outcome));
  await pool.close();
}
void main();
`;

const cjsPlainMain = cjsMain
  .replace(
    "import { join } from 'node:path';\nimport { createPool } from 'rxjs-threadpool';\nimport type { Tasks } from './tasks.worker';\n",
    "const { join } = require('node:path');\nconst { createPool } = require('rxjs-threadpool');\n",
  )
  .replace('async function main(): Promise<void>', 'async function main()')
  .replace('createPool<Tasks>', 'createPool')
  .replace('(value: string)', '(value)')
  .replace('(error: Error & { code?: string })', '(error)');

const [major, minor] = process.versions.node.split('.').map(Number);
/** Node's own type stripping: 22.6 and later (behind a flag until 23.6). */
const stripsTypes = major > 22 || (major === 22 && minor >= 6);

interface Case {
  readonly name: string;
  readonly project: 'tsx' | 'ts-node' | 'bare';
  readonly command: readonly string[];
}

const cases: Case[] = [
  { name: 'tsx main.ts (TypeScript 7 and ts-node installed beside the library)', project: 'tsx', command: ['node_modules/.bin/tsx', 'main.ts'] },
  { name: 'node --import tsx main.ts', project: 'tsx', command: ['--import', 'tsx', 'main.ts'] },
  {
    name: 'ts-node main.ts (TypeScript 6; ts-node type-checks the program against the .d.ts files)',
    project: 'ts-node',
    command: ['node_modules/.bin/ts-node', 'main.ts'],
  },
  { name: 'node -r ts-node/register main.ts', project: 'ts-node', command: ['-r', 'ts-node/register/transpile-only', 'main.ts'] },
  { name: 'node main.js, a JavaScript program, with ts-node (TypeScript 6) installed: the workers register it', project: 'ts-node', command: ['plain.js'] },
  ...(stripsTypes
    ? [
        {
          name: "node --experimental-strip-types main.ts (Node's own type stripping)",
          project: 'bare',
          command: ['--experimental-strip-types', '--no-warnings', 'main.ts'],
        } as const,
      ]
    : []),
];

describe('a pool on a .ts worker file, in a consumer project', () => {
  let scratch: string;
  const dirs = {} as Record<Case['project'], string>;
  const outputs = new Map<string, unknown>();
  const failures = new Map<string, Error>();

  async function output(project: Case['project'], command: readonly string[]): Promise<unknown> {
    const [first, ...rest] = command;
    const args = first.startsWith('node_modules/.bin/') ? [join(dirs[project], first), ...rest] : command;
    const { stdout } = await step(`${project}: ${command.join(' ')}`, () => run(process.execPath, args as string[], { cwd: dirs[project], timeout: 60_000 }));
    return JSON.parse(stdout.trim().split('\n').pop() ?? 'null');
  }

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'rxjs-threadpool-ts-workers-'));
    const tarball = await packedTarball();
    dirs.tsx = join(scratch, 'tsx');
    dirs['ts-node'] = join(scratch, 'ts-node');
    dirs.bare = join(scratch, 'bare');
    await installConsumer(
      dirs.tsx,
      tarball,
      {
        rxjs: 'node_modules/rxjs',
        tsx: 'node_modules/tsx',
        typescript: 'node_modules/typescript-7',
        'ts-node': 'node_modules/ts-node',
        '@types/node': 'node_modules/@types/node-26',
      },
      'module',
    );
    await installConsumer(dirs['ts-node'], tarball, {
      rxjs: 'node_modules/rxjs',
      'ts-node': 'node_modules/ts-node',
      typescript: 'node_modules/typescript',
      '@types/node': 'node_modules/@types/node',
    });
    await installConsumer(dirs.bare, tarball, { rxjs: 'node_modules/rxjs' }, 'module');
    for (const dir of Object.values(dirs)) await writeFile(join(dir, 'tasks.worker.ts'), worker);
    // The ES module projects name the worker as it will be once compiled (./tasks.worker.js): the pool finds the .ts source.
    await writeFile(join(dirs.tsx, 'main.ts'), esmMain('./tasks.worker.js'));
    await writeFile(join(dirs.tsx, 'plain.mjs'), esmPlainMain('./tasks.worker.ts'));
    await writeFile(join(dirs.bare, 'main.ts'), esmMain('./tasks.worker.js'));
    await writeFile(join(dirs.bare, 'plain.mjs'), esmPlainMain('./tasks.worker.ts'));
    await writeFile(join(dirs['ts-node'], 'main.ts'), cjsMain);
    await writeFile(join(dirs['ts-node'], 'plain.js'), cjsPlainMain);
    await writeFile(
      join(dirs['ts-node'], 'tsconfig.json'),
      `${JSON.stringify({ compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'es2022', strict: true, types: ['node'], skipLibCheck: false } }, null, 2)}\n`,
    );
    // One program at a time: each starts a worker, and ts-node type-checks.
    for (const { name, project, command } of cases) {
      try {
        outputs.set(name, await output(project, command));
      } catch (error) {
        failures.set(name, error as Error);
      }
    }
  }, 300_000);

  afterAll(async () => {
    if (scratch && existsSync(scratch)) await rm(scratch, { recursive: true, force: true });
  });

  test.each(cases.map((each) => [each.name]))('%s: the worker runs the .ts file', (name) => {
    const failure = failures.get(name);
    if (failure) throw failure;
    expect(outputs.get(name)).toEqual({ value: 'hello worker' });
  });

  test('nothing runs TypeScript: the pool fails to start, saying so and giving the three ways out', async () => {
    const outcome = (await output('bare', ['plain.mjs'])) as { code: string; message: string };
    expect(outcome.code).toBe('ERR_WORKER_START');
    expect(outcome.message).toContain('tasks.worker.ts is TypeScript, and nothing in this process runs TypeScript');
    expect(outcome.message).toContain('tsx main.ts');
    expect(outcome.message).toContain('node --experimental-strip-types main.ts');
    expect(outcome.message).toContain('point the pool at the compiled .js file');
    // This Node's own type stripping, or the lack of it, is named.
    if (!stripsTypes) expect(outcome.message).toContain(`this is Node ${process.versions.node}, which has none`);
  });

  test('a preload that runs no TypeScript is inherited, and the worker fails to start saying so, with the ways out', async () => {
    await writeFile(join(dirs.bare, 'preload.cjs'), '// a preload of the program (tracing, dotenv...), not a TypeScript loader\n');
    const outcome = (await output('bare', ['--require', './preload.cjs', 'plain.mjs'])) as { code: string; message: string };
    expect(outcome.code).toBe('ERR_WORKER_START');
    expect(outcome.message).toContain('tasks.worker.ts is TypeScript, and the loader this program runs under does not load it in a worker thread');
    expect(outcome.message).toContain('tsx main.ts');
  });

  test('ts-node installed beside TypeScript 7 (which it cannot run): the pool does not try it, and says why', async () => {
    const outcome = (await output('tsx', ['plain.mjs'])) as { code: string; message: string };
    expect(outcome.code).toBe('ERR_WORKER_START');
    expect(outcome.message).toMatch(
      /cannot run TypeScript 7\.\d+\.\d+, the one installed beside it: ts-node 10 needs TypeScript 6 or older \(npm install -D typescript@6\)/,
    );
    expect(outcome.message).toContain('tsx main.ts');
  });
});
