// lr_in_ip_route: frames to a router port MAC enter the router: echo to the router, TTL expiry, longest
// prefix match (BEHAVIOUR.md "Order of checks" 7; RFC 792, RFC 4443, RFC 1812).
import { hexOf, ipv4, ipv6, type Ipv4Address, type Ipv6Address } from '../../../datapath/host/addresses.js'
import {
  IP_PROTO,
  echo4,
  echo6,
  ethernet,
  icmp4,
  icmp6,
  ip4,
  ip6,
  ip6Ext,
  raw,
  tcp,
  udp,
  type Layer,
} from '../../../datapath/host/packet-builder.js'
import { STAGE_L3_ROUTE } from '../../../datapath/spec/stages.js'
import type { Entry } from '../../../datapath/host/entries.js'
import type { Expectation, FieldChecks, Vector } from '../vector-format.js'
import { GW, LPM_ROUTES, NET_A, RPA, RPB, VM1, VM2, VMB1, VMB2, type Host, type RouterPort } from './topologies.js'
import {
  bothModes,
  drop,
  exact,
  fields,
  flood,
  frameOf,
  inPort,
  layersInput,
  output,
  punt,
  routed,
  stageName,
  tunnel,
  udp4,
  udp6,
  vector,
} from './vector-kit.js'

const stage = stageName(STAGE_L3_ROUTE)
const of1 = VM1.ofport as number
const toRouter4 = (dst: Ipv4Address, ttl = 64) => udp4({ srcMac: VM1.mac, dstMac: RPA.mac, src: VM1.ip4, dst, ttl })
const toRouter6 = (dst: Ipv6Address, hopLimit = 64) => udp6({ srcMac: VM1.mac, dstMac: RPA.mac, src: VM1.ip6, dst, hopLimit })
const via = (out: RouterPort, next: Host) => ({ srcMac: out.mac, dstMac: next.mac })

/** The IP packet inside a frame built from `layers` (no VLAN in these vectors). */
const ipPacket = (layers: Layer[]): Uint8Array => frameOf(layers).subarray(14)

/**
 * BEHAVIOUR.md 7: ICMP errors come from the ingress router port's first address of the family, TTL 64, to the
 * sender's MAC, carrying the original IP header + 8 bytes (RFC 792) / as much as fits in 1280 bytes (RFC 4443 2.4).
 */
function icmpError(original: Layer[], o: { v6?: boolean; type: number; code: number }): FieldChecks {
  const orig = ipPacket(original)
  const quoted = o.v6 ? orig.subarray(0, 1280 - 48) : orig.subarray(0, ((orig[0] as number) & 0xf) * 4 + 8)
  return {
    eth_src: RPA.mac.toString(),
    eth_dst: VM1.mac.toString(),
    ip_src: (o.v6 ? RPA.ip6 : RPA.ip4).toString(),
    ip_dst: (o.v6 ? VM1.ip6 : VM1.ip4).toString(),
    ...(o.v6 ? { hop_limit: 64, ip_proto: IP_PROTO.ICMPV6 } : { ttl: 64, ip_proto: IP_PROTO.ICMP, ip_checksum_ok: true }),
    icmp_type: o.type,
    icmp_code: o.code,
    icmp_checksum_ok: true,
    icmp_rest: '00000000',
    icmp_payload: hexOf(quoted),
  }
}
const withError = (e: FieldChecks): Partial<Expectation> => ({ replies: [{ ofport: of1, frame: fields(e) }] })

const routedTo = (layers: Layer[], out: RouterPort, next: Host, because: string): Expectation =>
  next.remote
    ? tunnel(next, exact(routed(layers, via(out, next))), { because })
    : output(next.ofport as number, exact(routed(layers, via(out, next))), { because })

