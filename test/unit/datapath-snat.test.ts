// SNAT with port translation (BEHAVIOUR.md "Ways in and out", SNAT for ports without a floating IP), on the
// north-south topology: router 1's gateway 203.0.113.2 is local with snat on; vm5 (10.0.0.9) and vmb1
// (10.1.0.5) have no floating IP. Expected frames are built in full by the packet builder, so byte equality
// checks the incremental checksum updates; the decoder's checksum flags say the same in words.
import t from 'tap'
import { createDatapath, type Datapath, type Entry, type PacketInput, type Verdict } from '../../datapath/host/index.js'
import { ipv4, ipv6, type Ipv4Address, type MacAddress } from '../../datapath/host/addresses.js'
import { buildFrame, echo4, ethernet, icmp4, ip4, ip6, raw, tcp, udp, type Layer } from '../../datapath/host/packet-builder.js'
import { decodeFrame } from '../../datapath/host/packet-decoder.js'
import {
  EXT_UPLINK_OFPORT,
  NS_RPA,
  NS_RPB,
  NS_VM1,
  NS_VM5,
  NS_VMB1,
  RGW1,
  ROUTER,
  TOPOLOGIES,
  UPSTREAM,
} from '../conformance/lib/topologies.js'

const GW_IP = RGW1.ip4
const REMOTE = ipv4('192.0.2.50')
const REDIRECT = '192.168.100.9'

async function northSouth(extra: Entry[] = []): Promise<Datapath> {
  const dp = await createDatapath()
  dp.load({ entries: [...(TOPOLOGIES['north-south']?.entries ?? []), ...extra] })
  return dp
}

type Ip4 = { srcMac: MacAddress; dstMac: MacAddress; src: Ipv4Address; dst: Ipv4Address; ttl?: number }
const frame = (o: Ip4, ...l4: Layer[]): Uint8Array =>
  buildFrame([ethernet({ src: o.srcMac, dst: o.dstMac }), ip4({ src: o.src, dst: o.dst, ttl: o.ttl ?? 64, id: 7 }), ...l4])
/** vm5 (or another inside host) to the outside through router 1. */
const out = (from = NS_VM5, via = NS_RPA, ...l4: Layer[]): PacketInput => ({
  in_port: from.ofport as number,
  data: frame({ srcMac: from.mac, dstMac: via.mac, src: from.ip4, dst: REMOTE }, ...l4),
})
/** What leaves the gateway port (routed: TTL 63, to the upstream gateway's MAC). */
const leaving = (src: Ipv4Address, ...l4: Layer[]): Uint8Array =>
  frame({ srcMac: RGW1.mac, dstMac: UPSTREAM.mac, src, dst: REMOTE, ttl: 63 }, ...l4)
/** From the outside to the gateway IP, on the flat uplink. */
const back = (...l4: Layer[]): PacketInput => ({
  in_port: EXT_UPLINK_OFPORT,
  data: frame({ srcMac: UPSTREAM.mac, dstMac: RGW1.mac, src: REMOTE, dst: GW_IP }, ...l4),
})
/** What router 1 delivers inside. */
const delivered = (to = NS_VM5, via = NS_RPA, ...l4: Layer[]): Uint8Array =>
  frame({ srcMac: via.mac, dstMac: to.mac, src: REMOTE, dst: to.ip4, ttl: 63 }, ...l4)

const say = (v: Verdict | undefined): string =>
  v === undefined
    ? 'none'
    : v.action === 'output'
      ? `output ${v.ofport}`
      : v.action === 'tunnel'
        ? `tunnel ${v.remote} ${v.network}/${v.port}`
        : `${v.action} ${v.reason}`
function run(dp: Datapath, p: PacketInput, nowMs = 0): Verdict {
  const [v] = dp.process([p], { nowMs })
  if (!v) throw new Error('no verdict')
  return v
}
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

