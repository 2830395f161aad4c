// Needs root. The OpenFlow flows for uplinks, floating IPs and router gateways (BEHAVIOUR.md "Ways in and out")
// in a private OVS: frames of test/offload/topologies/north-south.json are traced (`ofproto/trace`) and what OVS
// does is checked against what BEHAVIOUR.md says: the deciding flow's reason, the ports it leaves by, and the
// header fields of the frame that leaves (addresses, MACs, VLAN tag).
// Port translation (BEHAVIOUR.md "SNAT for ports without a floating IP") needs conntrack, which ofproto/trace
// does not run: the same topology with this chassis as the gateway chassis (and as another one, redirecting to
// it) is replayed as real packets through the netdev datapath (test/helpers/ovs-replay.ts); the translated
// tuples are read from OVS's connection table (dpctl/dump-conntrack).
import t, { type Test } from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Topology } from '../../datapath/host/entries.js'
import { Ipv4Address, MacAddress, hexOf } from '../../datapath/host/addresses.js'
import { IP_PROTO, buildFrame, dot1q, echo4, ethernet, ip4, tcp, udp, type Layer } from '../../datapath/host/packet-builder.js'
import { OF_TABLE_BASE, STAGE_L3_ROUTE, STAGE_NEXTHOP } from '../../datapath/spec/stages.js'
import { parseFields } from '../../datapath/host/packet-fields.js'
import { REASON_NAMES } from '../../datapath/spec/verdicts.js'
import { emitOpenFlow } from '../../offload/openflow/emitter.js'
import { parseCookie } from '../../offload/openflow/layout.js'
import { renderFlows } from '../../offload/openflow/text.js'
import { type Ovs, startOvs } from '../helpers/ovs.js'
import { type Observation, Replay } from '../helpers/ovs-replay.js'

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
    if (hit) {
      cookie = BigInt(hit[1] as string)
      continue
    }
    const a = line.trim()
    if (/^output:\d+$/.test(a)) outputs.push(Number(a.slice(7)))
    else if (a === 'IN_PORT') outputs.push(inPort)
    else if (a.includes('skipping output to input port')) outputs.pop()
    else if (a.startsWith('CONTROLLER')) punt = true
  }
  const subject = cookie !== undefined ? parseCookie(cookie).subject : undefined
  const reason = subject !== undefined && 'reason' in subject ? (REASON_NAMES[subject.reason] ?? '?') : 'none'
  const final = /^Final flow: (.*)$/m.exec(text)?.[1] ?? ''
  const after = final === 'unchanged' || final === '' ? (/^Flow: (.*)$/m.exec(text)?.[1] ?? '') : final
  const fields = new Map(
    after
      .split(',')
      .map(kv => kv.split('=') as [string, string])
      .filter(kv => kv[1] !== undefined),
  )
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
  {
    name: 'DNAT: a frame from the VLAN uplink to the floating IP MAC reaches the port as its fixed IP',
    frame: `in_port=50,vlan=101,${OUTSIDE},eth_dst=fa:16:3e:00:00:99,ip_dst=172.24.4.10,ttl=64,udp_src=5000,udp_dst=53`,
    expect: {
      outputs: [1],
      untagged: true,
      fields: { nw_dst: '10.0.0.5', nw_src: '198.51.100.7', dl_src: 'fa:16:3e:00:00:10', dl_dst: 'fa:16:3e:00:00:01', nw_ttl: '63' },
    },
  },
  {
    name: 'DNAT: through the gateway port MAC as well (a router MAC), where the gateway chassis is elsewhere: gateway_elsewhere',
    frame: `in_port=50,vlan=101,${OUTSIDE},eth_dst=fa:16:3e:00:00:30,ip_dst=172.24.4.10,ttl=64,udp_src=5000,udp_dst=53`,
    expect: { drop: 'gateway_elsewhere' },
  },
  {
    name: 'a frame from the uplink to the gateway MAC is dropped where the gateway chassis is another one',
    frame: `in_port=50,vlan=101,${OUTSIDE},eth_dst=fa:16:3e:00:00:30,ip_dst=172.24.4.2,ttl=64,icmp_type=8`,
    expect: { drop: 'gateway_elsewhere' },
  },
  {
    name: 'SNAT: from the fixed IP out of the gateway port: the floating IP and its MAC, flooded out of the uplink tagged',
    frame: `in_port=1,${VM1},ip_dst=8.8.8.8,ttl=64,tcp_src=40000,tcp_dst=443`,
    expect: {
      outputs: [50],
      fields: {
        nw_src: '172.24.4.10',
        nw_dst: '8.8.8.8',
        dl_src: 'fa:16:3e:00:00:99',
        dl_dst: 'aa:bb:cc:00:00:01',
        dl_vlan: '101',
        nw_ttl: '63',
      },
    },
  },
  {
    name: 'no floating IP, the gateway chassis another, unknown one: gateway_elsewhere (only floating IPs leave here)',
    frame: 'in_port=2,eth_src=fa:16:3e:00:00:02,eth_dst=fa:16:3e:00:00:10,ip_src=10.0.0.6,ip_dst=8.8.8.8,ttl=64,udp_src=5000,udp_dst=53',
    expect: { drop: 'gateway_elsewhere' },
  },
  {
    name: 'an ICMP error to a floating IP goes to the slow path (the quoted header needs rewriting)',
    frame: `in_port=50,vlan=101,${OUTSIDE},eth_dst=fa:16:3e:00:00:99,ip_dst=172.24.4.10,ttl=64,icmp_type=3,icmp_code=3`,
    expect: { punt: 'unsupported' },
  },
  {
    name: 'an ICMP error from a fixed IP leaving through SNAT goes to the slow path',
    frame: `in_port=1,${VM1},ip_dst=8.8.8.8,ttl=64,icmp_type=3,icmp_code=3`,
    expect: { punt: 'unsupported' },
  },
  {
    name: 'an ARP reply to a router port MAC is punted punt_neighbour',
    frame:
      'in_port=50,vlan=101,eth_src=aa:bb:cc:00:00:01,eth_dst=fa:16:3e:00:00:30,arp_op=2,arp_sha=aa:bb:cc:00:00:01,arp_spa=172.24.4.1,arp_tha=fa:16:3e:00:00:30,arp_tpa=172.24.4.2',
    expect: { punt: 'punt_neighbour' },
  },
  {
    name: 'an NA to a router port MAC is punted punt_neighbour',
    frame:
      'in_port=1,eth_src=fa:16:3e:00:00:01,eth_dst=fa:16:3e:00:00:10,ip_src=fe80::f816:3eff:fe00:1,ip_dst=fe80::f816:3eff:fe00:10,icmp_type=136,nd_target=fe80::f816:3eff:fe00:1,nd_tll=fa:16:3e:00:00:01',
    expect: { punt: 'punt_neighbour' },
  },
  {
    name: 'an ARP request for the floating IP from the VLAN uplink is answered in place, tagged',
    frame: 'in_port=50,vlan=101,eth_src=aa:bb:cc:00:00:01,arp_op=1,arp_sha=aa:bb:cc:00:00:01,arp_spa=172.24.4.1,arp_tpa=172.24.4.10',
    expect: {
      outputs: [50],
      fields: { dl_vlan: '101', arp_op: '2', arp_spa: '172.24.4.10', arp_sha: 'fa:16:3e:00:00:99', dl_src: 'fa:16:3e:00:00:99' },
    },
  },
  {
    name: 'another VID on the uplink: unknown_in_port',
    frame: `in_port=50,vlan=102,${OUTSIDE},eth_dst=fa:16:3e:00:00:99,ip_dst=172.24.4.10,ttl=64,udp_src=1,udp_dst=2`,
    expect: { drop: 'unknown_in_port' },
  },
  {
    name: 'untagged on a VLAN uplink: unknown_in_port',
    frame: `in_port=50,${OUTSIDE},eth_dst=fa:16:3e:00:00:99,ip_dst=172.24.4.10,ttl=64,udp_src=1,udp_dst=2`,
    expect: { drop: 'unknown_in_port' },
  },
  {
    name: 'tagged on a flat uplink: unknown_in_port',
    frame:
      'in_port=51,vlan=7,eth_src=aa:bb:cc:00:00:07,eth_dst=fa:16:3e:00:00:05,ip_src=192.168.40.7,ip_dst=192.168.40.5,ttl=64,udp_src=1,udp_dst=2',
    expect: { drop: 'unknown_in_port' },
  },
  {
    name: 'flat uplink to a local port: no port security for a frame from outside, delivered',
    frame:
      'in_port=51,eth_src=aa:bb:cc:00:00:07,eth_dst=fa:16:3e:00:00:05,ip_src=192.168.40.7,ip_dst=192.168.40.5,ttl=64,udp_src=1,udp_dst=2',
    expect: { outputs: [5], fields: { dl_dst: 'fa:16:3e:00:00:05', nw_ttl: '64' } },
  },
  {
    name: 'DHCP from the uplink is not served (no dhcp_unknown_port drop either): flooded',
    frame: 'in_port=51,eth_src=aa:bb:cc:00:00:07,udp_src=68,udp_dst=67,dhcp_type=discover',
    expect: { outputs: [5] },
  },
  {
    name: 'egress uplink: a port on another chassis of a flat network leaves through the uplink, untagged',
    frame:
      'in_port=5,eth_src=fa:16:3e:00:00:05,eth_dst=fa:16:3e:00:00:06,ip_src=192.168.40.5,ip_dst=192.168.40.6,ttl=64,udp_src=1,udp_dst=2',
    expect: { outputs: [51], untagged: true },
  },
  {
    name: 'flood of a provider network: out of the uplink once',
    frame:
      'in_port=5,eth_src=fa:16:3e:00:00:05,eth_dst=ff:ff:ff:ff:ff:ff,ip_src=192.168.40.5,ip_dst=192.168.40.255,ttl=64,udp_src=1,udp_dst=2',
    expect: { outputs: [51] },
  },
  {
    name: 'a flood from the uplink is not sent back to it',
    frame:
      'in_port=51,eth_src=aa:bb:cc:00:00:07,eth_dst=ff:ff:ff:ff:ff:ff,ip_src=192.168.40.7,ip_dst=192.168.40.255,ttl=64,udp_src=1,udp_dst=2',
    expect: { outputs: [5] },
  },
  {
    name: 'routed to a floating IP from inside (hairpin): destination rewritten, back to the port',
    frame: `in_port=2,eth_src=fa:16:3e:00:00:02,eth_dst=fa:16:3e:00:00:10,ip_src=10.0.0.6,ip_dst=172.24.4.10,ttl=64,udp_src=1,udp_dst=2`,
    expect: { outputs: [1], fields: { nw_dst: '10.0.0.5', nw_src: '10.0.0.6', dl_dst: 'fa:16:3e:00:00:01' } },
  },
]