function forwardVectors(): Vector[] {
  const r4 = toRouter4(VMB1.ip4)
  const options = [
    ethernet({ src: VM1.mac, dst: RPA.mac }),
    ip4({ src: VM1.ip4, dst: VMB1.ip4, ttl: 64, id: 9, options: Uint8Array.of(7, 7, 4, 0, 0, 0, 0) }),
    udp({ sport: 1, dport: 2 }),
  ]
  const firstFrag = [
    ethernet({ src: VM1.mac, dst: RPA.mac }),
    ip4({ src: VM1.ip4, dst: VMB1.ip4, ttl: 64, id: 10, mf: true }),
    udp({ sport: 1, dport: 2, length: 1480, checksum: 0x1234 }),
    raw(new Uint8Array(16).fill(7)),
  ]
  const laterFrag = [
    ethernet({ src: VM1.mac, dst: RPA.mac }),
    ip4({ src: VM1.ip4, dst: VMB1.ip4, ttl: 64, id: 10, protocol: IP_PROTO.UDP, fragOffset: 185 }),
    raw(new Uint8Array(12).fill(8)),
  ]
  const badTcp = [
    ethernet({ src: VM1.mac, dst: RPA.mac }),
    ip4({ src: VM1.ip4, dst: VMB1.ip4, ttl: 64, id: 11, df: true }),
    tcp({ sport: 43210, dport: 22, seq: 1, checksum: 'bad' }),
  ]
  const zeroUdp = [
    ethernet({ src: VM1.mac, dst: RPA.mac }),
    ip4({ src: VM1.ip4, dst: VMB1.ip4, ttl: 64, id: 12 }),
    udp({ sport: 1, dport: 2, checksum: 'none' }),
    raw(Uint8Array.of(1, 2)),
  ]
  const r6ext = [
    ...toRouter6(VMB1.ip6).slice(0, 2),
    ip6Ext({ ext: 'hop-by-hop', options: Uint8Array.of(5, 2, 0, 0) }),
    ip6Ext({ ext: 'destination' }),
    ...toRouter6(VMB1.ip6).slice(2),
  ]
  const routedBecause = 'BEHAVIOUR.md 7-10: router MAC on the ingress network; LPM hit on the connected route; next hop resolved; TTL - 1'
  return [
    ...bothModes({
      name: 'route/ipv4-to-local-port',
      stage,
      intent: 'vm1 sends through its gateway to vmb1: MACs rewritten, TTL 63, delivered locally.',
      input: layersInput(of1, r4),
      expect: routedTo(r4, RPB, VMB1, routedBecause),
    }),
    vector({
      name: 'route/ipv4-to-remote-port',
      stage,
      intent: 'A routed packet to a VM on another chassis leaves through a tunnel on the out network.',
      input: layersInput(of1, toRouter4(VMB2.ip4)),
      expect: routedTo(toRouter4(VMB2.ip4), RPB, VMB2, 'BEHAVIOUR.md 10: remote port -> tunnel, network key of the out network'),
    }),
    vector({
      name: 'route/ipv4-ttl-2-forwarded',
      stage,
      intent: 'TTL 2 is forwarded with TTL 1.',
      input: layersInput(of1, toRouter4(VMB1.ip4, 2)),
      expect: routedTo(toRouter4(VMB1.ip4, 2), RPB, VMB1, 'BEHAVIOUR.md 7: only TTL <= 1 expires'),
    }),
    vector({
      name: 'route/ipv4-same-network-via-router',
      stage,
      intent: 'A packet sent to the router for a host on the same network is routed back onto it.',
      input: layersInput(of1, toRouter4(VM2.ip4)),
      expect: routedTo(toRouter4(VM2.ip4), RPA, VM2, "BEHAVIOUR.md 7-8: the out port is net-a's router port"),
    }),
    vector({
      name: 'route/ipv4-with-options',
      stage,
      intent: 'IP options (record route) are carried unchanged; only TTL and checksum change.',
      input: layersInput(of1, options),
      expect: routedTo(options, RPB, VMB1, 'BEHAVIOUR.md 7: TTL - 1, checksum updated; options untouched'),
    }),
    vector({
      name: 'route/ipv4-first-fragment',
      stage,
      intent: 'A first fragment (MF set) is routed like any packet.',
      input: layersInput(of1, firstFrag),
      expect: routedTo(firstFrag, RPB, VMB1, 'RFC 1812 5.2.6: fragments are forwarded'),
    }),
    vector({
      name: 'route/ipv4-non-first-fragment',
      stage,
      intent: 'A non-first fragment, with no L4 header, is routed too.',
      input: layersInput(of1, laterFrag),
      expect: routedTo(laterFrag, RPB, VMB1, 'BEHAVIOUR.md 1 and 7'),
    }),
    vector({
      name: 'route/ipv4-bad-tcp-checksum-not-verified',
      stage,
      intent: 'A router does not verify the L4 checksum of what it forwards.',
      input: layersInput(of1, badTcp),
      expect: routedTo(badTcp, RPB, VMB1, "BEHAVIOUR.md checksums: forwarded traffic's L4 checksum is not verified"),
    }),
    vector({
      name: 'route/ipv4-zero-udp-checksum',
      stage,
      intent: 'A UDP packet without a checksum is routed unchanged apart from TTL and MACs.',
      input: layersInput(of1, zeroUdp),
      expect: routedTo(zeroUdp, RPB, VMB1, 'RFC 768'),
    }),
    ...bothModes({
      name: 'route/ipv6-to-local-port',
      stage,
      intent: 'IPv6 through the router: MACs rewritten, hop limit 63.',
      input: layersInput(of1, toRouter6(VMB1.ip6)),
      expect: routedTo(toRouter6(VMB1.ip6), RPB, VMB1, routedBecause),
    }),
    vector({
      name: 'route/ipv6-to-remote-port',
      stage,
      intent: 'Routed IPv6 to a remote VM leaves through a tunnel.',
      input: layersInput(of1, toRouter6(VMB2.ip6)),
      expect: routedTo(toRouter6(VMB2.ip6), RPB, VMB2, 'BEHAVIOUR.md 10'),
    }),
    vector({
      name: 'route/ipv6-extension-headers',
      stage,
      intent: 'Hop-by-hop and destination options are skipped to route the packet; they are forwarded unchanged.',
      input: layersInput(of1, r6ext),
      expect: routedTo(r6ext, RPB, VMB1, 'BEHAVIOUR.md 1: extension headers are skipped'),
    }),
    vector({
      name: 'route/ipv4-padded-frame',
      stage,
      intent: 'A 60-byte padded frame is routed by its IP total length; the IP packet is rewritten as usual.',
      input: layersInput(of1, r4, { pad: true }),
      expect: output(
        VMB1.ofport as number,
        fields({
          eth_src: RPB.mac.toString(),
          eth_dst: VMB1.mac.toString(),
          ttl: 63,
          ip_checksum_ok: true,
          ip_total_length: 36,
          ip_src: VM1.ip4.toString(),
          ip_dst: VMB1.ip4.toString(),
          udp_checksum_ok: true,
        }),
        { because: 'RFC 894 padding is not part of the IP packet; BEHAVIOUR.md leaves the padding bytes open' },
      ),
    }),
    vector({
      name: 'route/router-mac-of-other-network',
      stage,
      intent: "Net-b's router MAC seen on net-a is not a router port there: the frame is switched (unknown unicast floods).",
      input: layersInput(of1, udp4({ srcMac: VM1.mac, dstMac: RPB.mac, src: VM1.ip4, dst: VMB1.ip4 })),
      expect: flood(NET_A, exact(udp4({ srcMac: VM1.mac, dstMac: RPB.mac, src: VM1.ip4, dst: VMB1.ip4 })), {
        because: 'BEHAVIOUR.md 7: only a router_port MAC on the ingress network',
      }),
    }),
  ]
}

