// `dragonflow agent` and `dragonflow serve` refuse bad --l3 / --l3-idle-timeout and liveness values
// (--report-interval, --agent-down-time) with a usage error (exit 2) before they open anything: no store or data
// directory is created.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { REPO } from '../northbound/helpers/api-process.js'

const dir = mkdtempSync(join(tmpdir(), 'dfe-l3-flags-'))
t.teardown(() => {
  rmSync(dir, { recursive: true, force: true })
})

const run = (cmd: 'agent' | 'serve', ...extra: string[]): { status: number | null; stderr: string } => {
  const base =
    cmd === 'agent'
      ? [
          'agent',
          '--store',
          'embedded',
          '--data-dir',
          join(dir, 'store'),
          '--ovsdb',
          `unix:${join(dir, 'no-such.sock')}`,
          '--of-socket',
          join(dir, 'of.sock'),
        ]
      : ['serve', '--data-dir', join(dir, 'store'), '--netns', 'none', '--ovsdb', `unix:${join(dir, 'no-such.sock')}`]
  const r = spawnSync(process.execPath, [join(REPO, 'bin/dragonflow.js'), ...base, ...extra], { encoding: 'utf8', timeout: 30_000 })
  return { status: r.status, stderr: r.stderr }
}

for (const cmd of ['agent', 'serve'] as const) {
  for (const [flags, message] of [
    [['--l3', 'sideways'], /--l3 must be proactive or reactive, not 'sideways'/],
    [['--l3', 'reactive', '--l3-idle-timeout', '0'], /--l3-idle-timeout must be whole seconds in 1\.\.65535, not '0'/],
    [['--l3-idle-timeout', '1.5'], /--l3-idle-timeout must be whole seconds/],
    [['--l3-idle-timeout', '65536'], /--l3-idle-timeout must be whole seconds/],
    [['--report-interval', '0'], /--report-interval must be seconds in \(0, 86400\], not '0'/],
    [['--report-interval', 'soon'], /--report-interval must be seconds in \(0, 86400\], not 'soon'/],
    ...(cmd === 'serve' ? ([[['--agent-down-time=-3'], /--agent-down-time must be seconds in \(0, 86400\], not '-3'/]] as const) : []),
  ] as const) {
    t.test(`${cmd} ${flags.join(' ')}`, async t => {
      const r = run(cmd, ...flags)
      t.equal(r.status, 2, 'a usage error')
      t.match(r.stderr, message)
      t.notOk(existsSync(join(dir, 'store')), 'nothing was opened')
    })
  }
}
