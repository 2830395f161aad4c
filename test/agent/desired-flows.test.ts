// The incremental flow table (agent/flows/desired-flows.ts): a change costs FLOW_MODs in proportion to the
// change, not to the node (the same one-port delta sends the same number of FLOW_MODs at 100 and at 3 000
// ports); no flow nears OpenFlow's 64 KiB message limit however many ports a network floods to; identities
// emitted twice resolve the same way whatever the order; a failed bundle leaves everything to be sent again.
import t from 'tap'
import { DesiredFlows, decodeBody, digestBodies } from '../../agent/flows/desired-flows.js'
import type { Entry } from '../../datapath/host/entries.js'
import { emitOpenFlow } from '../../offload/openflow/emitter.js'
import { OF_TABLE_BASE, STAGE_L2_LOOKUP } from '../../datapath/spec/stages.js'
import { priorityOf } from '../../offload/openflow/priorities.js'
import { OFPFC_ADD, OFPFC_DELETE_STRICT } from '../../agent/openflow/index.js'

const mac = (i: number): string => `fa:16:3e:${[i >> 16, (i >> 8) & 0xff, i & 0xff].map(b => b.toString(16).padStart(2, '0')).join(':')}`
const ip = (i: number): string => `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`

/** The entries of one local port on network 1 (as the compiler emits them for a plugged port). */
function portEntries(i: number): Entry[] {
  return [
    { stage: 'classify', in_port: i, network: 1, port: i },
    { stage: 'egress', port: i, local: i },
    { stage: 'l2', network: 1, mac: mac(i), port: i },
    { stage: 'arp_nd', network: 1, ip: ip(i), mac: mac(i) },
    { stage: 'port_sec', port: i, mac: mac(i), ips: [`${ip(i)}/32`] },
  ]
}

function tableWith(ports: number): DesiredFlows {
  const d = new DesiredFlows({ l3: 'proactive', tunnelOfport: 100 })
  const entries: Entry[] = [{ stage: 'classify', tunnel_key: 1, network: 1 }]
  for (let i = 1; i <= ports; i++) entries.push(...portEntries(i))
  d.applyDelta({ added: entries, removed: [] })
  d.takeChanges().done(true)
  return d
}

t.test('one more port costs the same FLOW_MODs at 100 and at 3 000 ports', async t => {
  const cost: number[] = []
  for (const n of [100, 3000]) {
    const d = tableWith(n)
    d.applyDelta({ added: portEntries(n + 1), removed: [] })
    const c = d.takeChanges()
    t.equal(c.deleted, 0, `${n}: nothing deleted`)
    cost.push(c.added)
    c.done(true)
    d.applyDelta({ added: [], removed: portEntries(n + 1) })
    const back = d.takeChanges()
    t.ok(
      back.deleted > 0 && back.added <= 2,
      `${n}: removing it deletes its flows and rewrites at most the flood head and chunk (${back.deleted} deleted, ${back.added} re-sent)`,
    )
  }
  t.equal(cost[0], cost[1], `the same FLOW_MODs for one port (${cost.join(' and ')})`)
  t.ok((cost[0] ?? 99) <= 25, `a port is a couple of dozen FLOW_MODs (${cost[0]})`)
})

t.test('no flow nears the 64 KiB OpenFlow message limit with 5 000 ports on one network', async t => {
  const d = tableWith(5000)
  const largest = Math.max(...[...d.bodies()].map(b => b.length))
  t.ok(largest < 16 * 1024, `the largest FLOW_MOD body is ${largest} bytes`)
  // the flood reaches every port, once, in key order (head -> chunks)
  const chunks = [...d.bodies()]
    .map(decodeBody)
    .filter(m => m.tableId === OF_TABLE_BASE + STAGE_L2_LOOKUP && m.priority === priorityOf('FLOOD_CHUNK'))
  const outputs = chunks
    .sort(
      (a, b) =>
        Number(a.match.find(o => o.field === 6)?.value.readUInt32BE(0) ?? 0) -
        Number(b.match.find(o => o.field === 6)?.value.readUInt32BE(0) ?? 0),
    )
    .flatMap(m =>
      m.instructions.flatMap(i =>
        i.type === 'OFPIT_APPLY_ACTIONS' ? i.actions.flatMap(a => (a.type === 'OFPAT_OUTPUT' ? [a.port] : [])) : [],
      ),
    )
  t.same(
    outputs,
    Array.from({ length: 5000 }, (_, i) => i + 1),
    'every local port once, in key order',
  )
})

t.test('an identity emitted twice resolves to the same body in any order', async t => {
  const a = emitOpenFlow(portEntries(1))
  const b = emitOpenFlow([...portEntries(1), { stage: 'arp_nd', network: 1, ip: ip(1), mac: mac(9) }]) // a second answer for one IP
  const one = DesiredFlows.ofFlows([...a, ...b])
  const two = DesiredFlows.ofFlows([...b, ...a])
  t.equal(digestBodies(one.bodies()), digestBodies(two.bodies()), 'the least body wins both ways')
  t.ok(one.stats().conflicts > 0, `the conflict is counted (${one.stats().conflicts})`)
})

t.test('a failed bundle leaves its changes to be sent again; a committed one sends nothing more', async t => {
  const d = new DesiredFlows({ l3: 'proactive' })
  d.applyDelta({ added: portEntries(7), removed: [] })
  const first = d.takeChanges()
  t.ok(first.added > 5, `the port's flows are to be added (${first.added})`)
  first.done(false)
  const again = d.takeChanges()
  t.equal(again.added, first.added, 'the same adds after a failure')
  again.done(true)
  t.equal(d.takeChanges().messages.length, 0, 'nothing left once committed')
  d.applyDelta({ added: [], removed: portEntries(7) })
  const del = d.takeChanges()
  t.ok(
    del.messages.every(m => m.type === 'raw' && m.body[17] === OFPFC_DELETE_STRICT),
    'removing the port sends DELETE_STRICTs only',
  )
  t.ok(del.messages.length > 5, 'one per flow of the port')
  del.done(true)
  d.applyDelta({ added: portEntries(7), removed: [] })
  t.ok(
    d.takeChanges().messages.every(m => m.type === 'raw' && m.body[17] === OFPFC_ADD),
    'adding it back sends ADDs only',
  )
})
