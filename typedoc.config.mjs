// TypeDoc (`npm run docs`; `npm test` builds it without writing, and fails on any warning).
//
// The README is the landing page, and the topic pages under docs/ are
// documents beside the API (their relative links resolve to each other,
// to the README, and to files of the repository). The root module's exports are grouped by
// `@category` (pools, tasks, errors, the imperative API; requests and
// outcomes by default), the modules keep the order of `entryPoints`, and
// every page links to its source when package.json names a repository.
import { readFileSync } from 'node:fs';

const { repository } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const github = /github\.com[/:]([^/]+\/[^/.#]+)/.exec(typeof repository === 'string' ? repository : (repository?.url ?? ''))?.[1];

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  $schema: 'https://typedoc.org/schema.json',
  name: 'rxjs-threadpool',
  entryPoints: ['src/index.ts', 'operators/index.ts', 'src/worker/index.ts', 'marbles/index.ts', 'src/bullmq/index.ts'],
  entryPointStrategy: 'resolve',
  sortEntryPoints: false,
  tsconfig: 'tsconfig.build.esm.json',
  out: 'docs/api',
  readme: 'README.md',
  // The topic pages the README links, as documents beside the API (docs/api/ is the output, never an input).
  projectDocuments: ['docs/*.md'],
  excludePrivate: true,
  excludeInternal: true,
  categorizeByGroup: false,
  defaultCategory: 'Requests and outcomes',
  categoryOrder: ['Pools', 'Requests and outcomes', 'Tasks', 'Errors', 'Imperative API (ThreadPool)', '*'],
  validation: { notExported: true, invalidLink: true, notDocumented: true },
  // The member AsyncDisposal maps onto Symbol.asyncDispose: TypeDoc reads no comment on a mapped member (AsyncDisposal's own says what it does).
  intentionallyNotDocumented: ['rxjs-threadpool.AsyncDisposal.__type.asyncDispose', 'rxjs-threadpool.Pool.[asyncDispose]'],
  requiredToBeDocumented: ['Enum', 'EnumMember', 'Variable', 'Function', 'Class', 'Interface', 'Property', 'Method', 'Accessor', 'TypeAlias'],
  plugin: ['./scripts/typedoc-rxjs-links.mjs', './scripts/typedoc-document-titles.mjs'],
  externalSymbolLinkMappings: {
    rxjs: {
      Observable: 'https://rxjs.dev/api/index/class/Observable',
      OperatorFunction: 'https://rxjs.dev/api/index/interface/OperatorFunction',
      SchedulerLike: 'https://rxjs.dev/api/index/interface/SchedulerLike',
    },
  },
  treatWarningsAsErrors: true,
  // Links to the main branch (a local commit may not be on GitHub); none without a repository.
  ...(github
    ? { disableGit: true, gitRevision: 'main', sourceLinkTemplate: `https://github.com/${github}/blob/{gitRevision}/{path}#L{line}` }
    : { disableSources: true }),
};
