// Needs root. The OpenFlow flows for uplinks, floating IPs and router gateways (BEHAVIOUR.md "Ways in and out")
// in a private OVS: frames of test/offload/topologies/north-south.json are traced (`ofproto/trace`) and what OVS
// does is checked against what BEHAVIOUR.md says: the deciding flow's reason, the ports it leaves by, and the
// header fields of the frame that leaves (addresses, MACs, VLAN tag).
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Topology } from '../../datapath/host/entries.js'
import { hexOf } from '../../datapath/host/packet-addresses.js'
import { parseFields } from '../../datapath/host/packet-fields.js'
import { REASON_NAMES } from '../../datapath/spec/verdicts.js'
import { emitOpenFlow } from '../../offload/openflow/emitter.js'
import { parseCookie } from '../../offload/openflow/layout.js'
import { renderFlows } from '../../offload/openflow/text.js'
import { startOvs } from '../helpers/ovs.js'

const TUNNEL_OFPORT = 1000
const topology = JSON.parse(readFileSync(join(process.cwd(), 'test', 'offload', 'topologies', 'north-south.json'), 'utf8')) as Topology

interface Seen {
  /** ports the frame left by (IN_PORT as the in_port), in order */
  outputs: number[]
  punt: boolean
  /** the reason of the last flow hit when it carries one, else 'none' */
  reason: string
  /** the frame's fields after the pipeline (the trace's final flow) */
  fields: Map<string, string>
}

function seenOf(text: string, inPort: number): Seen {
  const outputs: number[] = []
  let punt = false
  let cookie: bigint | undefined
  for (const line of text.split('\n')) {
    const hit = /^\s*\d+\. .*priority \d+, cookie (0x[0-9a-f]+)/.exec(line)
    if (hit) { cookie = BigInt(hit[1] as string); continue }
    const a = line.trim()
    if (/^output:\d+$/.test(a)) outputs.push(Number(a.slice(7)))
    else if (a === 'IN_PORT') outputs.push(inPort)
    else if (a.includes('skipping output to input port')) outputs.pop()
    else if (a.startsWith('CONTROLLER')) punt = true
  }
  const subject = cookie !== undefined ? parseCookie(cookie).subject : undefined
  const reason = subject !== undefined && 'reason' in subject ? REASON_NAMES[subject.reason] ?? '?' : 'none'
  const final = /^Final flow: (.*)$/m.exec(text)?.[1] ?? ''
  const after = final === 'unchanged' || final === '' ? /^Flow: (.*)$/m.exec(text)?.[1] ?? '' : final
  const fields = new Map(after.split(',').map(kv => kv.split('=') as [string, string]).filter(kv => kv[1] !== undefined))
  return { outputs, punt, reason, fields }
}

interface Case {
  name: string
  /** a packet-fields list (datapath/host/packet-fields.ts) */
  frame: string
  expect: { outputs?: number[]; punt?: string; drop?: string; fields?: Record<string, string>; untagged?: boolean }
}

const VM1 = 'eth_src=fa:16:3e:00:00:01,eth_dst=fa:16:3e:00:00:10,ip_src=10.0.0.5'
const OUTSIDE = 'eth_src=aa:bb:cc:00:00:01,ip_src=198.51.100.7'