function localVectors(): Vector[] {
  const ping4 = (dst: Ipv4Address, o: { ttl?: number; checksum?: 'bad' } = {}): Layer[] => [
    ethernet({ src: VM1.mac, dst: RPA.mac }),
    ip4({ src: VM1.ip4, dst, ttl: o.ttl ?? 64, id: 0x77, df: true }),
    echo4({ id: 0x1d2c, seq: 3, data: Uint8Array.of(0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68), checksum: o.checksum }),
  ]
  /** BEHAVIOUR.md 7: addresses and MACs swapped, TTL 64, type 0, checksums recomputed; the rest (id, DF, data) in place. */
  const pong4 = (dst: Ipv4Address): Layer[] => [
    ethernet({ src: RPA.mac, dst: VM1.mac }),
    ip4({ src: dst, dst: VM1.ip4, ttl: 64, id: 0x77, df: true }),
    echo4({ reply: true, id: 0x1d2c, seq: 3, data: Uint8Array.of(0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68) }),
  ]
  const ping6 = (o: { checksum?: 'bad' } = {}): Layer[] => [
    ethernet({ src: VM1.mac, dst: RPA.mac }),
    ip6({ src: VM1.ip6, dst: RPA.ip6, hopLimit: 64 }),
    echo6({ id: 0x42, seq: 9, data: Uint8Array.of(1, 2, 3, 4), checksum: o.checksum }),
  ]
  const pong6: Layer[] = [
    ethernet({ src: RPA.mac, dst: VM1.mac }),
    ip6({ src: RPA.ip6, dst: VM1.ip6, hopLimit: 64 }),
    echo6({ reply: true, id: 0x42, seq: 9, data: Uint8Array.of(1, 2, 3, 4) }),
  ]
  const echoed = { because: 'BEHAVIOUR.md 7: echo request to a router address -> echo reply in place, out of the ingress port' }
  const toRouterTcp = [
    ethernet({ src: VM1.mac, dst: RPA.mac }),
    ip4({ src: VM1.ip4, dst: RPA.ip4, ttl: 64 }),
    tcp({ sport: 40000, dport: 179 }),
  ]
  return [
    ...bothModes({
      name: 'route/echo-to-router',
      stage,
      intent: 'vm1 pings its gateway; the router answers in place.',
      input: layersInput(of1, ping4(RPA.ip4)),
      expect: inPort(of1, exact(pong4(RPA.ip4)), echoed),
    }),
    vector({
      name: 'route/echo-to-router-far-address',
      stage,
      intent: "The router's address on the other network answers too, from that address.",
      input: layersInput(of1, ping4(RPB.ip4)),
      expect: inPort(of1, exact(pong4(RPB.ip4)), { because: "BEHAVIOUR.md 7: one of the router's own addresses" }),
    }),
    vector({
      name: 'route/echo-to-router-ttl-1',
      stage,
      intent: 'A ping to the router with TTL 1 is for the router, not expired.',
      input: layersInput(of1, ping4(RPA.ip4, { ttl: 1 })),
      expect: inPort(of1, exact(pong4(RPA.ip4)), { because: 'BEHAVIOUR.md 7: the router-address check comes before the TTL check' }),
    }),
    ...bothModes({
      name: 'route/echo-to-router-bad-checksum',
      stage,
      intent: 'The router verifies the ICMP checksum of an echo it answers.',
      input: layersInput(of1, ping4(RPA.ip4, { checksum: 'bad' })),
      expect: drop('bad_l4_checksum', 'BEHAVIOUR.md checksums: echo to a router is verified'),
    }),
    ...bothModes({
      name: 'route/ipv6-echo-to-router',
      stage,
      intent: 'ICMPv6 echo to the router address is answered in place with hop limit 64.',
      input: layersInput(of1, ping6()),
      expect: inPort(of1, exact(pong6), echoed),
    }),
    vector({
      name: 'route/ipv6-echo-to-router-hop-limit-1',
      stage,
      intent: 'An ICMPv6 echo to the router with hop limit 1 is for the router, not expired.',
      input: layersInput(
        of1,
        ping6().map(l => (l.kind === 'ip6' ? { ...l, hopLimit: 1 } : l)),
      ),
      expect: inPort(of1, exact(pong6), { because: 'BEHAVIOUR.md 7: the router-address check comes before the hop-limit check' }),
    }),
    vector({
      name: 'route/ipv6-echo-to-router-bad-checksum',
      stage,
      intent: 'A wrong ICMPv6 checksum on an echo to the router is dropped.',
      input: layersInput(of1, ping6({ checksum: 'bad' })),
      expect: drop('bad_l4_checksum', 'BEHAVIOUR.md checksums'),
    }),
    vector({
      name: 'route/udp-to-router',
      stage,
      intent: 'Non-echo traffic to a router address goes to the slow path.',
      input: layersInput(of1, toRouter4(RPA.ip4)),
      expect: punt('punt_router_local', 'BEHAVIOUR.md 7: anything else to the router'),
    }),
    vector({
      name: 'route/tcp-to-router',
      stage,
      intent: 'TCP to the router (a BGP attempt) is punted as router-local.',
      input: layersInput(of1, toRouterTcp),
      expect: punt('punt_router_local', 'BEHAVIOUR.md 7'),
    }),
    vector({
      name: 'route/echo-reply-to-router',
      stage,
      intent: 'An echo reply addressed to the router is not an echo request: router-local.',
      input: layersInput(of1, [
        ethernet({ src: VM1.mac, dst: RPA.mac }),
        ip4({ src: VM1.ip4, dst: RPA.ip4, ttl: 64 }),
        echo4({ reply: true }),
      ]),
      expect: punt('punt_router_local', 'BEHAVIOUR.md 7: only echo requests are answered in place'),
    }),
    vector({
      name: 'route/ipv6-udp-to-router',
      stage,
      intent: 'IPv6 UDP to the router address is router-local.',
      input: layersInput(of1, toRouter6(RPA.ip6)),
      expect: punt('punt_router_local', 'BEHAVIOUR.md 7'),
    }),
  ]
}