t.test('UDP out is translated to the gateway IP keeping its port; the reply comes back to vm5', async t => {
  const dp = await northSouth()
  const v = run(dp, out(NS_VM5, NS_RPA, udp({ sport: 40000, dport: 53 })))
  t.equal(say(v), 'flood none', 'an l2 miss on the external network floods (out of the uplink)')
  t.equal(hex(v.packet), hex(leaving(GW_IP, udp({ sport: 40000, dport: 53 }))), 'source 203.0.113.2:40000, checksums right')
  const d = decodeFrame(v.packet)
  t.equal(d.ip_checksum_ok, true)
  t.equal(d.udp_checksum_ok, true)
  const r = run(dp, back(udp({ sport: 53, dport: 40000 })))
  t.equal(say(r), `output ${NS_VM5.ofport}`)
  t.equal(hex(r.packet), hex(delivered(NS_VM5, NS_RPA, udp({ sport: 53, dport: 40000 }))), 'destination back to 10.0.0.9:40000')
  const outSteps = dp.trace(out(NS_VM5, NS_RPA, udp({ sport: 40001, dport: 53 })), 0).steps
  t.ok(
    outSteps.some(
      st => st.stage === 'lr_out_snat' && st.detail === 'router 1, source translated to 203.0.113.2 port 40001, new connection',
    ),
    'the trace names the translation',
  )
  const backSteps = dp.trace(back(udp({ sport: 53, dport: 40000 })), 0).steps
  t.ok(
    backSteps.some(st => st.stage === 'lr_in_dnat' && st.detail === 'router 1, reply translated back to 10.0.0.9 port 40000'),
    'and the translation back',
  )
})

t.test('TCP both ways, and a second host with the same source port to the same remote gets the next port', async t => {
  const dp = await northSouth()
  const syn = tcp({ sport: 51000, dport: 443, seq: 1, flags: 0x02 })
  t.equal(hex(run(dp, out(NS_VM5, NS_RPA, syn)).packet), hex(leaving(GW_IP, syn)))
  const v = run(dp, out(NS_VMB1, NS_RPB, syn))
  t.equal(hex(v.packet), hex(leaving(GW_IP, tcp({ sport: 51001, dport: 443, seq: 1, flags: 0x02 }))), 'vmb1 :51000 -> :51001')
  t.equal(decodeFrame(v.packet).tcp_checksum_ok, true)
  const synAck = (dport: number): Layer => tcp({ sport: 443, dport, seq: 9, ack: 2, flags: 0x12 })
  t.equal(hex(run(dp, back(synAck(51001))).packet), hex(delivered(NS_VMB1, NS_RPB, synAck(51000))), "the reply to :51001 is vmb1's")
  t.equal(hex(run(dp, back(synAck(51000))).packet), hex(delivered(NS_VM5, NS_RPA, synAck(51000))), "the reply to :51000 is vm5's")
  t.equal(
    hex(run(dp, out(NS_VMB1, NS_RPB, syn)).packet),
    hex(leaving(GW_IP, tcp({ sport: 51001, dport: 443, seq: 1, flags: 0x02 }))),
    'later packets keep the translation',
  )
})

t.test("ICMP echo: the identifier is the port; an echo to the gateway IP without a connection is the router's", async t => {
  const dp = await northSouth()
  const req = (id: number): Layer => echo4({ id, seq: 1 })
  const v = run(dp, out(NS_VM5, NS_RPA, req(0x77)))
  t.equal(hex(v.packet), hex(leaving(GW_IP, req(0x77))))
  t.equal(decodeFrame(v.packet).icmp_checksum_ok, true)
  const v2 = run(dp, out(NS_VMB1, NS_RPB, req(0x77)))
  t.equal(hex(v2.packet), hex(leaving(GW_IP, req(1024))), 'the same id (below 1024) to the same remote: 1024')
  const rep = run(dp, back(echo4({ id: 1024, seq: 1, reply: true })))
  t.equal(hex(rep.packet), hex(delivered(NS_VMB1, NS_RPB, echo4({ id: 0x77, seq: 1, reply: true }))))
  const own = run(dp, back(echo4({ id: 0x4242, seq: 1 })))
  t.equal(say(own), `in_port none`, 'an echo request to the gateway IP is answered by the router')
  const stray = run(dp, back(echo4({ id: 0x99, seq: 1, reply: true })))
  t.equal(say(stray), 'punt punt_router_local', 'an echo reply of no connection is for the router')
})