const CASES: Case[] = [
  { name: 'DNAT: a frame from the VLAN uplink to the floating IP MAC reaches the port as its fixed IP',
    frame: `in_port=50,vlan=101,${OUTSIDE},eth_dst=fa:16:3e:00:00:99,ip_dst=172.24.4.10,ttl=64,udp_src=5000,udp_dst=53`,
    expect: { outputs: [1], untagged: true, fields: { nw_dst: '10.0.0.5', nw_src: '198.51.100.7', dl_src: 'fa:16:3e:00:00:10', dl_dst: 'fa:16:3e:00:00:01', nw_ttl: '63' } } },
  { name: 'DNAT: through the gateway port MAC as well (a router MAC), where the gateway chassis is elsewhere: gateway_elsewhere',
    frame: `in_port=50,vlan=101,${OUTSIDE},eth_dst=fa:16:3e:00:00:30,ip_dst=172.24.4.10,ttl=64,udp_src=5000,udp_dst=53`,
    expect: { drop: 'gateway_elsewhere' } },
  { name: 'a frame from the uplink to the gateway MAC is dropped where the gateway chassis is another one',
    frame: `in_port=50,vlan=101,${OUTSIDE},eth_dst=fa:16:3e:00:00:30,ip_dst=172.24.4.2,ttl=64,icmp_type=8`,
    expect: { drop: 'gateway_elsewhere' } },
  { name: 'SNAT: from the fixed IP out of the gateway port: the floating IP and its MAC, flooded out of the uplink tagged',
    frame: `in_port=1,${VM1},ip_dst=8.8.8.8,ttl=64,tcp_src=40000,tcp_dst=443`,
    expect: { outputs: [50], fields: { nw_src: '172.24.4.10', nw_dst: '8.8.8.8', dl_src: 'fa:16:3e:00:00:99', dl_dst: 'aa:bb:cc:00:00:01', dl_vlan: '101', nw_ttl: '63' } } },
  { name: 'no floating IP, snat on: no_snat',
    frame: 'in_port=2,eth_src=fa:16:3e:00:00:02,eth_dst=fa:16:3e:00:00:10,ip_src=10.0.0.6,ip_dst=8.8.8.8,ttl=64,udp_src=5000,udp_dst=53',
    expect: { drop: 'no_snat' } },
  { name: 'an ICMP error to a floating IP goes to the slow path (the quoted header needs rewriting)',
    frame: `in_port=50,vlan=101,${OUTSIDE},eth_dst=fa:16:3e:00:00:99,ip_dst=172.24.4.10,ttl=64,icmp_type=3,icmp_code=3`,
    expect: { punt: 'unsupported' } },
  { name: 'an ICMP error from a fixed IP leaving through SNAT goes to the slow path',
    frame: `in_port=1,${VM1},ip_dst=8.8.8.8,ttl=64,icmp_type=3,icmp_code=3`,
    expect: { punt: 'unsupported' } },
  { name: 'an ARP reply to a router port MAC is punted punt_neighbour',
    frame: 'in_port=50,vlan=101,eth_src=aa:bb:cc:00:00:01,eth_dst=fa:16:3e:00:00:30,arp_op=2,arp_sha=aa:bb:cc:00:00:01,arp_spa=172.24.4.1,arp_tha=fa:16:3e:00:00:30,arp_tpa=172.24.4.2',
    expect: { punt: 'punt_neighbour' } },
  { name: 'an NA to a router port MAC is punted punt_neighbour',
    frame: 'in_port=1,eth_src=fa:16:3e:00:00:01,eth_dst=fa:16:3e:00:00:10,ip_src=fe80::f816:3eff:fe00:1,ip_dst=fe80::f816:3eff:fe00:10,icmp_type=136,nd_target=fe80::f816:3eff:fe00:1,nd_tll=fa:16:3e:00:00:01',
    expect: { punt: 'punt_neighbour' } },
  { name: 'an ARP request for the floating IP from the VLAN uplink is answered in place, tagged',
    frame: 'in_port=50,vlan=101,eth_src=aa:bb:cc:00:00:01,arp_op=1,arp_sha=aa:bb:cc:00:00:01,arp_spa=172.24.4.1,arp_tpa=172.24.4.10',
    expect: { outputs: [50], fields: { dl_vlan: '101', arp_op: '2', arp_spa: '172.24.4.10', arp_sha: 'fa:16:3e:00:00:99', dl_src: 'fa:16:3e:00:00:99' } } },
  { name: 'another VID on the uplink: unknown_in_port',
    frame: `in_port=50,vlan=102,${OUTSIDE},eth_dst=fa:16:3e:00:00:99,ip_dst=172.24.4.10,ttl=64,udp_src=1,udp_dst=2`,
    expect: { drop: 'unknown_in_port' } },
  { name: 'untagged on a VLAN uplink: unknown_in_port',
    frame: `in_port=50,${OUTSIDE},eth_dst=fa:16:3e:00:00:99,ip_dst=172.24.4.10,ttl=64,udp_src=1,udp_dst=2`,
    expect: { drop: 'unknown_in_port' } },
  { name: 'tagged on a flat uplink: unknown_in_port',
    frame: 'in_port=51,vlan=7,eth_src=aa:bb:cc:00:00:07,eth_dst=fa:16:3e:00:00:05,ip_src=192.168.40.7,ip_dst=192.168.40.5,ttl=64,udp_src=1,udp_dst=2',
    expect: { drop: 'unknown_in_port' } },
  { name: 'flat uplink to a local port: no port security for a frame from outside, delivered',
    frame: 'in_port=51,eth_src=aa:bb:cc:00:00:07,eth_dst=fa:16:3e:00:00:05,ip_src=192.168.40.7,ip_dst=192.168.40.5,ttl=64,udp_src=1,udp_dst=2',
    expect: { outputs: [5], fields: { dl_dst: 'fa:16:3e:00:00:05', nw_ttl: '64' } } },
  { name: 'DHCP from the uplink is not served (no dhcp_unknown_port drop either): flooded',
    frame: 'in_port=51,eth_src=aa:bb:cc:00:00:07,udp_src=68,udp_dst=67,dhcp_type=discover',
    expect: { outputs: [5] } },
  { name: 'egress uplink: a port on another chassis of a flat network leaves through the uplink, untagged',
    frame: 'in_port=5,eth_src=fa:16:3e:00:00:05,eth_dst=fa:16:3e:00:00:06,ip_src=192.168.40.5,ip_dst=192.168.40.6,ttl=64,udp_src=1,udp_dst=2',
    expect: { outputs: [51], untagged: true } },
  { name: 'flood of a provider network: out of the uplink once',
    frame: 'in_port=5,eth_src=fa:16:3e:00:00:05,eth_dst=ff:ff:ff:ff:ff:ff,ip_src=192.168.40.5,ip_dst=192.168.40.255,ttl=64,udp_src=1,udp_dst=2',
    expect: { outputs: [51] } },
  { name: 'a flood from the uplink is not sent back to it',
    frame: 'in_port=51,eth_src=aa:bb:cc:00:00:07,eth_dst=ff:ff:ff:ff:ff:ff,ip_src=192.168.40.7,ip_dst=192.168.40.255,ttl=64,udp_src=1,udp_dst=2',
    expect: { outputs: [5] } },
  { name: 'routed to a floating IP from inside (hairpin): destination rewritten, back to the port',
    frame: `in_port=2,eth_src=fa:16:3e:00:00:02,eth_dst=fa:16:3e:00:00:10,ip_src=10.0.0.6,ip_dst=172.24.4.10,ttl=64,udp_src=1,udp_dst=2`,
    expect: { outputs: [1], fields: { nw_dst: '10.0.0.5', nw_src: '10.0.0.6', dl_dst: 'fa:16:3e:00:00:01' } } },
]