const GATEWAY_IP = '172.24.4.2'
const GATEWAY_CHASSIS = '192.168.100.7'
const [ROUTER_MAC, GATEWAY_MAC, UPSTREAM_MAC] = ['fa:16:3e:00:00:10', 'fa:16:3e:00:00:30', 'aa:bb:cc:00:00:01']
/** a third inside port without a floating IP (10.0.0.7, ofport 3), next to port 2 (10.0.0.6) */
const PORT3: Topology['entries'] = [
  { stage: 'classify', in_port: 3, network: 100, port: 3 },
  { stage: 'port_sec', port: 3, mac: 'fa:16:3e:00:00:03', ips: ['10.0.0.7/32'] },
  { stage: 'nexthop', network: 100, ip: '10.0.0.7', mac: 'fa:16:3e:00:00:03' },
  { stage: 'l2', network: 100, mac: 'fa:16:3e:00:00:03', port: 3 },
  { stage: 'egress', port: 3, local: 3 },
]
/** The topology with router 1's gateway replaced. */
const withGateway = (gw: Topology['entries'][number]): Topology['entries'] => [
  ...topology.entries.filter(e => e.stage !== 'router_gateway'),
  gw,
  ...PORT3,
]

const hex = (layers: Layer[]): string => Buffer.from(buildFrame(layers)).toString('hex')
/** from inside port n (its MAC fa:16:3e:00:00:0n, 10.0.0.(4+n)) to the router, towards 8.8.8.8 */
const fromInside = (n: number, l4: Layer, protocol: number): string =>
  hex([
    ethernet({ src: MacAddress.parse(`fa:16:3e:00:00:0${n}`), dst: MacAddress.parse(ROUTER_MAC) }),
    ip4({ src: Ipv4Address.parse(`10.0.0.${4 + n}`), dst: Ipv4Address.parse('8.8.8.8'), protocol }),
    l4,
  ])
