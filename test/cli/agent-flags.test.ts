// `dragonflow agent` refuses bad tunnel flags with a usage error (exit 2) before it opens anything: no store
// directory is created, no OVSDB connection is tried.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { REPO } from '../northbound/helpers/api-process.js'

const dir = mkdtempSync(join(tmpdir(), 'dfe-agent-flags-'))
t.teardown(() => {
  rmSync(dir, { recursive: true, force: true })
})

const agent = (...extra: string[]): { status: number | null; stderr: string } => {
  const r = spawnSync(
    process.execPath,
    [
      join(REPO, 'bin/dragonflow.js'),
      'agent',
      '--store',
      'embedded',
      '--data-dir',
      join(dir, 'store'),
      '--ovsdb',
      `unix:${join(dir, 'no-such.sock')}`,
      '--of-socket',
      join(dir, 'of.sock'),
      ...extra,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  )
  return { status: r.status, stderr: r.stderr }
}

for (const [flags, message] of [
  [['--tunnel-ip', '172.31.0.1', '--tunnel', 'ipip'], /--tunnel must be one of vxlan, geneve, gre, not 'ipip'/],
  [['--tunnel', 'geneve'], /--tunnel needs --tunnel-ip/],
  [['--tunnel-ip', 'vtep.example'], /--tunnel-ip must be an IPv4 address, not 'vtep.example'/],
  [['--tunnel-ip', '2001:db8::1'], /--tunnel-ip must be an IPv4 address/],
] as const) {
  t.test(flags.join(' '), async t => {
    const r = agent(...flags)
    t.equal(r.status, 2, 'a usage error')
    t.match(r.stderr, message)
    t.notOk(existsSync(join(dir, 'store')), 'nothing was opened')
  })
}