if (process.getuid?.() !== 0) {
  t.plan(0, 'needs root (private OVS in a network namespace)')
} else {
  t.test('uplinks, floating IPs and gateways through OVS', async t => {
    const ovs = await startOvs()
    t.teardown(() => ovs.stop())
    const br = ovs.name('br')
    await ovs.addBridge(br)
    for (const n of [1, 2, 5, 50, 51]) {
      const p = ovs.name('p')
      await ovs.vsctl('add-port', br, p, '--', 'set', 'Interface', p, 'type=internal', `ofport_request=${n}`)
    }
    const tun = ovs.name('vx')
    await ovs.vsctl('add-port', br, tun, '--', 'set', 'Interface', tun, 'type=vxlan', 'options:remote_ip=flow',
      'options:key=flow', `ofport_request=${TUNNEL_OFPORT}`)
    const file = join(ovs.dir, 'north-south.flows')
    writeFileSync(file, renderFlows(emitOpenFlow(topology.entries, { tunnelOfport: TUNNEL_OFPORT })))
    await ovs.ofctl('add-flows', br, file)
    for (const c of CASES) {
      const p = parseFields(c.frame)
      const text = await ovs.appctl('ofproto/trace', br, `in_port=${p.in_port}`, hexOf(p.frame))
      const s = seenOf(text, p.in_port)
      const why = `${c.name}\n${process.env['TRACE'] === '1' ? text : ''}`
      if (c.expect.punt !== undefined) {
        t.same([s.punt, s.reason], [true, c.expect.punt], `punt ${c.expect.punt}: ${why}`)
        continue
      }
      if (c.expect.drop !== undefined) {
        t.same([s.outputs, s.punt, s.reason], [[], false, c.expect.drop], `drop ${c.expect.drop}: ${why}`)
        continue
      }
      t.same(s.outputs, c.expect.outputs, `out of ${c.expect.outputs?.join(',')}: ${why}`)
      t.notOk(s.punt, `not punted: ${c.name}`)
      for (const [k, v] of Object.entries(c.expect.fields ?? {})) t.equal(s.fields.get(k), v, `${k}=${v}: ${c.name}`)
      if (c.expect.untagged === true) t.notOk(s.fields.has('dl_vlan'), `untagged: ${c.name}`)
    }
  })
}