t.test('connections expire after 60 s idle (UDP), 24 h (TCP), 30 s after RST', async t => {
  const dp = await northSouth()
  const u = udp({ sport: 40000, dport: 53 })
  const reply = back(udp({ sport: 53, dport: 40000 }))
  run(dp, out(NS_VM5, NS_RPA, u), 1_000)
  t.equal(say(run(dp, reply, 60_999)), `output ${NS_VM5.ofport}`, 'just before 60 s')
  t.equal(say(run(dp, reply, 60_999 + 59_999)), `output ${NS_VM5.ofport}`, 'a reply restarts the idle time')
  t.equal(say(run(dp, reply, 60_999 + 59_999 + 60_000)), 'punt punt_router_local', '60 s idle: gone, to the router')
  const syn = tcp({ sport: 51000, dport: 443, seq: 1, flags: 0x02 })
  const tReply = (flags: number): PacketInput => back(tcp({ sport: 443, dport: 51000, seq: 9, ack: 2, flags }))
  run(dp, out(NS_VM5, NS_RPA, syn), 0)
  t.equal(say(run(dp, tReply(0x12), 86_399_000)), `output ${NS_VM5.ofport}`, 'TCP: alive before 24 h')
  t.equal(say(run(dp, tReply(0x14), 86_399_000 + 1)), `output ${NS_VM5.ofport}`, 'an RST passes')
  t.equal(say(run(dp, tReply(0x10), 86_399_001 + 30_000)), 'punt punt_router_local', '30 s after the RST: gone')
})

t.test('a full table drops ct_full (the conntrack limit applies)', async t => {
  const dp = await northSouth()
  dp.conntrack.setLimit(2)
  t.equal(say(run(dp, out(NS_VM5, NS_RPA, udp({ sport: 1, dport: 53 })))), 'flood none')
  t.equal(say(run(dp, out(NS_VM5, NS_RPA, udp({ sport: 2, dport: 53 })))), 'flood none')
  t.equal(say(run(dp, out(NS_VM5, NS_RPA, udp({ sport: 3, dport: 53 })))), 'drop ct_full')
  t.equal(say(run(dp, out(NS_VM5, NS_RPA, udp({ sport: 1, dport: 53 })))), 'flood none', 'a recorded connection still passes')
  t.equal(dp.counters().reasons.ct_full, 1)
  t.equal(say(run(dp, out(NS_VM5, NS_RPA, udp({ sport: 3, dport: 53 })), 120_000)), 'flood none', 'room again once the others expired')
})

t.test('other protocols and later fragments drop no_snat; IPv6 leaves untranslated', async t => {
  const dp = await northSouth()
  const gre: PacketInput = {
    in_port: NS_VM5.ofport as number,
    data: buildFrame([
      ethernet({ src: NS_VM5.mac, dst: NS_RPA.mac }),
      ip4({ src: NS_VM5.ip4, dst: REMOTE, protocol: 47 }),
      raw(new Uint8Array(8)),
    ]),
  }
  t.equal(say(run(dp, gre)), 'drop no_snat')
  const frag: PacketInput = {
    in_port: NS_VM5.ofport as number,
    data: buildFrame([
      ethernet({ src: NS_VM5.mac, dst: NS_RPA.mac }),
      ip4({ src: NS_VM5.ip4, dst: REMOTE, protocol: 17, fragOffset: 8 }),
      raw(new Uint8Array(8)),
    ]),
  }
  t.equal(say(run(dp, frag)), 'drop no_snat', 'a later fragment has no ports')
  const v6src = NS_VM1.ip6
  if (v6src === undefined) throw new Error('vm1 has IPv6')
  // vm1's IPv6 has a floating IP; drop that entry so its source has none
  const dp6 = await northSouth()
  dp6.remove({
    stage: 'nat',
    router: ROUTER,
    network: 300,
    gateway_port: RGW1.key,
    mac: 'fa:16:3e:f1:00:16',
    external_ip: '2001:db8:ee::10',
    internal_ip: '2001:db8:a::5',
  })
  const p6: PacketInput = {
    in_port: NS_VM1.ofport as number,
    data: buildFrame([
      ethernet({ src: NS_VM1.mac, dst: NS_RPA.mac }),
      ip6({ src: v6src, dst: ipv6('2001:db8:f::50'), hopLimit: 64 }),
      udp({ sport: 5, dport: 6 }),
    ]),
  }
  const v = run(dp6, p6)
  t.equal(say(v), 'flood none')
  t.equal(decodeFrame(v.packet).ip_src, v6src.toString(), 'the IPv6 source is kept')
})