function errorVectors(): Vector[] {
  const ttl1 = toRouter4(VMB1.ip4, 1)
  const ttl0 = toRouter4(VMB1.ip4, 0)
  const noRoute = toRouter4(ipv4('192.0.2.1'))
  const hop1 = toRouter6(VMB1.ip6, 1)
  const noRoute6 = toRouter6(ipv6('2001:db8:ffff::1'))
  const icmpErrTtl1: Layer[] = [
    ethernet({ src: VM1.mac, dst: RPA.mac }),
    ip4({ src: VM1.ip4, dst: VMB1.ip4, ttl: 1 }),
    icmp4({ type: 3, code: 3, payload: ipPacket(toRouter4(VM1.ip4)).subarray(0, 28) }),
  ]
  const fragNoRoute: Layer[] = [
    ethernet({ src: VM1.mac, dst: RPA.mac }),
    ip4({ src: VM1.ip4, dst: ipv4('192.0.2.1'), ttl: 64, protocol: IP_PROTO.UDP, fragOffset: 100 }),
    raw(new Uint8Array(8)),
  ]
  const mcastTtl1 = udp4({ srcMac: VM1.mac, dstMac: RPA.mac, src: VM1.ip4, dst: ipv4('224.0.0.251'), ttl: 1 })
  const bcastNoRoute = udp4({ srcMac: VM1.mac, dstMac: RPA.mac, src: VM1.ip4, dst: ipv4('255.255.255.255') })
  const icmp6Err: Layer[] = [
    ethernet({ src: VM1.mac, dst: RPA.mac }),
    ip6({ src: VM1.ip6, dst: ipv6('2001:db8:ffff::1'), hopLimit: 64 }),
    icmp6({ type: 1, code: 4, body: new Uint8Array(12) }),
  ]
  const mcast6Hop1 = udp6({ srcMac: VM1.mac, dstMac: RPA.mac, src: VM1.ip6, dst: ipv6('ff0e::1'), hopLimit: 1 })
  const pingTtl1: Layer[] = [
    ethernet({ src: VM1.mac, dst: RPA.mac }),
    ip4({ src: VM1.ip4, dst: VMB1.ip4, ttl: 1, id: 5 }),
    echo4({ id: 1, seq: 1 }),
  ]
  const ttl1Options: Layer[] = [
    ethernet({ src: VM1.mac, dst: RPA.mac }),
    ip4({ src: VM1.ip4, dst: VMB1.ip4, ttl: 1, id: 21, options: Uint8Array.of(0x94, 4, 0, 0) }),
    udp({ sport: 5, dport: 6 }),
    raw(new Uint8Array(40).fill(3)),
  ]
  const ttl1Large: Layer[] = [...toRouter4(VMB1.ip4, 1).slice(0, 3), raw(new Uint8Array(1000).fill(0x5a))]
  const hop1Large: Layer[] = [...toRouter6(VMB1.ip6, 1).slice(0, 3), raw(new Uint8Array(1400).fill(0x6b))]
  const vm2Ttl1 = udp4({ srcMac: VM2.mac, dstMac: RPA.mac, src: VM2.ip4, dst: VMB1.ip4, ttl: 1 })
  const firstFragTtl1: Layer[] = [
    ethernet({ src: VM1.mac, dst: RPA.mac }),
    ip4({ src: VM1.ip4, dst: VMB1.ip4, ttl: 1, id: 33, mf: true }),
    udp({ sport: 7, dport: 8, length: 1000, checksum: 0x4321 }),
    raw(new Uint8Array(24).fill(9)),
  ]
  const expired = 'BEHAVIOUR.md 7: TTL/hop limit <= 1 -> punt punt_icmp_error; packet-in: time exceeded'
  const unreachable = 'BEHAVIOUR.md 7: LPM miss -> punt punt_icmp_error; packet-in: net unreachable'
  return [
    ...bothModes(
      {
        name: 'route/ipv4-ttl-1',
        stage,
        intent: 'TTL 1 cannot be forwarded: the slow path sends ICMP time exceeded.',
        input: layersInput(of1, ttl1),
        expect: punt('punt_icmp_error', expired),
      },
      withError(icmpError(ttl1, { type: 11, code: 0 })),
    ),
    vector({
      name: 'route/ipv4-ttl-1-with-options',
      stage,
      mode: 'packet_in',
      now_ms: 1000,
      intent: 'The ICMP error quotes the whole original header, options included (IHL 6), plus 8 bytes.',
      input: layersInput(of1, ttl1Options),
      expect: {
        ...punt('punt_icmp_error', 'RFC 792: internet header + 64 bits of data'),
        ...withError(icmpError(ttl1Options, { type: 11, code: 0 })),
      },
    }),
    vector({
      name: 'route/ipv4-ttl-1-large-packet',
      stage,
      mode: 'packet_in',
      now_ms: 1000,
      intent: 'An IPv4 ICMP error quotes only the header and 8 bytes of a large packet.',
      input: layersInput(of1, ttl1Large),
      expect: {
        ...punt('punt_icmp_error', 'BEHAVIOUR.md 7: original IP header + 8 bytes (RFC 792)'),
        ...withError(icmpError(ttl1Large, { type: 11, code: 0 })),
      },
    }),
    vector({
      name: 'route/ipv6-hop-limit-1-large-packet',
      stage,
      mode: 'packet_in',
      now_ms: 1000,
      intent: 'An ICMPv6 error quotes as much of a 1448-byte packet as fits in 1280 bytes: 1232 bytes.',
      input: layersInput(of1, hop1Large),
      expect: {
        ...punt('punt_icmp_error', 'RFC 4443 2.4 (c): the error must not exceed the minimum IPv6 MTU'),
        ...withError(icmpError(hop1Large, { v6: true, type: 3, code: 0 })),
      },
    }),
    vector({
      name: 'route/ipv4-ttl-0',
      stage,
      intent: 'TTL 0 (never valid on the wire) expires too.',
      input: layersInput(of1, ttl0),
      expect: punt('punt_icmp_error', expired),
    }),
    ...bothModes(
      {
        name: 'route/ipv4-echo-ttl-1',
        stage,
        intent: 'A ping through the router with TTL 1 (traceroute) gets time exceeded quoting the echo.',
        input: layersInput(of1, pingTtl1),
        expect: punt('punt_icmp_error', expired),
      },
      withError(icmpError(pingTtl1, { type: 11, code: 0 })),
    ),
    ...bothModes(
      {
        name: 'route/ipv4-no-route',
        stage,
        intent: 'A destination no route covers gets ICMP net unreachable.',
        input: layersInput(of1, noRoute),
        expect: punt('punt_icmp_error', unreachable),
      },
      withError(icmpError(noRoute, { type: 3, code: 0 })),
    ),
    ...bothModes({
      name: 'route/ipv4-ttl-1-icmp-error-not-answered',
      stage,
      intent: 'No ICMP error is sent about an ICMP error.',
      input: layersInput(of1, icmpErrTtl1),
      expect: drop('ttl_expired', 'BEHAVIOUR.md 7 and RFC 1812 4.3.2.7: never in reply to an ICMP error'),
    }),
    ...bothModes({
      name: 'route/ipv4-no-route-non-first-fragment',
      stage,
      intent: 'No ICMP error is sent about a non-first fragment.',
      input: layersInput(of1, fragNoRoute),
      expect: drop('no_route', 'BEHAVIOUR.md 7: never for a non-first fragment'),
    }),
    vector({
      name: 'route/ipv4-ttl-1-multicast',
      stage,
      intent: 'No ICMP error is sent about a multicast destination.',
      input: layersInput(of1, mcastTtl1),
      expect: drop('ttl_expired', 'BEHAVIOUR.md 7: never for broadcast/multicast (RFC 1812 4.3.2.7)'),
    }),
    vector({
      name: 'route/ipv4-broadcast-no-route',
      stage,
      intent: 'A limited broadcast sent to the router MAC matches no route and gets no ICMP error.',
      input: layersInput(of1, bcastNoRoute),
      expect: drop('no_route', 'BEHAVIOUR.md 7: never for a broadcast'),
    }),
    ...bothModes(
      {
        name: 'route/ipv6-hop-limit-1',
        stage,
        intent: 'Hop limit 1 gets ICMPv6 time exceeded quoting the whole (small) packet.',
        input: layersInput(of1, hop1),
        expect: punt('punt_icmp_error', expired),
      },
      withError(icmpError(hop1, { v6: true, type: 3, code: 0 })),
    ),
    ...bothModes(
      {
        name: 'route/ipv6-no-route',
        stage,
        intent: 'An IPv6 destination with no route gets ICMPv6 destination unreachable, no route.',
        input: layersInput(of1, noRoute6),
        expect: punt('punt_icmp_error', unreachable),
      },
      withError(icmpError(noRoute6, { v6: true, type: 1, code: 0 })),
    ),
    vector({
      name: 'route/ipv6-no-route-icmpv6-error',
      stage,
      intent: 'No ICMPv6 error about an ICMPv6 error.',
      input: layersInput(of1, icmp6Err),
      expect: drop('no_route', 'BEHAVIOUR.md 7; RFC 4443 2.4 (e.1)'),
    }),
    vector({
      name: 'route/ipv6-hop-limit-1-multicast',
      stage,
      intent: 'No ICMPv6 time exceeded about a multicast destination.',
      input: layersInput(of1, mcast6Hop1),
      expect: drop('ttl_expired', 'BEHAVIOUR.md 7'),
    }),
    vector({
      name: 'route/icmp-rate-limit',
      stage,
      mode: 'packet_in',
      now_ms: 5000,
      intent: 'The eleventh ICMP error in the same instant from one port is not sent.',
      before: Array.from({ length: 10 }, () => layersInput(of1, ttl1)),
      input: layersInput(of1, ttl1),
      expect: { ...drop('icmp_rate_limit', 'BEHAVIOUR.md 7: rate limited per ingress port, 10/s, burst 10'), replies: [] },
    }),
    vector({
      name: 'route/icmp-rate-limit-is-per-port',
      stage,
      mode: 'packet_in',
      now_ms: 5000,
      intent: 'vm1 exhausting its ICMP error bucket does not silence errors to vm2.',
      before: Array.from({ length: 11 }, () => layersInput(of1, ttl1)),
      input: layersInput(VM2.ofport as number, vm2Ttl1),
      expect: {
        ...punt('punt_icmp_error', 'BEHAVIOUR.md 7: rate limited per ingress port'),
        replies: [
          {
            ofport: VM2.ofport as number,
            frame: fields({ ...icmpError(vm2Ttl1, { type: 11, code: 0 }), eth_dst: VM2.mac.toString(), ip_dst: VM2.ip4.toString() }),
          },
        ],
      },
    }),
    vector({
      name: 'route/icmp-rate-limit-refills',
      stage,
      mode: 'packet_in',
      now_ms: 6000,
      intent: 'One second after the bucket ran dry, errors are sent again.',
      before: Array.from({ length: 11 }, () => ({ ...layersInput(of1, ttl1), now_ms: 5000 })),
      input: layersInput(of1, ttl1),
      expect: { ...punt('punt_icmp_error', 'token bucket: 10 tokens per second'), ...withError(icmpError(ttl1, { type: 11, code: 0 })) },
    }),
    vector({
      name: 'route/ipv4-ttl-1-first-fragment',
      stage,
      mode: 'packet_in',
      now_ms: 1000,
      intent: 'A first fragment (offset 0, MF set) that expires does get an ICMP error.',
      input: layersInput(of1, firstFragTtl1),
      expect: {
        ...punt('punt_icmp_error', 'BEHAVIOUR.md 7: only non-first fragments get none'),
        ...withError(icmpError(firstFragTtl1, { type: 11, code: 0 })),
      },
    }),
    vector({
      name: 'route/icmp-rate-limit-tenth-sent',
      stage,
      mode: 'packet_in',
      now_ms: 5000,
      intent: 'The tenth ICMP error in the same instant is still sent.',
      before: Array.from({ length: 9 }, () => layersInput(of1, ttl1)),
      input: layersInput(of1, ttl1),
      expect: { ...punt('punt_icmp_error', 'burst 10'), ...withError(icmpError(ttl1, { type: 11, code: 0 })) },
    }),
  ]
}

