// Needs root: agent/flows against a private OVS. The emitter's flows for a two-network topology are encoded to
// FLOW_MODs and installed in one atomic bundle; OVS must then hold exactly what `ovs-ofctl add-flows` makes of
// the same flows' text (the encoder's golden). A resync over an unchanged switch sends nothing; one over a switch
// with a stale flow, a drifted flow or fewer desired flows fixes exactly those; a restart (a new run and a new
// process) rewrites nothing: every flow keeps its age on the switch.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { DesiredFlows, FlowSync } from '../../agent/flows/index.js'
import { OfController } from '../../agent/openflow/index.js'
import type { Entry, Topology } from '../../datapath/host/entries.js'
import { OF_TABLE_BASE, STAGE_EGRESS } from '../../datapath/spec/stages.js'
import { emitOpenFlow } from '../../offload/openflow/emitter.js'
import { PROACTIVE_GENERATION, parseCookie } from '../../offload/openflow/layout.js'
import type { Flow } from '../../offload/openflow/flow.js'
import { renderFlows } from '../../offload/openflow/text.js'
import { startOvs } from '../helpers/ovs.js'
import { silentLogger } from '../../log/logger.js'

const topology = JSON.parse(readFileSync(join(process.cwd(), 'test', 'offload', 'topologies', 'two-networks.json'), 'utf8')) as Topology
const TUNNEL_OFPORT = 100
const skip = needRoot('private OVS in a network namespace')

t.test('FlowSync on a real switch', { skip }, async t => {
  const ovs = await startOvs()
  const ctl = new OfController({ log: silentLogger })
  t.teardown(async () => {
    await ctl.close()
    await ovs.stop()
  })
  const sock = join(ovs.dir, 'of.sock')
  await ctl.listen({ path: sock })
  const br = ovs.name('br')
  const golden = ovs.name('bg')
  const next = ctl.nextSwitch(30_000)
  await ovs.addBridge(br, { controller: sock })
  await ovs.addBridge(golden)
  const conn = await next
  const sync = new FlowSync(conn, new DesiredFlows({ l3: 'proactive' }))
  const fresh = (flows: Flow[]): FlowSync => new FlowSync(conn, DesiredFlows.ofFlows(flows)) // a new process
  const dump = async (bridge: string): Promise<string[]> =>
    (await ovs.ofctl('--no-stats', 'dump-flows', bridge))
      .split('\n')
      .filter(l => l.includes('table='))
      .map(l => l.trim())
      .sort()

  const flows = emitOpenFlow(topology.entries, { tunnelOfport: TUNNEL_OFPORT })
  sync.desired.reconfigure({ tunnelOfport: TUNNEL_OFPORT })
  sync.desired.applyDelta({ added: topology.entries, removed: [] })
  const first = await sync.resync(2)
  t.equal(first.added, flows.length, 'every flow added in one bundle')
  const file = join(ovs.dir, 'flows.txt')
  writeFileSync(file, renderFlows(flows))
  await ovs.ofctl('add-flows', golden, file)
  t.same(await dump(br), await dump(golden), 'the encoded FLOW_MODs make the same flows as ovs-ofctl makes of their text')

  const again = await fresh(flows).resync(3)
  t.same([again.added, again.deleted, again.unchanged], [0, 0, flows.length], 'a resync over an unchanged switch sends nothing')

  // a flow left by an older generation, and a flow whose actions drifted
  await ovs.ofctl('add-flow', br, 'cookie=0x5000000000000,table=10,priority=7,in_port=99,actions=drop')
  await ovs.ofctl('mod-flows', br, `table=${OF_TABLE_BASE + STAGE_EGRESS},reg2=0x1,actions=drop`)
  const fixed = await fresh(flows).resync(3)
  t.equal(fixed.deleted, 1, 'the stale flow is deleted')
  t.equal(fixed.added, 1, 'the drifted flow is replaced')
  t.same(await dump(br), await dump(golden), 'the switch holds the desired flows again')

  // fewer desired flows: only those go, through the first sync object (an entry delta, applied incrementally)
  const gone = topology.entries.filter((e: Entry) => e.stage === 'l2' && e.port === 2)
  const fewer = emitOpenFlow(
    topology.entries.filter((e: Entry) => !gone.includes(e)),
    { tunnelOfport: TUNNEL_OFPORT },
  )
  await sync.resync(2) // the switch was changed behind its back above
  sync.desired.applyDelta({ added: [], removed: gone })
  const shrink = await sync.apply()
  t.ok(shrink.deleted > 0 && shrink.added === 0, `removing port 2's L2 entry deletes its flows only (${shrink.deleted})`)
  writeFileSync(file, renderFlows(fewer))
  await ovs.ofctl('replace-flows', golden, file)
  t.same(await dump(br), await dump(golden), 'the switch holds exactly the desired flows')

  // an agent restart (a new run, a new process): nothing is rewritten; flows keep their age on the switch
  const durations = async (): Promise<number[]> =>
    (await ovs.ofctl('dump-flows', br)).split('\n').flatMap(l => {
      const d = /duration=([0-9.]+)s/.exec(l)?.[1]
      return d === undefined ? [] : [Number(d)]
    })
  await new Promise(resolve => setTimeout(resolve, 1100))
  const restarted = await fresh(fewer).resync(4)
  t.same([restarted.added, restarted.deleted, restarted.unchanged], [0, 0, fewer.length], 'a restart rewrites no flow')
  const ages = await durations()
  t.ok(ages.length === fewer.length && ages.every(d => d >= 1), `every flow is older than the restart (min age ${Math.min(...ages)} s)`)
  const cookies = (await ovs.ofctl('dump-flows', br)).split('\n').flatMap(l => /cookie=(0x[0-9a-f]+)/.exec(l)?.[1] ?? [])
  t.ok(
    cookies.length > 0 && cookies.every(c => parseCookie(BigInt(c)).generation === PROACTIVE_GENERATION),
    'every flow carries the proactive generation',
  )
  t.equal(conn.stats.badMessages, 0, 'no undecodable message from the switch')
})
