// --bridge-mappings physnet:bridge[,physnet:bridge]: the parser is strict (Neutron's OVS agent syntax, a physnet
// or a bridge mapped twice refused), and `agent` / `serve` refuse a bad value with exit 2 naming the flag before
// they open anything.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { REPO } from '../northbound/helpers/api-process.js'
import { UsageError, parseBridgeMappings } from '../../cli/command.js'
import { formatBridgeMappings } from '../../agent/controller/chassis.js'

t.test('parser: good mappings', async t => {
  t.same([...parseBridgeMappings('physnet1:br-ex')], [['physnet1', 'br-ex']])
  t.same(
    [...parseBridgeMappings('physnet1:br-ex, provider.2:br_vlan')],
    [
      ['physnet1', 'br-ex'],
      ['provider.2', 'br_vlan'],
    ],
    'spaces after commas are allowed',
  )
  t.equal(formatBridgeMappings(parseBridgeMappings('a:br-a,b:br-b')), 'a:br-a,b:br-b', 'round trip as the chassis row advertises it')
})

t.test('parser: bad mappings are usage errors naming the flag', async t => {
  for (const [text, why] of [
    ['', /'' is not physnet:bridge/],
    ['physnet1', /not physnet:bridge/],
    ['physnet1:br-ex,', /'' is not physnet:bridge/],
    ['physnet1:br-ex:x', /not physnet:bridge/],
    [':br-ex', /bad physical network name ''/],
    ['phys net:br-ex', /bad physical network name/],
    ['physnet1:', /bad bridge name ''/],
    ['physnet1:a-bridge-name-too-long', /bad bridge name/],
    ['physnet1:br-int', /integration bridge/],
    ['physnet1:br-ex,physnet1:br-ex2', /physical network 'physnet1' is mapped twice/],
    ['physnet1:br-ex,physnet2:br-ex', /bridge 'br-ex' is mapped twice/],
  ] as const) {
    t.throws(() => parseBridgeMappings(text), { name: 'UsageError', message: /^--bridge-mappings: / }, `'${text}' refused`)
    try {
      parseBridgeMappings(text)
    } catch (err) {
      t.ok(err instanceof UsageError)
      t.match((err as Error).message, why)
    }
  }
})

const dir = mkdtempSync(join(tmpdir(), 'dfe-bridge-mappings-'))
t.teardown(() => {
  rmSync(dir, { recursive: true, force: true })
})
const run = (cmd: string, ...extra: string[]): { status: number | null; stderr: string; stdout: string } => {
  const common =
    cmd === 'agent'
      ? [
          '--store',
          'embedded',
          '--data-dir',
          join(dir, 'store'),
          '--ovsdb',
          `unix:${join(dir, 'no-such.sock')}`,
          '--of-socket',
          join(dir, 'of.sock'),
        ]
      : ['--data-dir', join(dir, 'serve'), '--ovsdb', `unix:${join(dir, 'no-such.sock')}`]
  const r = spawnSync(process.execPath, [join(REPO, 'bin/dragonflow.js'), cmd, ...common, ...extra], { encoding: 'utf8', timeout: 30_000 })
  return { status: r.status, stderr: r.stderr, stdout: r.stdout }
}

for (const cmd of ['agent', 'serve']) {
  t.test(`${cmd} --bridge-mappings refuses bad syntax with exit 2`, async t => {
    for (const bad of ['physnet1', 'physnet1:br-ex,physnet1:br-ex2']) {
      const r = run(cmd, '--bridge-mappings', bad)
      t.equal(r.status, 2, `'${bad}': a usage error`)
      t.match(r.stderr, /--bridge-mappings: /, 'names the flag')
    }
    t.notOk(existsSync(join(dir, 'store')), 'nothing was opened')
    t.notOk(existsSync(join(dir, 'serve')), 'no data directory was made')
  })
  t.test(`${cmd} --help documents --bridge-mappings`, async t => {
    const r = spawnSync(process.execPath, [join(REPO, 'bin/dragonflow.js'), cmd, '--help'], { encoding: 'utf8' })
    t.equal(r.status, 0)
    t.match(r.stdout, /--bridge-mappings PHYSNET:BRIDGE/)
  })
}