/** from 8.8.8.8 on the VLAN uplink to the gateway MAC and IP */
const fromOutside = (l4: Layer, protocol: number, dst = GATEWAY_IP): string =>
  hex([
    ethernet({ src: MacAddress.parse(UPSTREAM_MAC), dst: MacAddress.parse(GATEWAY_MAC), type: 0x8100 }),
    dot1q({ vid: 101 }),
    ip4({ src: Ipv4Address.parse('8.8.8.8'), dst: Ipv4Address.parse(dst), protocol }),
    l4,
  ])

const ports = (o: Observation): number[] => [...o.tx.keys()].sort((a, b) => a - b)
const reasonOf = (o: Observation): string => {
  const last = o.hits
    .map(h => parseCookie(h.cookie).subject)
    .filter(s => 'reason' in s)
    .pop()
  return last !== undefined && 'reason' in last ? (REASON_NAMES[last.reason] ?? '?') : 'none'
}
const hitIn = (o: Observation, stage: number): string[] =>
  o.hits.filter(h => h.table === OF_TABLE_BASE + stage).map(h => `${h.match} ${h.actions}`)

/** A bridge with the inside ports 1-3, the uplinks 50 (VLAN 101) and 51, and the flow-based tunnel port. */
async function bridgeWith(ovs: Ovs, entries: Topology['entries']): Promise<Replay> {
  const br = ovs.name('br')
  await ovs.addBridge(br)
  for (const n of [1, 2, 3, 5, 50, 51]) {
    const p = ovs.name('p')
    await ovs.vsctl('add-port', br, p, '--', 'set', 'Interface', p, 'type=internal', `ofport_request=${n}`)
  }
  const tun = ovs.name('vx')
  await ovs.vsctl(
    'add-port',
    br,
    tun,
    '--',
    'set',
    'Interface',
    tun,
    'type=vxlan',
    'options:remote_ip=flow',
    'options:key=flow',
    `ofport_request=${TUNNEL_OFPORT}`,
  )
  const replay = await Replay.on(ovs, br)
  await replay.replaceFlows(renderFlows(emitOpenFlow(entries, { tunnelOfport: TUNNEL_OFPORT })))
  return replay
}

