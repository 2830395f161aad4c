// The incremental emitter (offload/openflow/emit-units.ts through agent/flows/desired-flows.ts) against a full
// emit, under random adds and removes of the north-south entries (uplinks, egress uplink, nat, router_gateway,
// and what they depend on: router ports, classify, l2, arp_nd). After every step the flows kept incrementally
// must equal emitOpenFlow() of the entries present, byte for byte.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import type { Entry, Topology } from '../../datapath/host/entries.js'
import { entryKey } from '../../agent/compiler/entry-key.js'
import { DesiredFlows, digestBodies } from '../../agent/flows/desired-flows.js'
import { emitOpenFlow } from '../../offload/openflow/emitter.js'

const TUNNEL = 1000
const base = (JSON.parse(readFileSync(join(process.cwd(), 'test', 'offload', 'topologies', 'north-south.json'), 'utf8')) as Topology)
  .entries

/** Variants that replace an entry of the base set (one uplink per network, one gateway per router). */
const VARIANTS: Entry[] = [
  { stage: 'uplink', network: 300, ofport: 50, vlan: 102 },
  { stage: 'uplink', network: 300, ofport: 52 },
  { stage: 'uplink', network: 100, ofport: 53, vlan: 7 },
  { stage: 'router_gateway', router: 1, port: 30, snat: false, local: true },
  // port translation here (ct nat), or redirected to the gateway chassis (BEHAVIOUR.md "SNAT for ports without a floating IP")
  { stage: 'router_gateway', router: 1, port: 30, snat: true, local: true },
  { stage: 'router_gateway', router: 1, port: 30, snat: true, local: false, redirect: '192.168.100.7' },
  {
    stage: 'nat',
    router: 1,
    network: 300,
    gateway_port: 30,
    mac: 'fa:16:3e:00:00:98',
    external_ip: '172.24.4.11',
    internal_ip: '10.0.0.6',
  },
  { stage: 'egress', port: 2, uplink: true },
  { stage: 'l2', network: 300, mac: 'fa:16:3e:00:00:07', port: 7 },
  { stage: 'egress', port: 7, uplink: true },
  { stage: 'router_port', port: 31, router: 1, network: 400, mac: 'fa:16:3e:00:00:31', ips: ['192.168.40.1/24'] },
  { stage: 'arp_nd', network: 300, ip: '172.24.4.11', mac: 'fa:16:3e:00:00:98' },
]

/** Entries that may not be present together (the compiler emits one per slot). */
const slotOf = (e: Entry): string => {
  switch (e.stage) {
    case 'uplink':
      return `uplink/${e.network}`
    case 'router_gateway':
      return `gw/${e.router}`
    case 'egress':
      return `egress/${e.port}`
    default:
      return entryKey(e)
  }
}

/** A small seeded generator (xorshift32), so that a failure replays. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 0x100000000
  }
}

t.test('incremental flows equal a full emit after random north-south changes', async t => {
  const universe = [...base, ...VARIANTS]
  for (const seed of [1, 7, 42]) {
    const rand = rng(seed)
    const present = new Map<string, Entry>() // slot -> entry
    const flows = new DesiredFlows({ l3: 'proactive', tunnelOfport: TUNNEL })
    let failures = 0
    let checks = 0
    for (let step = 0; step < 400 && failures === 0; step++) {
      const e = universe[Math.floor(rand() * universe.length)] as Entry
      const slot = slotOf(e)
      const now = present.get(slot)
      const removed: Entry[] = []
      const added: Entry[] = []
      if (now !== undefined && entryKey(now) === entryKey(e)) {
        removed.push(now)
        present.delete(slot)
      } else {
        if (now !== undefined) removed.push(now)
        added.push(e)
        present.set(slot, e)
      }
      flows.applyDelta({ added, removed })
      const all = [...present.values()]
      const full = DesiredFlows.ofFlows(emitOpenFlow(all, { tunnelOfport: TUNNEL }))
      checks++
      if (digestBodies(flows.bodies()) !== digestBodies(full.bodies())) {
        failures++
        t.fail(
          `seed ${seed} step ${step}: ${removed.map(entryKey).join(' ')} -> ${added.map(entryKey).join(' ')}: incremental ${flows.size} flows, full ${full.size}`,
        )
      }
    }
    t.equal(failures, 0, `seed ${seed}: ${checks} steps, no divergence (${flows.size} flows at the end)`)
  }
})

t.test('an uplink change re-emits what reads it, not every flow', async t => {
  const flows = new DesiredFlows({ l3: 'proactive', tunnelOfport: TUNNEL })
  flows.applyDelta({ added: base, removed: [] })
  flows.takeChanges().done(true)
  const old = base.find(e => e.stage === 'uplink' && e.network === 300) as Entry
  flows.applyDelta({ removed: [old], added: [{ stage: 'uplink', network: 300, ofport: 50, vlan: 102 }] })
  const c = flows.takeChanges()
  // classify, the flood head, the tagged ARP reply and the tagged router echo: a handful of flows of ~200
  t.ok(c.added + c.deleted > 0 && c.added + c.deleted < 12, `${c.added} added, ${c.deleted} deleted of ${flows.size}`)
})

t.test("a router_gateway change re-emits only its units: its own flows, its router's and its floating IPs'", async t => {
  const flows = new DesiredFlows({ l3: 'proactive', tunnelOfport: TUNNEL })
  flows.applyDelta({ added: base, removed: [] })
  flows.takeChanges().done(true)
  const total = flows.size
  const old = base.find(e => e.stage === 'router_gateway') as Entry
  const redirected: Entry = { stage: 'router_gateway', router: 1, port: 30, snat: true, local: false, redirect: '192.168.100.7' }
  flows.applyDelta({ removed: [old], added: [redirected] })
  const c = flows.takeChanges()
  // the base gateway is elsewhere with no chassis known: its routes out of the gateway are already split (flag
  // set: routed, clear: dropped gateway_elsewhere); the redirect turns the two drops into tunnel outputs (same
  // match, new actions); nothing else of ~270 flows moves
  t.same([c.deleted, c.added], [0, 2], `redirect on: ${c.added} added, ${c.deleted} deleted of ${total}`)
  c.done(true)
  const gateway: Entry = { stage: 'router_gateway', router: 1, port: 30, snat: true, local: true }
  flows.applyDelta({ removed: [redirected], added: [gateway] })
  const d = flows.takeChanges()
  // back to plain routes (5 out, 2 in), gateway_elsewhere out, port translation in: 3 SNAT commits, the later
  // fragment drop, 2 TTL <= 1 passes, the ct(nat) lookups to the gateway IP (TCP, UDP, ICMP) and the echo
  // request's pass to the router
  t.same([d.deleted, d.added], [6, 12], `gateway chassis: ${d.added} added, ${d.deleted} deleted`)
  const full = DesiredFlows.ofFlows(emitOpenFlow([...base.filter(e => e !== old), gateway], { tunnelOfport: TUNNEL }))
  t.equal(digestBodies(flows.bodies()), digestBodies(full.bodies()), 'equal to a full emit')
})