t.test('an ICMP error about a translated packet is translated back, quote and checksums included', async t => {
  const dp = await northSouth()
  const u = udp({ sport: 40000, dport: 53 })
  run(dp, out(NS_VMB1, NS_RPB, udp({ sport: 40000, dport: 53 })))
  const sent = run(dp, out(NS_VM5, NS_RPA, u)).packet // vm5 gets 40001 (vmb1 took 40000)
  t.equal(decodeFrame(sent).udp_src, 40001)
  const quote = (p: Uint8Array): Uint8Array => p.subarray(14, 14 + 28)
  const err = back(icmp4({ type: 3, code: 3, rest: new Uint8Array(4), payload: quote(sent) }))
  const v = run(dp, err)
  t.equal(say(v), `output ${NS_VM5.ofport}`)
  const original = frame({ srcMac: NS_VM5.mac, dstMac: NS_RPA.mac, src: NS_VM5.ip4, dst: REMOTE, ttl: 63 }, u)
  t.equal(
    hex(v.packet),
    hex(delivered(NS_VM5, NS_RPA, icmp4({ type: 3, code: 3, rest: new Uint8Array(4), payload: quote(original) }))),
    'quoted source 10.0.0.9:40000, its checksums and the ICMP checksum right',
  )
  t.equal(decodeFrame(v.packet).icmp_checksum_ok, true)
})

t.test('elsewhere, a source without a floating IP is sent unchanged to the gateway chassis; no redirect: gateway_elsewhere', async t => {
  const elsewhere = { stage: 'router_gateway', router: ROUTER, port: RGW1.key, snat: true, local: false, redirect: REDIRECT } as Entry
  const dp = await northSouth([elsewhere])
  const p = out(NS_VM5, NS_RPA, udp({ sport: 40000, dport: 53 }))
  const v = run(dp, p)
  t.equal(say(v), `tunnel ${REDIRECT} 100/${NS_RPA.key}`, "network = the frame's, port = the ingress router port")
  t.equal(hex(v.packet), hex(p.data), 'the frame as it entered the router (TTL untouched)')
  const fip = run(dp, out(NS_VM1, NS_RPA, udp({ sport: 40000, dport: 53 })))
  t.equal(say(fip), 'flood none', 'a source with a floating IP is translated here (distributed)')
  const none = await northSouth([{ stage: 'router_gateway', router: ROUTER, port: RGW1.key, snat: true, local: false }])
  t.equal(say(run(none, p)), 'drop gateway_elsewhere')
  // SNAT off changes nothing here: only floating IPs leave the gateway port off the gateway chassis
  const off = await northSouth([{ ...elsewhere, snat: false } as Entry])
  t.equal(say(run(off, p)), `tunnel ${REDIRECT} 100/${NS_RPA.key}`, 'SNAT off: redirected all the same')
  const tr = dp.trace(p, 0)
  t.ok(
    tr.steps.some(
      st =>
        st.stage === 'lr_in_ip_route' &&
        st.detail === `router 1, from router port ${NS_RPA.key}, redirected to the gateway chassis ${REDIRECT}`,
    ),
    'the trace says where it was redirected',
  )
})

t.test('on the gateway chassis, a frame redirected from another chassis (tunnel key = its network) is translated', async t => {
  const dp = await northSouth()
  const p = out(NS_VM5, NS_RPA, udp({ sport: 40000, dport: 53 }))
  const v = run(dp, { in_port: 1, tunnel_key: 100, data: p.data })
  t.equal(say(v), 'flood none')
  t.equal(hex(v.packet), hex(leaving(GW_IP, udp({ sport: 40000, dport: 53 }))), 'routed here as if it came from a local port')
})

t.test('no allocation on the packet path: 3000 translated connections, their replies, expiry', async t => {
  const dp = await northSouth()
  // (ports away from 4789 and 6081: a frame from the uplink to those is taken for a tunnel packet)
  const outs = Array.from({ length: 3000 }, (_, i) => out(NS_VM5, NS_RPA, udp({ sport: 10000 + i, dport: 53 })))
  const backs = Array.from({ length: 3000 }, (_, i) => back(udp({ sport: 53, dport: 10000 + i })))
  dp.process(backs, { nowMs: 0 }) // warm-up: the batch buffers grow to this size (no connections yet: punts)
  const before = dp.heapTop()
  const verdicts = dp.process(outs, { nowMs: 0 })
  t.ok(verdicts.every(v => v.action === 'flood'))
  const replies = dp.process(backs, { nowMs: 1000 })
  t.same([...new Set(replies.map(say))], [`output ${NS_VM5.ofport}`], 'every reply found its connection')
  for (let i = 0; i < 20; i++) dp.process([out(NS_VM5, NS_RPA, udp({ sport: 1, dport: 53 }))], { nowMs: 200_000 + i })
  t.equal(dp.heapTop(), before, 'the heap top did not move')
  t.equal(say(run(dp, backs[0] as PacketInput, 200_100)), 'punt punt_router_local', 'the swept connections are gone')
})
