// Golden text of the flows emitted for a small topology. Regenerate after an intended change with
//   UPDATE_GOLDEN=1 npx tap test/offload/openflow-golden.test.ts
// and review the diff: it is the whole OpenFlow pipeline of that topology.
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Topology } from '../../datapath/host/entries.js'
import { STAGES } from '../../datapath/spec/stages.js'
import { OF_TABLE_BASE } from '../../datapath/spec/stages.js'
import { emitOpenFlow } from '../../offload/openflow/emitter.js'
import { parseCookie } from '../../offload/openflow/layout.js'
import { renderFlows } from '../../offload/openflow/text.js'
import { needTool } from '../helpers/requirements.js'
import { checkGolden, lineDiff, updatingGolden } from './golden-file.js'

const here = join(process.cwd(), 'test', 'offload')
const topology = JSON.parse(readFileSync(join(here, 'topologies', 'two-networks.json'), 'utf8')) as Topology
const golden = join(here, 'golden', 'two-networks.flows')
const THIS_FILE = 'test/offload/openflow-golden.test.ts'

t.test('emitted flows equal the golden file', async t => {
  checkGolden(t, golden, renderFlows(emitOpenFlow(topology.entries, { tunnelOfport: 100 })), { testFile: THIS_FILE })
})

t.test('reactive L3: emitted flows equal their golden file', async t => {
  const reactiveGolden = join(here, 'golden', 'two-networks-reactive.flows')
  checkGolden(t, reactiveGolden, renderFlows(emitOpenFlow(topology.entries, { tunnelOfport: 100, l3: 'reactive' })), {
    testFile: THIS_FILE,
  })
})

t.test('every flow sits in its stage table and its cookie names that stage', async t => {
  for (const f of emitOpenFlow(topology.entries, { tunnelOfport: 100, entryFlow: false })) {
    const stage = STAGES[f.table - OF_TABLE_BASE]
    t.ok(stage !== undefined, `table ${f.table} is a stage table`)
    t.equal(parseCookie(f.cookie).stage, f.table - OF_TABLE_BASE)
    if (f.gotoTable !== undefined) {
      t.ok(
        stage?.next
          .split(',')
          .map(Number)
          .includes(f.gotoTable - OF_TABLE_BASE),
        `${stage?.name} goes to a next stage`,
      )
    }
  }
})

// Since 91113ea a node without a tunnel port emits its flows and leaves remote ports to the egress miss (the
// agent used to install nothing at all); test/offload/no-tunnel-port.test.ts covers that behaviour.
t.test('without a tunnel port, no flow outputs to a tunnel', async t => {
  const flows = emitOpenFlow(topology.entries)
  t.notOk(
    flows.some(f => f.actions.some(a => a.type === 'OFPAT_SET_FIELD' && a.field === 'tun_dst')),
    'no tunnel encapsulation is emitted',
  )
})

t.test('the text is accepted by ovs-ofctl -O OpenFlow13 as written (no normalisation)', { skip: needTool('ovs-ofctl') }, async t => {
  const { spawnSync } = await import('node:child_process')
  for (const file of [golden, join(here, 'golden', 'two-networks-reactive.flows')]) {
    const r = spawnSync('ovs-ofctl', ['-O', 'OpenFlow13', 'parse-flows', file], { encoding: 'utf8' })
    t.equal(r.status, 0, r.stderr)
    t.notMatch(r.stderr, /normalization changed/, 'no field was dropped or rewritten by ovs-ofctl')
  }
})

// The check itself must be able to fail: a missing golden file and a changed line are failures, never writes.
t.test(
  'a missing golden file fails and is not written; a changed line fails with its diff',
  { skip: updatingGolden() && 'UPDATE_GOLDEN=1 writes on purpose' },
  async t => {
    const dir = mkdtempSync(join(tmpdir(), 'golden-check-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const missing = join(dir, 'missing.flows')
    const failures: string[] = []
    // a stand-in for Test that records what checkGolden reports, so that its failures can be asserted
    const probe = {
      fail: (m: string) => {
        failures.push(m)
      },
      equal: (a: string, b: string, m: string) => {
        if (a !== b) failures.push(m)
      },
    }
    checkGolden(probe as unknown as Parameters<typeof checkGolden>[0], missing, 'a\n', { testFile: THIS_FILE })
    t.match(
      failures[0],
      /is missing: write it with UPDATE_GOLDEN=1 npx tap test\/offload\/openflow-golden.test.ts/,
      'a missing file fails, saying how to write it',
    )
    t.throws(() => readFileSync(missing), 'and nothing was written')
    const file = join(dir, 'two.flows')
    writeFileSync(file, 'table=0 a\ntable=1 b\ntable=2 c\n')
    checkGolden(probe as unknown as Parameters<typeof checkGolden>[0], file, 'table=0 a\ntable=1 B\ntable=2 c\n', { testFile: THIS_FILE })
    t.equal(failures.length, 2, 'a changed line fails')
    t.match(failures[1], /- {4}2: table=1 b\n\+ {4}2: table=1 B/, 'the failure shows the golden line and the new one')
    t.match(failures[1], /regenerate: UPDATE_GOLDEN=1/, 'and how to regenerate')
    t.equal(lineDiff('x\ny\n', 'x\ny\n'), '', 'equal texts have no diff')
  },
)