/** The reply tuple (`reply=(...)`) OVS recorded for the connection whose original tuple starts with `orig`. */
async function replyTuple(replay: Replay, orig: string): Promise<string> {
  const dump = await replay.appctl.call('dpctl/dump-conntrack')
  const line = dump.split('\n').find(l => l.includes(`orig=(${orig}`))
  return /reply=\(([^)]*)\)/.exec(line ?? '')?.[1] ?? `no connection ${orig} in:\n${dump}`
}

async function gatewayChassis(t: Test, ovs: Ovs): Promise<void> {
  const replay = await bridgeWith(ovs, withGateway({ stage: 'router_gateway', router: 1, port: 30, snat: true, local: true }))
  t.teardown(() => {
    replay.close()
  })
  await replay.flushConntrack()
  // UDP from 10.0.0.6: out of the uplink from the gateway IP, its source port kept
  const out2 = await replay.send({ in_port: 2, hex: fromInside(2, udp({ sport: 5000, dport: 53 }), IP_PROTO.UDP) })
  t.same(ports(out2), [50], 'UDP from a source without a floating IP leaves by the uplink')
  t.equal(
    await replyTuple(replay, 'src=10.0.0.6,dst=8.8.8.8,sport=5000,dport=53'),
    `src=8.8.8.8,dst=${GATEWAY_IP},sport=53,dport=5000`,
    'translated to the gateway IP, the source port kept',
  )
  // the same source port from 10.0.0.7 to the same remote: the tuple is taken, another port
  const out3 = await replay.send({ in_port: 3, hex: fromInside(3, udp({ sport: 5000, dport: 53 }), IP_PROTO.UDP) })
  t.same(ports(out3), [50], 'the second host leaves by the uplink too')
  const second = await replyTuple(replay, 'src=10.0.0.7,dst=8.8.8.8,sport=5000,dport=53')
  const port3 = Number(/dport=(\d+)$/.exec(second)?.[1])
  t.match(
    second,
    new RegExp(`^src=8\\.8\\.8\\.8,dst=${GATEWAY_IP.replace(/\./g, '\\.')},sport=53,dport=\\d+$`),
    `the second host from the gateway IP: ${second}`,
  )
  t.ok(port3 !== 5000 && port3 >= 1024, `the second host gets another port (${port3})`)
  // the replies come back to each host with its own address as destination (its next hop is resolved)
  const back2 = await replay.send({ in_port: 50, hex: fromOutside(udp({ sport: 53, dport: 5000 }), IP_PROTO.UDP) })
  t.same(ports(back2), [2], 'the reply to the gateway IP and port 5000 reaches 10.0.0.6')
  t.ok(
    hitIn(back2, STAGE_NEXTHOP).some(h => h.includes('reg4=0xa000006')),
    `routed to 10.0.0.6: ${hitIn(back2, STAGE_NEXTHOP).join('; ')}`,
  )
  const back3 = await replay.send({ in_port: 50, hex: fromOutside(udp({ sport: 53, dport: port3 }), IP_PROTO.UDP) })
  t.same(ports(back3), [3], `the reply to port ${port3} reaches 10.0.0.7`)
  t.ok(
    hitIn(back3, STAGE_NEXTHOP).some(h => h.includes('reg4=0xa000007')),
    `routed to 10.0.0.7: ${hitIn(back3, STAGE_NEXTHOP).join('; ')}`,
  )
  // TCP and ICMP echo are translated as well
  t.same(
    ports(await replay.send({ in_port: 2, hex: fromInside(2, tcp({ sport: 40000, dport: 443, flags: 0x02 }), IP_PROTO.TCP) })),
    [50],
    'a TCP SYN leaves',
  )
  t.equal(
    await replyTuple(replay, 'src=10.0.0.6,dst=8.8.8.8,sport=40000,dport=443'),
    `src=8.8.8.8,dst=${GATEWAY_IP},sport=443,dport=40000`,
    'TCP translated',
  )
  t.same(
    ports(await replay.send({ in_port: 2, hex: fromInside(2, echo4({ id: 77, seq: 1 }), IP_PROTO.ICMP) })),
    [50],
    'an echo request leaves',
  )
  t.match(
    await replyTuple(replay, 'src=10.0.0.6,dst=8.8.8.8,id=77'),
    new RegExp(`^src=8\\.8\\.8\\.8,dst=${GATEWAY_IP.replace(/\./g, '\\.')},id=77`),
    'ICMP echo translated',
  )
  t.same(
    ports(await replay.send({ in_port: 50, hex: fromOutside(echo4({ reply: true, id: 77, seq: 1 }), IP_PROTO.ICMP) })),
    [2],
    'its echo reply reaches 10.0.0.6',
  )
  // a second host's echo with the same identifier to the same remote: OVS does not translate ICMP identifiers,
  // its commit fails and the request leaves untranslated (nat-flows.ts gatewaySnatFlows "Gap")
  await replay.send({ in_port: 3, hex: fromInside(3, echo4({ id: 77, seq: 1 }), IP_PROTO.ICMP) })
  t.notMatch(
    await replyTuple(replay, 'src=10.0.0.7,dst=8.8.8.8,id=77'),
    /^no connection/,
    'a second host with the same echo identifier is translated too',
    { todo: 'OVS 3.1 conntrack translates ICMP by address only: the tuple is taken' },
  )
  // no connection: an echo request to the gateway IP is the router's, answered in place (tagged, by the uplink)
  const echo = await replay.send({ in_port: 50, hex: fromOutside(echo4({ id: 9, seq: 1 }), IP_PROTO.ICMP) })
  t.same(ports(echo), [50], 'an echo request to the gateway IP is answered')
  t.ok(
    hitIn(echo, STAGE_L3_ROUTE).some(h => h.includes('icmp_type=0') || h.includes('set_field:0->icmp_type')),
    'by the router echo flow',
  )
  // an unsolicited UDP packet to the gateway IP is for the router: punted
  t.equal(
    reasonOf(await replay.send({ in_port: 50, hex: fromOutside(udp({ sport: 53, dport: 6000 }), IP_PROTO.UDP) })),
    'punt_router_local',
    'no connection: punt_router_local',
  )
  // another protocol cannot be translated: no_snat; a floating IP keeps its 1:1 rewrite (no connection)
  const other = await replay.send({
    in_port: 2,
    hex: hex([
      ethernet({ src: MacAddress.parse('fa:16:3e:00:00:02'), dst: MacAddress.parse(ROUTER_MAC) }),
      ip4({ src: Ipv4Address.parse('10.0.0.6'), dst: Ipv4Address.parse('8.8.8.8'), protocol: IP_PROTO.EXPERIMENTAL }),
      { kind: 'raw', bytes: new Uint8Array(8) },
    ]),
  })
  t.same([ports(other), reasonOf(other)], [[], 'no_snat'], 'an experimental protocol drops no_snat')
  const fip = await replay.send({ in_port: 1, hex: fromInside(1, udp({ sport: 5000, dport: 53 }), IP_PROTO.UDP) })
  t.same(ports(fip), [50], 'the floating IP source leaves')
  t.match(await replyTuple(replay, 'src=10.0.0.5,'), /^no connection/, 'the floating IP source is not port-translated (1:1, stateless)')
}

