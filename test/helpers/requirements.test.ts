// needRoot / needTool: a missing requirement skips outside CI and FAILS in CI (DRAGONFLOW_CI=1). Each case runs
// a tiny test file in a child tap process with PATH emptied, so that tcpdump is missing there.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { needTool, onPath } from './requirements.js'

const dir = mkdtempSync(join(tmpdir(), 'requirements-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
// Plain JavaScript with absolute imports: a TypeScript file outside the tree would not find tap's types.
const probe = join(dir, 'probe.test.mjs')
writeFileSync(
  probe,
  [
    `import t from '${import.meta.resolve('tap')}'`,
    `import { needTool } from '${pathToFileURL(join(process.cwd(), 'test', 'helpers', 'requirements.ts')).href}'`,
    "t.test('uses tcpdump', { skip: needTool('tcpdump') }, async t => { t.pass('ran') })",
    "t.test('uses tcpdump again', { skip: needTool('tcpdump') }, async t => { t.pass('ran') })",
  ].join('\n'),
)

function runProbe(env: Record<string, string>): { status: number | null; out: string } {
  // The child is a plain node with tap's loaders (this process's execArgv), PATH without tcpdump.
  const r = spawnSync(process.execPath, [...process.execArgv, probe], {
    encoding: 'utf8',
    cwd: process.cwd(),
    env: { HOME: process.env['HOME'] ?? '/', PATH: dir, ...env },
  })
  return { status: r.status, out: r.stdout + r.stderr }
}

t.test('a present tool is not a skip', { skip: !onPath('node') && 'node is not on PATH' }, async t => {
  t.ok(onPath('node'), 'node is found on PATH')
  t.notOk(onPath('no-such-tool-dragonflow'), 'a name that is nowhere is not found')
  if (onPath('tcpdump')) t.equal(needTool('tcpdump'), false, 'tcpdump here: needTool lets the test run')
})

t.test('outside CI a missing tool skips, with the reason', async t => {
  const r = runProbe({})
  t.equal(r.status, 0, 'the file passes', { output: r.out })
  t.match(r.out, /# SKIP tcpdump is not installed/, 'the test is skipped and says why')
  t.notMatch(r.out, /not ok/, 'nothing fails')
})

t.test('in CI a missing tool fails once, naming the fix', async t => {
  const r = runProbe({ DRAGONFLOW_CI: '1' })
  t.not(r.status, 0, 'the file fails', { output: r.out })
  t.match(r.out, /not ok \d+ - tcpdump is not installed: run scripts\/install-deps.sh/, 'the failure says what to do')
  t.equal(r.out.match(/not ok \d+ - tcpdump is not installed/g)?.length, 1, 'one failure for two tests that need it')
})
