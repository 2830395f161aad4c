// FlowSync and reactive flows, with a scripted switch: the desired-vs-installed diff never deletes a reactive flow
// (it is not a desired flow); a resync keeps this run's reactive flows when the caller vouches for them, deletes
// them with one FLOW_MOD by cookie mask when it does not, and an older run's always go, while the proactive
// flows (no run generation in their cookies) stay untouched.
import t from 'tap'
import { FlowSync } from '../../agent/flows/flow-sync.js'
import { DesiredFlows } from '../../agent/flows/desired-flows.js'
import {
  OFPFC_ADD,
  OFPFC_DELETE,
  OFPFC_DELETE_STRICT,
  type FlowMod,
  type FlowStats,
  type OfConnection,
  type OfMessage,
} from '../../agent/openflow/index.js'
import { emitOpenFlow, emitReactiveRoute } from '../../offload/openflow/emitter.js'
import type { Flow } from '../../offload/openflow/flow.js'
import { generationMask, makeCookie, reactiveSelector } from '../../offload/openflow/layout.js'
import { encodeInstructions, encodeMatch } from '../../agent/flows/flow-encoder.js'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { OF_TABLE_BASE, STAGE_NEXTHOP } from '../../datapath/spec/stages.js'
import type { Topology } from '../../datapath/host/entries.js'

const topology = JSON.parse(readFileSync(join(process.cwd(), 'test', 'offload', 'topologies', 'two-networks.json'), 'utf8')) as Topology

const stats = (f: Flow): FlowStats => ({
  tableId: f.table,
  durationSec: 1,
  durationNsec: 0,
  priority: f.priority,
  idleTimeout: f.idleTimeout ?? 0,
  hardTimeout: 0,
  flags: 0,
  cookie: f.cookie,
  packetCount: 0n,
  byteCount: 0n,
  match: encodeMatch(f.match),
  instructions: encodeInstructions(f),
})

class FakeSwitch {
  bundles: OfMessage[][] = []
  constructor(private readonly flows: FlowStats[]) {}
  async request(): Promise<OfMessage> {
    return { type: 'OFPT_MULTIPART_REPLY', flags: 0, body: { mpType: 'OFPMP_FLOW', flows: this.flows } } as unknown as OfMessage // only what FlowSync.dump reads
  }
  async bundle(msgs: OfMessage[]): Promise<void> {
    this.bundles.push(msgs)
  }
}

const desired = emitOpenFlow(topology.entries, { tunnelOfport: 100, l3: 'reactive' })
const cached = (generation: number): Flow => {
  const f = emitReactiveRoute(
    topology.entries,
    { router: 1, routerMac: 'fa:16:3e:00:00:10', dst: '10.1.0.5', idleTimeout: 30 },
    { generation },
  )
  if (f === undefined) throw new Error('no reactive flow')
  return f
}
const mods = (sw: FakeSwitch): FlowMod[] => sw.bundles.flat().filter((m): m is FlowMod => m.type === 'OFPT_FLOW_MOD')
const sel = reactiveSelector()

t.test("a resync keeps this generation's reactive flows when vouched for, and apply() never deletes them", async t => {
  const sw = new FakeSwitch([...desired.map(stats), stats(cached(5))])
  const want = DesiredFlows.ofFlows(desired)
  const sync = new FlowSync(sw as unknown as OfConnection, want) // FlowSync uses request() and bundle() only
  const s = await sync.resync(5, { keepReactive: true })
  t.equal(s.deleted, 0)
  t.same(mods(sw), [], 'nothing to send: every desired flow is there and the reactive flow stays')
  t.equal(s.unchanged, desired.length, 'every desired flow kept as it is')
  const fewer = desired.filter(f => f.priority !== 1000 || f.table !== OF_TABLE_BASE + STAGE_NEXTHOP)
  t.ok(fewer.length < desired.length, 'the test removes some flows')
  want.setFlows(fewer)
  await sync.apply()
  t.ok(
    mods(sw).every(m => m.command === OFPFC_DELETE_STRICT && m.cookie !== cached(5).cookie),
    'a later diff deletes only desired flows that went',
  )
  t.notOk(
    mods(sw).some(m => m.command === OFPFC_DELETE),
    'and never by cookie',
  )
})

t.test('without a voucher the resync deletes them in its bundle, with one FLOW_MOD by cookie mask', async t => {
  const sw = new FakeSwitch([...desired.map(stats), stats(cached(5))])
  const sync = new FlowSync(sw as unknown as OfConnection, DesiredFlows.ofFlows(desired))
  await sync.resync(5)
  const dels = mods(sw).filter(m => m.command === OFPFC_DELETE)
  t.equal(dels.length, 1, 'one delete')
  t.same([dels[0]?.cookie, dels[0]?.cookieMask], [sel.cookie, sel.mask], 'under the reactive selector')
  t.notOk(
    mods(sw).some(m => m.command === OFPFC_DELETE_STRICT),
    'no flow deleted one by one',
  )
})

t.test("an older run's reactive flows go with their generation, voucher or not; proactive flows stay", async t => {
  const sw = new FakeSwitch([...desired.map(stats), stats(cached(4))])
  const sync = new FlowSync(sw as unknown as OfConnection, DesiredFlows.ofFlows(desired))
  const s = await sync.resync(5, { keepReactive: true })
  const mask = generationMask() | sel.mask
  const byGeneration = mods(sw).filter(m => m.command === OFPFC_DELETE && m.cookieMask === mask)
  t.equal(byGeneration.length, 1, "run 4's cache deleted by cookie")
  t.equal(byGeneration[0]?.cookie, makeCookie({ generation: 4, stage: 0, subject: { reactive: 0 } }), 'generation 4, reactive flows alone')
  t.equal(byGeneration[0]?.cookie, cached(4).cookie & mask, 'the mask selects the cached flow')
  t.notOk(
    mods(sw).some(m => m.command === OFPFC_ADD || m.command === OFPFC_DELETE_STRICT),
    'no proactive flow rewritten or deleted',
  )
  t.equal(s.unchanged, desired.length)
})