function lpmVectors(): Vector[] {
  const topology = 'routes'
  const lpm = (
    name: string,
    dst: Ipv4Address | Ipv6Address,
    out: RouterPort,
    next: Host,
    intent: string,
    extra: { entries?: Entry[]; remove?: Entry[] } = {},
  ): Vector => {
    const layers = dst.family === 4 ? toRouter4(dst) : toRouter6(dst)
    return vector({
      name: `lpm/${name}`,
      stage,
      topology,
      intent,
      ...extra,
      input: layersInput(of1, layers),
      expect: routedTo(layers, out, next, `longest prefix match for ${dst.toString()} (RFC 1812 5.2.4.3); next hop ${next.name}`),
    })
  }
  const route = (prefix: string): Entry => {
    const r = LPM_ROUTES.find(e => e.stage === 'route' && e.prefix === prefix)
    if (!r) throw new Error(`no route ${prefix}`)
    return r
  }
  return [
    lpm('default-route', ipv4('8.8.8.8'), RPB, GW, 'An address only 0.0.0.0/0 covers goes to the upstream gateway.'),
    lpm('slash-24', ipv4('198.51.100.10'), RPB, GW, 'Inside /24 but outside the /25 and /32: the /24 wins over the default.'),
    lpm('slash-25-wins', ipv4('198.51.100.130'), RPA, VM2, 'Inside /24 and /25: the /25 wins, out of the other router port.'),
    lpm('slash-25-boundary', ipv4('198.51.100.127'), RPB, GW, 'The last address below the /25 falls back to the /24.'),
    lpm('slash-32-wins', ipv4('198.51.100.200'), RPB, VMB1, 'A host route beats the /25 and /24 that also cover it.'),
    lpm(
      'slash-11-wins',
      ipv4('100.100.1.1'),
      RPB,
      VMB1,
      'Inside 100.64.0.0/10 and 100.96.0.0/11: the /11 wins (prefix not octet-aligned).',
    ),
    lpm('slash-10', ipv4('100.64.1.1'), RPB, GW, 'Inside the /10 but below the /11.'),
    lpm('outside-slash-10', ipv4('100.128.0.1'), RPB, GW, 'The first address past 100.64.0.0/10 falls to the default.'),
    lpm('connected-beats-default', VMB1.ip4, RPB, VMB1, 'A connected /24 beats the default route and resolves the destination itself.'),
    lpm('ipv6-slash-64-wins', ipv6('2001:db8:100:1::1'), RPB, VMB1, 'Inside /48 and /64: the /64 wins.'),
    lpm('ipv6-slash-48', ipv6('2001:db8:100:2::1'), RPA, VM2, 'Inside the /48 only.'),
    lpm('ipv6-default', ipv6('2001:db8:ffff::1'), RPB, GW, 'An IPv6 address only ::/0 covers.'),
    lpm('readd-replaces', ipv4('198.51.100.10'), RPA, VM2, 'Adding a route for an existing prefix replaces it: there are no ties.', {
      entries: [{ stage: 'route', router: RPA.router, prefix: '198.51.100.0/24', port: RPA.key, nexthop: VM2.ip4.toString() }],
    }),
    lpm('removed-route-falls-back', ipv4('198.51.100.130'), RPB, GW, 'Removing the /25 sends its addresses to the /24.', {
      remove: [route('198.51.100.128/25')],
    }),
    vector({
      name: 'lpm/removed-default-no-route',
      stage,
      topology,
      intent: 'With the IPv4 default removed, an uncovered address has no route (the IPv6 default does not apply).',
      remove: [route('0.0.0.0/0')],
      input: layersInput(of1, toRouter4(ipv4('8.8.8.8'))),
      expect: punt('punt_icmp_error', 'BEHAVIOUR.md 7: LPM per address family; miss'),
    }),
  ]
}

export function l3RouteVectors(): Vector[] {
  return [...forwardVectors(), ...localVectors(), ...errorVectors(), ...lpmVectors()]
}
