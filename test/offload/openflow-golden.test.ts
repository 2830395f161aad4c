// Golden text of the flows emitted for a small topology. Regenerate after an intended change with
//   UPDATE_GOLDEN=1 npx tap test/offload/openflow-golden.test.ts
// and review the diff: it is the whole OpenFlow pipeline of that topology.
import t from 'tap'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Topology } from '../../datapath/host/entries.js'
import { STAGES } from '../../datapath/spec/stages.js'
import { OF_TABLE_BASE } from '../../datapath/spec/stages.js'
import { emitOpenFlow } from '../../offload/openflow/emitter.js'
import { parseCookie } from '../../offload/openflow/layout.js'
import { renderFlows } from '../../offload/openflow/text.js'

const here = join(process.cwd(), 'test', 'offload')
const topology = JSON.parse(readFileSync(join(here, 'topologies', 'two-networks.json'), 'utf8')) as Topology
const golden = join(here, 'golden', 'two-networks.flows')

t.test('emitted flows equal the golden file', async t => {
  const text = renderFlows(emitOpenFlow(topology.entries, { tunnelOfport: 100 }))
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, text)
  t.ok(existsSync(golden), `the golden file exists (write it with UPDATE_GOLDEN=1 and review it): ${golden}`)
  const want = readFileSync(golden, 'utf8').split('\n')
  const got = text.split('\n')
  const first = got.findIndex((l, i) => l !== want[i])
  t.equal(first === -1 && got.length === want.length ? -1 : first, -1,
    `first differing line ${first + 1}:\n  want: ${want[first]}\n  got:  ${got[first]}`)
})

t.test('reactive L3: emitted flows equal their golden file', async t => {
  const reactiveGolden = join(here, 'golden', 'two-networks-reactive.flows')
  const text = renderFlows(emitOpenFlow(topology.entries, { tunnelOfport: 100, l3: 'reactive' }))
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(reactiveGolden, text)
  t.ok(existsSync(reactiveGolden), `the golden file exists (write it with UPDATE_GOLDEN=1 and review it): ${reactiveGolden}`)
  const want = readFileSync(reactiveGolden, 'utf8').split('\n')
  const got = text.split('\n')
  const first = got.findIndex((l, i) => l !== want[i])
  t.equal(first === -1 && got.length === want.length ? -1 : first, -1,
    `first differing line ${first + 1}:\n  want: ${want[first]}\n  got:  ${got[first]}`)
})

t.test('every flow sits in its stage table and its cookie names that stage', async t => {
  for (const f of emitOpenFlow(topology.entries, { tunnelOfport: 100, entryFlow: false })) {
    const stage = STAGES[f.table - OF_TABLE_BASE]
    t.ok(stage !== undefined, `table ${f.table} is a stage table`)
    t.equal(parseCookie(f.cookie).stage, f.table - OF_TABLE_BASE)
    if (f.gotoTable !== undefined) {
      t.ok(stage?.next.split(',').map(Number).includes(f.gotoTable - OF_TABLE_BASE), `${stage?.name} goes to a next stage`)
    }
  }
})

// Since 91113ea a node without a tunnel port emits its flows and leaves remote ports to the egress miss (the
// agent used to install nothing at all); test/offload/no-tunnel-port.test.ts covers that behaviour.
t.test('without a tunnel port, no flow outputs to a tunnel', async t => {
  const flows = emitOpenFlow(topology.entries)
  t.notOk(flows.some(f => f.actions.some(a => a.type === 'OFPAT_SET_FIELD' && a.field === 'tun_dst')), 'no tunnel encapsulation is emitted')
})

t.test('the text is accepted by ovs-ofctl -O OpenFlow13 as written (no normalisation)', async t => {
  const { spawnSync } = await import('node:child_process')
  const probe = spawnSync('ovs-ofctl', ['--version'])
  if (probe.error !== undefined) { t.fail('ovs-ofctl is not installed (scripts/install-deps.sh installs openvswitch-switch)'); return }
  for (const file of [golden, join(here, 'golden', 'two-networks-reactive.flows')]) {
    const r = spawnSync('ovs-ofctl', ['-O', 'OpenFlow13', 'parse-flows', file], { encoding: 'utf8' })
    t.equal(r.status, 0, r.stderr)
    t.notMatch(r.stderr, /normalization changed/, 'no field was dropped or rewritten by ovs-ofctl')
  }
})
