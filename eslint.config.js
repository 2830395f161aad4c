// ESLint over the TypeScript that tsconfig.json compiles: typescript-eslint's recommended rules (bug finders,
// no formatting: a formatter runs separately) plus the layering of DESIGN.md and CONVENTIONS.md §11 as
// no-restricted-imports. datapath/assembly is AssemblyScript (its own types and builtins), so it is not linted.
import { builtinRules } from 'eslint/use-at-your-own-risk'
import { builtinModules } from 'node:module'
import tseslint from 'typescript-eslint'

// ESLint's own recommended set ("eslint:recommended") is published as @eslint/js, which is not a dependency
// here; the same set is the core rules whose metadata marks them recommended.
const eslintRecommended = {
  name: 'eslint/recommended',
  rules: Object.fromEntries([...builtinRules].filter(([, rule]) => rule.meta?.docs?.recommended).map(([name]) => [name, 'error'])),
}

/** The top-level directories of TypeScript that tsconfig.json includes. */
const TS_DIRS = [
  'cli',
  'datapath/spec',
  'datapath/host',
  'model',
  'store',
  'northbound',
  'agent',
  'offload',
  'bench',
  'test',
  'schema',
  'log',
  'metrics',
  'conformance',
]
const TOP_DIRS = [
  'cli',
  'datapath',
  'model',
  'store',
  'northbound',
  'agent',
  'offload',
  'bench',
  'test',
  'schema',
  'log',
  'metrics',
  'conformance',
]
/** Deepest file below a top-level directory today is 3 levels (store/drivers/etcd/x.ts); 5 leaves room. */
const MAX_DEPTH = 5

// no-restricted-imports sees the import text, not the resolved file, so a rule about "importing top-level
// directory X" is written per file depth: a file d directories deep reaches the repository root with exactly
// d "../". No directory below the top level reuses a top-level name, so that prefix is unambiguous.
const up = depth => `^(?:\\.\\./){${depth}}`
const oneOf = dirs => `(?:${dirs.join('|')})/`

/**
 * The import restrictions of one file, from its top-level directory and depth. Flat config replaces (does
 * not merge) a rule's options when two blocks match a file, so each file gets all its patterns from one block.
 */
function importRules(top, depth, sub) {
  const root = up(depth)
  const patterns = []
  const only = (dirs, rule) => patterns.push({ regex: `${root}(?!${oneOf(dirs)})`, message: rule })

  if (top === 'datapath') {
    patterns.push({
      regex: '^(?!\\.)',
      message: 'datapath/ imports nothing from Node or npm: it runs anywhere WebAssembly does (CONVENTIONS §11).',
    })
    only(['datapath'], 'datapath/ imports nothing from outside datapath/.')
  }
  if (top === 'offload') {
    patterns.push({
      regex: `${root}agent/`,
      message: 'offload/ never imports agent/: the agent drives the planner, not the other way round.',
    })
  }
  if (top === 'model') {
    only(['model', 'datapath'], 'model/ imports nothing above it: only model/ and datapath/.')
  }
  if (top === 'store') {
    only(
      ['store', 'schema', 'log', 'metrics'],
      'store/ imports only store/, schema/, log/ and metrics/: drivers know nothing of Neutron or the agent.',
    )
  }
  if (['schema', 'log', 'metrics'].includes(top)) {
    only(['schema', 'log', 'metrics'], `${top}/ is a base layer: it imports nothing of the project except schema/, log/ and metrics/.`)
  }
  // Drivers are reached through store/registry.ts; the tests of a driver (test/store/) may open it directly.
  if (top !== 'store' && !(top === 'test' && sub === 'store')) {
    patterns.push({
      regex: `${root}store/(?:drivers/|pubsub/[^/]+/)`,
      message: 'Store and pub/sub drivers are opened through store/registry.ts, never imported directly.',
    })
  }
  // bench/ and cli/ are leaves. Tests may import cli/, and test/bench/ tests the benchmarks' own helpers.
  if (top !== 'bench' && !(top === 'test' && sub === 'bench')) {
    patterns.push({ regex: `${root}bench/`, message: 'bench/ is a leaf: nothing outside it imports it (move shared code down a layer).' })
  }
  // conformance/ (the Neutron project's API suite against ours) is a leaf like bench/.
  if (top !== 'conformance') {
    patterns.push({ regex: `${root}conformance/`, message: 'conformance/ is a leaf: nothing outside it imports it.' })
  }
  if (top !== 'cli' && top !== 'test') {
    patterns.push({ regex: `${root}cli/`, message: 'cli/ is a leaf: nothing outside it imports it (move shared code down a layer).' })
  }
  if (top === 'datapath') {
    // Bare Node names without the node: prefix are already caught by the "no bare specifier" pattern above;
    // listed too so the message names the real reason.
    return { paths: builtinModules.map(name => ({ name, message: 'datapath/ imports nothing from Node.' })), patterns }
  }
  return { patterns }
}

/** One files block per (top-level directory, second-level directory, depth). */
function layeringBlocks() {
  const blocks = []
  for (const top of TOP_DIRS) {
    const topDepth = top.split('/').length
    for (let depth = topDepth; depth <= MAX_DEPTH; depth++) {
      const below = depth - topDepth
      // test/ distinguishes its driver and bench tests by their second-level directory.
      const subs = top === 'test' && below >= 1 ? ['store', 'bench', null] : [null]
      for (const sub of subs) {
        const dirPart = sub === null ? '*/'.repeat(below) : `${sub}/${'*/'.repeat(below - 1)}`
        const files = [`${top}/${dirPart}*.ts`]
        const ignores =
          sub === null && top === 'test' && below >= 1
            ? [`test/store/${'*/'.repeat(below - 1)}*.ts`, `test/bench/${'*/'.repeat(below - 1)}*.ts`]
            : []
        blocks.push({
          name: `layering/${top}${sub ? '/' + sub : ''}/depth-${depth}`,
          files,
          ...(ignores.length ? { ignores } : {}),
          rules: { 'no-restricted-imports': ['error', importRules(top, depth, sub)] },
        })
      }
    }
  }
  return blocks
}

const TS_FILES = TS_DIRS.map(dir => `${dir}/**/*.ts`)

export default tseslint.config(
  {
    name: 'ignored',
    // Only the TypeScript that tsconfig.json compiles; scripts/ and bin/ are plain JavaScript glue.
    ignores: [
      'build/**',
      'node_modules/**',
      'datapath/assembly/**',
      'test/unit/conntrack-tcp/harness.ts',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  {
    name: 'typescript',
    files: TS_FILES,
    // Type-aware (recommendedTypeChecked): the whole tree lints in about 50 s on the 2-core CI machine.
    extends: [eslintRecommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
      // tap queues `t.test(...)` subtests itself and reports their failures: leaving that promise is tap's style.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafePromises: [{ from: 'package', package: '@tapjs/core', name: 'PromiseWithSubtest' }],
        },
      ],
      // Async functions without await are deliberate: they implement Promise-returning interfaces (store
      // drivers, pub/sub, tap callbacks) so a throw becomes a rejection, as the interface promises.
      '@typescript-eslint/require-await': 'off',
      // `x == null` (null or undefined) is the tree's deliberate idiom; every other == is an error.
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // `let x` declared before a teardown that reads it, assigned once later, is the tests' cleanup pattern.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    name: 'typescript/json-replies',
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    // Tests and benchmarks read JSON replies as `any` on purpose (each with its reason on the same line);
    // these rules would flag every property read of such a reply.
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  ...layeringBlocks(),
)