async function redirectingChassis(t: Test, ovs: Ovs): Promise<void> {
  const replay = await bridgeWith(
    ovs,
    withGateway({ stage: 'router_gateway', router: 1, port: 30, snat: true, local: false, redirect: GATEWAY_CHASSIS }),
  )
  t.teardown(() => {
    replay.close()
  })
  const o = await replay.send({ in_port: 2, hex: fromInside(2, udp({ sport: 5000, dport: 53 }), IP_PROTO.UDP) })
  t.same(ports(o), [TUNNEL_OFPORT], 'no floating IP: to the gateway chassis through the tunnel')
  const redirect = hitIn(o, STAGE_L3_ROUTE).join('; ')
  t.match(redirect, new RegExp(`set_field:${GATEWAY_CHASSIS.replace(/\./g, '\\.')}->tun_dst`), `to the gateway chassis: ${redirect}`)
  t.match(redirect, /move:NXM_NX_REG0\[\]->NXM_NX_TUN_ID\[0\.\.31\]/, 'with the network as tunnel key')
  t.same(hitIn(o, STAGE_NEXTHOP), [], 'unchanged: no next hop resolution, no TTL decrement or MAC rewrite')
  const fip = await replay.send({ in_port: 1, hex: fromInside(1, udp({ sport: 5000, dport: 53 }), IP_PROTO.UDP) })
  t.same(ports(fip), [50], 'a floating IP source is routed here, out of the uplink')
  const gone = await bridgeWith(ovs, withGateway({ stage: 'router_gateway', router: 1, port: 30, snat: true, local: false }))
  t.teardown(() => {
    gone.close()
  })
  const d = await gone.send({ in_port: 2, hex: fromInside(2, udp({ sport: 5000, dport: 53 }), IP_PROTO.UDP) })
  t.same([ports(d), reasonOf(d)], [[], 'gateway_elsewhere'], 'no gateway chassis known: gateway_elsewhere')
}

if (needRoot('private OVS in a network namespace', { wholeFile: true }) === false) {
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
    await ovs.vsctl(
      'add-port',
      br,
      tun,
      '--',
      'set',
      'Interface',
      tun,
      'type=vxlan',
      'options:remote_ip=flow',
      'options:key=flow',
      `ofport_request=${TUNNEL_OFPORT}`,
    )
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
  t.test('SNAT with port translation on the gateway chassis, real packets', async t => {
    const ovs = await startOvs()
    t.teardown(() => ovs.stop())
    await gatewayChassis(t, ovs)
  })
  t.test('SNAT elsewhere: redirected to the gateway chassis, real packets', async t => {
    const ovs = await startOvs()
    t.teardown(() => ovs.stop())
    await redirectingChassis(t, ovs)
  })
}
