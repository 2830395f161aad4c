// Ways in and out (BEHAVIOUR.md "Ways in and out"): uplinks of flat and VLAN provider networks, router
// gateways, 1:1 floating IPs (lr_in_dnat / lr_out_snat), punt_neighbour, no_snat, gateway_elsewhere. Every
// expected frame is built here with the packet builder from the addresses the translation gives: the builder
// computes checksums in full, which is the value RFC 1624's incremental update must give.
import { BROADCAST_MAC, hexOf, ipv4, ipv6, mac, type Ipv4Address, type MacAddress } from '../../../datapath/host/addresses.js'
import {
  ARP_REPLY,
  ARP_REQUEST,
  arp,
  concat,
  dhcp,
  dot1q,
  echo4,
  ethernet,
  icmp4,
  ip4,
  ip6,
  ndNa,
  raw,
  tcp,
  u16,
  udp,
  type Layer,
} from '../../../datapath/host/packet-builder.js'
import type { Entry, NatEntry } from '../../../datapath/host/entries.js'
import {
  STAGE_ARP_ND_RSP,
  STAGE_CLASSIFY,
  STAGE_DHCP,
  STAGE_DNAT,
  STAGE_EGRESS,
  STAGE_L2_LOOKUP,
  STAGE_L3_ROUTE,
  STAGE_NEXTHOP,
  STAGE_SNAT,
} from '../../../datapath/spec/stages.js'
import type { Expectation, FieldChecks, PacketVector, Vector } from '../vector-format.js'
import {
  EXT_HOST,
  EXT_UPLINK_OFPORT,
  FIP6_VM1,
  FIP_VM1,
  FIP_VM2,
  NET_EXT,
  NET_PROV,
  NS_RPA,
  NS_RPB,
  NS_VM1,
  NS_VM2,
  NS_VM5,
  NS_VMB1,
  OUTSIDE_IP,
  OUTSIDE_IP6,
  P400,
  GATEWAY_1,
  GATEWAY_2,
  NET_A,
  PROV_OUTSIDE,
  PROV_UPLINK,
  PROV_UPLINK_OFPORT,
  PROV_VLAN,
  R400,
  RGW1,
  RGW2,
  RPV,
  UPSTREAM,
  VMC1,
  RPC,
  type Gw4Port,
  type Host,
} from './topologies.js'
import {
  drop,
  exact,
  fields,
  flood,
  frameOf,
  inPort,
  layersInput,
  linkLocalOf,
  output,
  punt,
  sequenceBothModes,
  stageName,
  udp6,
  vector,
  type VectorSpec,
} from './vector-kit.js'

const TOPOLOGY = 'north-south'
const ns = (v: Omit<VectorSpec, 'topology'>): PacketVector => vector({ ...v, topology: TOPOLOGY })
/** The same frame in both modes (packet_in: no replies unless given), on this topology. */
function nsBoth(v: Omit<VectorSpec, 'topology' | 'mode'>, packetIn: Partial<Expectation> = {}): PacketVector[] {
  return [
    ns({ ...v, name: `${v.name}/batch`, mode: 'batch' }),
    ns({ ...v, name: `${v.name}/packet_in`, mode: 'packet_in', expect: { replies: [], ...v.expect, ...packetIn } }),
  ]
}

const ofExt = EXT_UPLINK_OFPORT
const ofProv = PROV_UPLINK_OFPORT
const of = (h: Host): number => h.ofport as number
const DATA = Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3)
const TCP_SYN = 0x02
const TCP_SYN_ACK = 0x12

/** Inserts an 802.1Q tag (PCP 0, DEI 0) after the Ethernet header. */
const tagged = (layers: Layer[], vid = PROV_VLAN, pcp = 0): Layer[] => [layers[0] as Layer, dot1q({ vid, pcp }), ...layers.slice(1)]

type L4 = Layer[]
const udpL4 = (o: { checksum?: 'none' } = {}): L4 => [
  udp({ sport: 40000, dport: 9, ...(o.checksum ? { checksum: o.checksum } : {}) }),
  raw(DATA),
]
const tcpL4 = (flags: number): L4 => [tcp({ sport: 51000, dport: 443, seq: 1000, ack: flags === TCP_SYN ? 0 : 77, flags, window: 29200 })]
const echoL4 = (reply = false): L4 => [echo4({ reply, id: 0x2b, seq: 4, data: DATA })]

/** An IPv4 frame: MACs, addresses, TTL, then the L4 layers (id fixed so that expected frames keep it). */
function frame4(o: { srcMac: MacAddress; dstMac: MacAddress; src: Ipv4Address; dst: Ipv4Address; ttl?: number }, l4: L4): Layer[] {
  return [ethernet({ src: o.srcMac, dst: o.dstMac }), ip4({ src: o.src, dst: o.dst, ttl: o.ttl ?? 64, id: 0x3039 }), ...l4]
}
/** From the internet through the upstream gateway, on the flat uplink. */
const fromOutside = (dstMac: MacAddress, dst: Ipv4Address, l4: L4, ttl = 64): Layer[] =>
  frame4({ srcMac: UPSTREAM.mac, dstMac, src: OUTSIDE_IP, dst, ttl }, l4)
/** What router 1 delivers to `to` on its inside network (BEHAVIOUR.md 7-10: MACs rewritten, TTL - 1). */
const deliveredTo = (to: Host, src: Ipv4Address, l4: L4, via: Gw4Port = NS_RPA): Layer[] =>
  frame4({ srcMac: via.mac, dstMac: to.mac, src, dst: to.ip4, ttl: 63 }, l4)
/** From a VM inside through its router port. */
const fromInside = (h: Host, dst: Ipv4Address, l4: L4, via: Gw4Port = NS_RPA): Layer[] =>
  frame4({ srcMac: h.mac, dstMac: via.mac, src: h.ip4, dst }, l4)
/** What leaves the gateway towards `next` (an l2 miss on the external network: flood, out of the uplink). */
const leaving = (o: { srcMac: MacAddress; src: Ipv4Address; dst: Ipv4Address; next?: Host }, l4: L4): Layer[] =>
  frame4({ srcMac: o.srcMac, dstMac: (o.next ?? UPSTREAM).mac, src: o.src, dst: o.dst, ttl: 63 }, l4)

/** The IP packet of a frame (a quoted packet for an ICMP error: header + 8 bytes, RFC 792). */
const quoted = (layers: Layer[]): Uint8Array => {
  const p = frameOf(layers).subarray(14)
  return p.subarray(0, ((p[0] as number) & 0xf) * 4 + 8)
}

const arpRequest = (who: { mac: MacAddress; ip: Ipv4Address }, tpa: Ipv4Address): Layer[] => [
  ethernet({ src: who.mac, dst: BROADCAST_MAC }),
  arp({ op: ARP_REQUEST, sha: who.mac, spa: who.ip, tpa }),
]
const arpReply = (who: { mac: MacAddress; ip: Ipv4Address }, target: Ipv4Address, answer: MacAddress): Layer[] => [
  ethernet({ src: answer, dst: who.mac }),
  arp({ op: ARP_REPLY, sha: answer, spa: target, tha: who.mac, tpa: who.ip }),
]

const UNKNOWN_EXT_IP = ipv4('203.0.113.99')
const UNKNOWN_EXT_MAC = mac('fa:16:3e:ee:00:77')

const uplinkIn =
  'BEHAVIOUR.md Ways in and out, Uplinks: a frame from the uplink with its VLAN is classified to the network with no source port'
const dnatBecause =
  'BEHAVIOUR.md Ways in and out, lr_in_dnat: destination external -> internal, eth_dst := gateway MAC, then routed (TTL - 1); checksums updated (RFC 1624)'
const ptBecause =
  'BEHAVIOUR.md Ways in and out, SNAT for ports without a floating IP: on the gateway chassis the source becomes the gateway IP, its port kept when free; checksums updated; l2 miss on the external network floods'
const snatBecause =
  'BEHAVIOUR.md Ways in and out, lr_out_snat: out of the gateway port, source internal -> external, eth_src := the nat MAC; checksums updated; l2 miss on the external network floods'

function classifyVectors(): Vector[] {
  const stage = stageName(STAGE_CLASSIFY)
  const provIn = frame4({ srcMac: PROV_OUTSIDE.mac, dstMac: P400.mac, src: PROV_OUTSIDE.ip4, dst: P400.ip4 }, udpL4())
  const flatIn = fromOutside(UNKNOWN_EXT_MAC, UNKNOWN_EXT_IP, udpL4())
  const spoofed = frame4({ srcMac: NS_VM1.mac, dstMac: P400.mac, src: NS_VM1.ip4, dst: P400.ip4 }, udpL4())
  return [
    ...nsBoth({
      name: 'uplink/flat-untagged-classified',
      stage,
      intent: 'An untagged frame from the flat uplink belongs to the external network; to an unknown MAC it floods there.',
      input: layersInput(ofExt, flatIn),
      expect: flood(NET_EXT, exact(flatIn), { because: `${uplinkIn}; an unknown unicast floods (BEHAVIOUR.md 9)` }),
    }),
    ...nsBoth({
      name: 'uplink/vlan-tag-stripped',
      stage,
      intent: 'A frame tagged 101 from the VLAN uplink is classified to the provider network and delivered untagged to the local port.',
      input: layersInput(ofProv, tagged(provIn)),
      expect: output(of(P400), exact(provIn), { because: `${uplinkIn}; the tag is stripped` }),
    }),
    ns({
      name: 'uplink/vlan-priority-bits-ignored',
      stage,
      intent: 'The PCP bits of the tag do not matter: VID 101 with PCP 5 is classified and stripped.',
      input: layersInput(ofProv, tagged(provIn, PROV_VLAN, 5)),
      expect: output(of(P400), exact(provIn), { because: `${uplinkIn}: the VID selects the network` }),
    }),
    ns({
      name: 'uplink/tagged-frame-on-flat-uplink',
      stage,
      intent: "A tagged frame on the flat network's uplink matches no uplink: unknown_in_port.",
      input: layersInput(ofExt, tagged(flatIn, 7)),
      expect: drop('unknown_in_port', 'BEHAVIOUR.md Ways in and out, Uplinks: a tagged frame on a flat uplink'),
    }),
    ns({
      name: 'uplink/unknown-vid',
      stage,
      intent: 'VID 102 on the VLAN uplink, which only carries 101, is unknown_in_port.',
      input: layersInput(ofProv, tagged(provIn, 102)),
      expect: drop('unknown_in_port', 'BEHAVIOUR.md Ways in and out, Uplinks: a VID no uplink of that ofport has'),
    }),
    ns({
      name: 'uplink/untagged-on-vlan-uplink',
      stage,
      intent: 'An untagged frame on the VLAN uplink matches no uplink (none of that ofport is flat): unknown_in_port.',
      input: layersInput(ofProv, provIn),
      expect: drop('unknown_in_port', 'BEHAVIOUR.md Ways in and out, Uplinks: untagged is VID "none", which no uplink of of51 has'),
    }),
    ns({
      name: 'uplink/no-port-security',
      stage,
      intent: "A frame from the uplink is not checked by port security: even a source that is vm1's MAC and IP passes.",
      input: layersInput(ofProv, tagged(spoofed)),
      expect: output(of(P400), exact(spoofed), { because: `${uplinkIn}: no port security, as for a decapsulated frame` }),
    }),
  ]
}

function dhcpVectors(): Vector[] {
  const stage = stageName(STAGE_DHCP)
  const discover: Layer[] = [
    ethernet({ src: PROV_OUTSIDE.mac, dst: BROADCAST_MAC }),
    ip4({ src: ipv4('0.0.0.0'), dst: ipv4('255.255.255.255'), ttl: 64, id: 1 }),
    udp({ sport: 68, dport: 67 }),
    dhcp({ xid: 0x5eed, chaddr: PROV_OUTSIDE.mac, type: 'discover', padTo: 300 }),
  ]
  const flatDiscover: Layer[] = [
    ethernet({ src: UPSTREAM.mac, dst: BROADCAST_MAC }),
    ...discover.slice(1, 3),
    dhcp({ xid: 0x5eee, chaddr: UPSTREAM.mac, type: 'discover', padTo: 300 }),
  ]
  return [
    ...nsBoth({
      name: 'uplink/dhcp-discover-from-outside-not-answered',
      stage,
      intent: 'A DHCP discover from outside on the VLAN uplink is not for our DHCP server: it floods the provider network, no offer.',
      input: layersInput(ofProv, tagged(discover)),
      expect: flood(NET_PROV, exact(discover), { because: `${uplinkIn}: no DHCP for uplink frames; a broadcast floods` }),
    }),
    ns({
      name: 'uplink/dhcp-discover-flat-not-answered',
      stage,
      mode: 'packet_in',
      intent: 'A DHCP discover from the flat uplink is flooded, not answered, in packet-in mode too.',
      input: layersInput(ofExt, flatDiscover),
      expect: { ...flood(NET_EXT, exact(flatDiscover), { because: `${uplinkIn}: no DHCP for uplink frames` }), replies: [] },
    }),
  ]
}

function dispatchVectors(): Vector[] {
  const egress = stageName(STAGE_EGRESS)
  const l2 = stageName(STAGE_L2_LOOKUP)
  const toR400 = frame4({ srcMac: P400.mac, dstMac: R400.mac, src: P400.ip4, dst: R400.ip4 }, udpL4())
  const arpUnknown = arpRequest({ mac: P400.mac, ip: P400.ip4 }, ipv4('198.51.100.99'))
  const toOutside = frame4({ srcMac: P400.mac, dstMac: PROV_OUTSIDE.mac, src: P400.ip4, dst: PROV_OUTSIDE.ip4 }, udpL4())
  const vm1ToR400 = fromInside(NS_VM1, R400.ip4, udpL4())
  return [
    ...nsBoth({
      name: 'uplink/egress-vlan-pushed',
      stage: egress,
      intent: 'To a provider-network port on another chassis: out of the VLAN uplink with tag 101 pushed, never a tunnel.',
      input: layersInput(of(P400), toR400),
      expect: output(ofProv, exact(tagged(toR400)), {
        because: "BEHAVIOUR.md Ways in and out, Uplinks: egress uplink leaves through the network's uplink, 802.1Q PCP 0 DEI 0 pushed",
      }),
    }),
    ns({
      name: 'uplink/egress-routed-to-provider-remote',
      stage: egress,
      intent: 'vm1 routed onto the provider network to the remote port: routed, then out of the uplink tagged.',
      input: layersInput(of(NS_VM1), vm1ToR400),
      expect: output(
        ofProv,
        exact(tagged(frame4({ srcMac: RPV.mac, dstMac: R400.mac, src: NS_VM1.ip4, dst: R400.ip4, ttl: 63 }, udpL4()))),
        { because: "BEHAVIOUR.md 7-10 and Ways in and out, Uplinks: the out network's egress uplink port, tag pushed" },
      ),
    }),
    ns({
      name: 'uplink/egress-no-uplink',
      stage: egress,
      intent: "With the provider network's uplink removed, a port reached through it has no way out: egress_no_port.",
      remove: [PROV_UPLINK],
      input: layersInput(of(P400), toR400),
      expect: drop('egress_no_port', 'BEHAVIOUR.md Ways in and out, Uplinks: no uplink for the network'),
    }),
    ...nsBoth({
      name: 'uplink/flood-provider-network',
      stage: l2,
      intent: 'An ARP for an unknown address on the provider network floods it (the target adds the uplink, tagged).',
      input: layersInput(of(P400), arpUnknown, { pad: true }),
      expect: flood(NET_PROV, exact(arpUnknown, true), {
        because: 'BEHAVIOUR.md 9 and Ways in and out: flood includes the uplink once, tagged',
      }),
    }),
    ns({
      name: 'uplink/unknown-unicast-provider-floods',
      stage: l2,
      intent: 'A unicast to a MAC outside the cloud on the provider network floods (it may be behind the uplink).',
      input: layersInput(of(P400), toOutside),
      expect: flood(NET_PROV, exact(toOutside), { because: 'BEHAVIOUR.md 9: an unknown unicast floods' }),
    }),
  ]
}

function arpVectors(): Vector[] {
  const stage = stageName(STAGE_ARP_ND_RSP)
  const up = { mac: UPSTREAM.mac, ip: UPSTREAM.ip4 }
  const prov = { mac: PROV_OUTSIDE.mac, ip: PROV_OUTSIDE.ip4 }
  const answered = 'BEHAVIOUR.md 5 and Ways in and out: an arp_nd entry on the network answers in place'
  const tagBack = 'BEHAVIOUR.md Ways in and out, Uplinks: a reply built in place for a frame from a VLAN uplink leaves tagged'
  const gratuitous = [
    ethernet({ src: UPSTREAM.mac, dst: BROADCAST_MAC }),
    arp({ op: ARP_REQUEST, sha: UPSTREAM.mac, spa: UPSTREAM.ip4, tpa: UPSTREAM.ip4 }),
  ]
  const gratuitousReply = [
    ethernet({ src: UPSTREAM.mac, dst: BROADCAST_MAC }),
    arp({ op: ARP_REPLY, sha: UPSTREAM.mac, spa: UPSTREAM.ip4, tha: BROADCAST_MAC, tpa: UPSTREAM.ip4 }),
  ]
  const replyTo = (dst: MacAddress, tpa: Ipv4Address): Layer[] => [
    ethernet({ src: UPSTREAM.mac, dst }),
    arp({ op: ARP_REPLY, sha: UPSTREAM.mac, spa: UPSTREAM.ip4, tha: dst, tpa }),
  ]
  const provReplyToRouter = [
    ethernet({ src: PROV_OUTSIDE.mac, dst: RPV.mac }),
    arp({ op: ARP_REPLY, sha: PROV_OUTSIDE.mac, spa: PROV_OUTSIDE.ip4, tha: RPV.mac, tpa: RPV.ip4 }),
  ]
  const vm2ReplyToRouter = [
    ethernet({ src: NS_VM2.mac, dst: NS_RPA.mac }),
    arp({ op: ARP_REPLY, sha: NS_VM2.mac, spa: NS_VM2.ip4, tha: NS_RPA.mac, tpa: NS_RPA.ip4 }),
  ]
  const upLl = linkLocalOf(UPSTREAM.mac)
  const na = (dst: MacAddress, ipDst: ReturnType<typeof ipv6>, solicited: boolean): Layer[] => [
    ethernet({ src: UPSTREAM.mac, dst }),
    ip6({ src: upLl, dst: ipDst, hopLimit: 255 }),
    ndNa({ target: upLl, solicited, override: true, tll: UPSTREAM.mac }),
  ]
  const naToRouter = na(RGW1.mac, linkLocalOf(RGW1.mac), true)
  const naUnsolicited = na(mac('33:33:00:00:00:01'), ipv6('ff02::1'), false)
  const neighbour =
    'BEHAVIOUR.md Ways in and out, Next hops: an ARP reply / NA to a router_port or nat MAC on the network is punted punt_neighbour (batch and packet-in)'
  return [
    ...nsBoth({
      name: 'arp/gateway-ip-from-outside',
      stage,
      intent:
        "The upstream router asks for router 1's gateway IP on the gateway chassis: answered with the gateway MAC out of the flat uplink.",
      input: layersInput(ofExt, arpRequest(up, RGW1.ip4), { pad: true }),
      expect: inPort(ofExt, exact(arpReply(up, RGW1.ip4, RGW1.mac), true), {
        because: `${answered}; the gateway chassis has the gateway IP's arp_nd`,
      }),
    }),
    ...nsBoth({
      name: 'arp/floating-ip-from-outside',
      stage,
      intent: "ARP for vm1's floating IP is answered with the floating IP's own MAC, on the chassis that hosts vm1.",
      input: layersInput(ofExt, arpRequest(up, FIP_VM1.external), { pad: true }),
      expect: inPort(ofExt, exact(arpReply(up, FIP_VM1.external, FIP_VM1.mac), true), {
        because: `${answered}: the nat entry's arp_nd (the floating IP port's MAC)`,
      }),
    }),
    ns({
      name: 'arp/second-floating-ip-from-outside',
      stage,
      intent: "vm2's floating IP answers with its own MAC, not vm1's.",
      input: layersInput(ofExt, arpRequest(up, FIP_VM2.external), { pad: true }),
      expect: inPort(ofExt, exact(arpReply(up, FIP_VM2.external, FIP_VM2.mac), true), { because: answered }),
    }),
    ns({
      name: 'arp/unknown-external-ip-floods',
      stage,
      intent: 'ARP for an external address nobody here owns floods the external network.',
      input: layersInput(ofExt, arpRequest(up, UNKNOWN_EXT_IP), { pad: true }),
      expect: flood(NET_EXT, exact(arpRequest(up, UNKNOWN_EXT_IP), true), {
        because: 'BEHAVIOUR.md 5: no entry continues; 9: broadcast floods',
      }),
    }),
    ns({
      name: 'arp/gateway-elsewhere-not-answered',
      stage,
      intent: "Router 2's gateway chassis is another one: its gateway IP is not answered here, the request floods.",
      input: layersInput(ofExt, arpRequest(up, RGW2.ip4), { pad: true }),
      expect: flood(NET_EXT, exact(arpRequest(up, RGW2.ip4), true), {
        because: 'BEHAVIOUR.md Ways in and out, Router gateway: only the gateway chassis answers ARP for the gateway IP',
      }),
    }),
    ...nsBoth({
      name: 'arp/router-ip-on-vlan-uplink-tagged-back',
      stage,
      intent: "A host outside on VLAN 101 asks for router 1's address on the provider network: the reply goes back tagged 101.",
      input: layersInput(ofProv, tagged(arpRequest(prov, RPV.ip4))),
      expect: inPort(ofProv, exact(tagged(arpReply(prov, RPV.ip4, RPV.mac))), { because: `${answered}; ${tagBack}` }),
    }),
    ns({
      name: 'arp/local-port-on-vlan-uplink-tagged-back',
      stage,
      intent: 'ARP from outside for the local provider-network port is answered in place, tagged.',
      input: layersInput(ofProv, tagged(arpRequest(prov, P400.ip4))),
      expect: inPort(ofProv, exact(tagged(arpReply(prov, P400.ip4, P400.mac))), { because: tagBack }),
    }),
    ns({
      name: 'arp/remote-port-on-vlan-uplink-tagged-back',
      stage,
      intent: 'ARP from outside for the provider-network port on another chassis is answered here too, tagged.',
      input: layersInput(ofProv, tagged(arpRequest(prov, R400.ip4))),
      expect: inPort(ofProv, exact(tagged(arpReply(prov, R400.ip4, R400.mac))), { because: tagBack }),
    }),
    ...nsBoth({
      name: 'neighbour/arp-reply-to-gateway-mac-punted',
      stage,
      intent: "The upstream router's ARP reply to the gateway MAC is punted for learning.",
      input: layersInput(ofExt, replyTo(RGW1.mac, RGW1.ip4), { pad: true }),
      expect: punt('punt_neighbour', neighbour),
    }),
    ...nsBoth({
      name: 'neighbour/arp-reply-to-floating-ip-mac-punted',
      stage,
      intent:
        "The upstream router's ARP reply to vm1's floating IP MAC (the slow path asked from the floating IP off the gateway chassis) is punted for learning.",
      input: layersInput(ofExt, replyTo(FIP_VM1.mac, FIP_VM1.external), { pad: true }),
      expect: punt(
        'punt_neighbour',
        'BEHAVIOUR.md Ways in and out, Next hops: an ARP reply / NA to a router_port or nat MAC on the network is punted punt_neighbour',
      ),
    }),
    ns({
      name: 'neighbour/arp-reply-tagged-to-router-mac-punted',
      stage,
      intent: "An ARP reply on the VLAN uplink to router 1's provider-network MAC is punted too.",
      input: layersInput(ofProv, tagged(provReplyToRouter)),
      expect: punt('punt_neighbour', neighbour),
    }),
    ns({
      name: 'neighbour/arp-reply-inside-punted',
      stage,
      intent: "An ARP reply from vm2 to net-a's router MAC is punted (an answer to the router's own request).",
      input: layersInput(of(NS_VM2), vm2ReplyToRouter, { pad: true }),
      expect: punt('punt_neighbour', neighbour),
    }),
    ...nsBoth({
      name: 'neighbour/na-to-gateway-mac-punted',
      stage,
      intent: 'A solicited neighbour advertisement to the gateway MAC is punted for learning.',
      input: layersInput(ofExt, naToRouter),
      expect: punt('punt_neighbour', neighbour),
    }),
    ns({
      name: 'neighbour/unsolicited-na-floods',
      stage,
      intent: 'An unsolicited NA to all-nodes is not addressed to a router MAC: it floods, not punted.',
      input: layersInput(ofExt, naUnsolicited),
      expect: flood(NET_EXT, exact(naUnsolicited), {
        because: 'BEHAVIOUR.md 5: unsolicited NA floods; punt_neighbour needs a router_port eth_dst',
      }),
    }),
    ...nsBoth({
      name: 'neighbour/gratuitous-arp-not-punted',
      stage,
      intent: 'A gratuitous ARP request from upstream is not learned: it floods.',
      input: layersInput(ofExt, gratuitous, { pad: true }),
      expect: flood(NET_EXT, exact(gratuitous, true), {
        because: 'BEHAVIOUR.md Ways in and out, Next hops: a gratuitous ARP is not learned; broadcast floods',
      }),
    }),
    ns({
      name: 'neighbour/gratuitous-arp-reply-not-punted',
      stage,
      intent: 'A gratuitous ARP reply to broadcast is not learned either: it floods.',
      input: layersInput(ofExt, gratuitousReply, { pad: true }),
      expect: flood(NET_EXT, exact(gratuitousReply, true), {
        because: 'BEHAVIOUR.md Ways in and out, Next hops: only a reply to a router_port MAC is punted',
      }),
    }),
  ]
}

function dnatVectors(): Vector[] {
  const stage = stageName(STAGE_DNAT)
  const inTo = (l4: L4, dstMac: MacAddress = FIP_VM1.mac, dst: Ipv4Address = FIP_VM1.external) => fromOutside(dstMac, dst, l4)
  const delivered = (l4: L4, to: Host = NS_VM1) => deliveredTo(to, OUTSIDE_IP, l4)
  const toVm1 = (l4: L4): Expectation => output(of(NS_VM1), exact(delivered(l4)), { because: dnatBecause })
  const notFip = inTo(udpL4(), FIP_VM1.mac, UNKNOWN_EXT_IP)
  // An ICMP error from the upstream router about a packet vm1 sent out through SNAT (BEHAVIOUR.md: the quoted
  // source is rewritten external -> internal; quoted IP, quoted UDP and ICMP checksums updated).
  const sentOut = (src: Ipv4Address) => frame4({ srcMac: FIP_VM1.mac, dstMac: UPSTREAM.mac, src, dst: OUTSIDE_IP, ttl: 63 }, udpL4())
  const mtu = concat(u16(0), u16(1400))
  const errIn: Layer[] = [
    ethernet({ src: UPSTREAM.mac, dst: FIP_VM1.mac }),
    ip4({ src: UPSTREAM.ip4, dst: FIP_VM1.external, ttl: 64, id: 0x99 }),
    icmp4({ type: 3, code: 4, rest: mtu, payload: quoted(sentOut(FIP_VM1.external)) }),
  ]
  const errDelivered: Layer[] = [
    ethernet({ src: NS_RPA.mac, dst: NS_VM1.mac }),
    ip4({ src: UPSTREAM.ip4, dst: NS_VM1.ip4, ttl: 63, id: 0x99 }),
    icmp4({ type: 3, code: 4, rest: mtu, payload: quoted(sentOut(NS_VM1.ip4)) }),
  ]
  const hairpin = (from: Host, fipSrc: Ipv4Address | undefined, via: Gw4Port = NS_RPA): [Layer[], Layer[]] => [
    fromInside(from, FIP_VM1.external, udpL4(), via),
    deliveredTo(NS_VM1, fipSrc ?? from.ip4, udpL4()),
  ]
  const [hpVm2, hpVm2Out] = hairpin(NS_VM2, FIP_VM2.external)
  const [hpVm5, hpVm5Out] = hairpin(NS_VM5, undefined)
  const [hpVmb1, hpVmb1Out] = hairpin(NS_VMB1, undefined, NS_RPB)
  const vm1ToVm2Fip = fromInside(NS_VM1, FIP_VM2.external, udpL4())
  const hairpinBecause =
    'BEHAVIOUR.md Ways in and out, lr_in_dnat Hairpin: from inside, destination -> internal, and a source with a floating IP -> its external IP'
  return [
    ...nsBoth({
      name: 'dnat/icmp-echo-to-floating-ip',
      stage,
      intent:
        "A ping from the internet to vm1's floating IP reaches vm1 at its fixed IP (the ICMP checksum has no pseudo-header: unchanged).",
      input: layersInput(ofExt, inTo(echoL4())),
      expect: toVm1(echoL4()),
    }),
    ...nsBoth({
      name: 'dnat/tcp-to-floating-ip',
      stage,
      intent: "A TCP SYN to vm1's floating IP reaches vm1; IP and TCP (pseudo-header) checksums updated.",
      input: layersInput(ofExt, inTo(tcpL4(TCP_SYN))),
      expect: toVm1(tcpL4(TCP_SYN)),
    }),
    ns({
      name: 'dnat/udp-to-floating-ip',
      stage,
      intent: "UDP to vm1's floating IP reaches vm1; the UDP checksum is updated for the new destination.",
      input: layersInput(ofExt, inTo(udpL4())),
      expect: toVm1(udpL4()),
    }),
    ns({
      name: 'dnat/udp-zero-checksum-stays-zero',
      stage,
      intent: 'A UDP datagram without a checksum (0) keeps 0 after DNAT.',
      input: layersInput(ofExt, inTo(udpL4({ checksum: 'none' }))),
      expect: output(of(NS_VM1), exact(delivered(udpL4({ checksum: 'none' }))), {
        because: `${dnatBecause}; RFC 768: zero means no checksum`,
      }),
    }),
    ns({
      name: 'dnat/second-floating-ip-to-vm2',
      stage,
      intent: "vm2's floating IP maps to vm2.",
      input: layersInput(ofExt, inTo(udpL4(), FIP_VM2.mac, FIP_VM2.external)),
      expect: output(of(NS_VM2), exact(delivered(udpL4(), NS_VM2)), { because: dnatBecause }),
    }),
    ns({
      name: 'dnat/floating-ip-via-gateway-mac',
      stage,
      intent: 'An upstream that sends the floating IP to the gateway MAC (it enters router 1 as a router port MAC) is translated too.',
      input: layersInput(ofExt, inTo(udpL4(), RGW1.mac)),
      expect: toVm1(udpL4()),
    }),
    ns({
      name: 'dnat/other-floating-ip-through-nat-mac',
      stage,
      intent:
        "A floating IP's MAC admits only that floating IP: vm2's floating IP sent to vm1's floating MAC is switched unchanged (flood).",
      input: layersInput(ofExt, inTo(udpL4(), FIP_VM1.mac, FIP_VM2.external)),
      expect: flood(NET_EXT, exact(inTo(udpL4(), FIP_VM1.mac, FIP_VM2.external)), {
        because:
          "BEHAVIOUR.md Ways in and out, lr_in_dnat: through a nat MAC, only that entry's external_ip is translated; anything else continues unchanged and enters no router",
      }),
    }),
    ns({
      name: 'dnat/nat-mac-not-floating-ip-floods',
      stage,
      intent:
        "A packet to a floating IP's MAC for an address that is none of router 1's floating IPs is switched unchanged (l2 miss: flood).",
      input: layersInput(ofExt, notFip),
      expect: flood(NET_EXT, exact(notFip), {
        because: 'BEHAVIOUR.md Ways in and out, lr_in_dnat: continues unchanged and enters no router',
      }),
    }),
    ...nsBoth({
      name: 'dnat/icmp-error-from-outside',
      stage,
      intent:
        "Fragmentation needed from the upstream about vm1's translated packet reaches vm1 with the quoted source back to vm1's fixed IP.",
      input: layersInput(ofExt, errIn),
      expect: output(of(NS_VM1), exact(errDelivered), {
        because:
          'BEHAVIOUR.md Ways in and out: an error entering through DNAT gets its quoted source external -> internal; quoted IPv4, quoted UDP and ICMP checksums updated',
      }),
    }),
    ...nsBoth({
      name: 'dnat/ipv6-udp-to-floating-ip',
      stage,
      intent: "UDP to vm1's IPv6 floating IP reaches vm1 at its fixed IPv6 address; hop limit 63, UDP checksum (pseudo-header) updated.",
      input: layersInput(ofExt, udp6({ srcMac: UPSTREAM.mac, dstMac: FIP6_VM1.mac, src: OUTSIDE_IP6, dst: FIP6_VM1.external })),
      expect: output(
        of(NS_VM1),
        exact(udp6({ srcMac: NS_RPA.mac, dstMac: NS_VM1.mac, src: OUTSIDE_IP6, dst: FIP6_VM1.internal, hopLimit: 63 })),
        { because: dnatBecause },
      ),
    }),
    ns({
      name: 'hairpin/vm2-to-vm1-floating-ip',
      stage,
      intent: "vm2 (with a floating IP) reaches vm1 by vm1's floating IP: destination and source both translated.",
      input: layersInput(of(NS_VM2), hpVm2),
      expect: output(of(NS_VM1), exact(hpVm2Out), { because: hairpinBecause }),
    }),
    ns({
      name: 'hairpin/vm1-to-vm2-floating-ip',
      stage,
      intent: "vm1 reaches vm2 by vm2's floating IP: vm2 sees vm1's floating IP as the source.",
      input: layersInput(of(NS_VM1), vm1ToVm2Fip),
      expect: output(of(NS_VM2), exact(deliveredTo(NS_VM2, FIP_VM1.external, udpL4())), { because: hairpinBecause }),
    }),
    ns({
      name: 'hairpin/no-floating-ip-source-untranslated',
      stage,
      intent: "vm5 has no floating IP: only the destination is translated, vm1 sees vm5's fixed IP.",
      input: layersInput(of(NS_VM5), hpVm5),
      expect: output(of(NS_VM1), exact(hpVm5Out), {
        because: 'BEHAVIOUR.md Ways in and out, Hairpin: a source without a floating IP is not translated',
      }),
    }),
    ns({
      name: 'hairpin/from-other-inside-network',
      stage,
      intent: 'vmb1 on net-b reaches vm1 by its floating IP through router 1: destination translated, routed onto net-a.',
      input: layersInput(of(NS_VMB1), hpVmb1),
      expect: output(of(NS_VM1), exact(hpVmb1Out), { because: `${dnatBecause}; routed from net-b` }),
    }),
  ]
}

function snatVectors(): Vector[] {
  const stage = stageName(STAGE_SNAT)
  const out = (h: Host, l4: L4) => fromInside(h, OUTSIDE_IP, l4)
  const sn = (l4: L4, fip = FIP_VM1) => leaving({ srcMac: fip.mac, src: fip.external, dst: OUTSIDE_IP }, l4)
  const snatted = (l4: L4, fip = FIP_VM1): Expectation => flood(NET_EXT, exact(sn(l4, fip)), { because: snatBecause })
  // vm1 answers a datagram from the internet that DNAT delivered (192.0.2.50 -> 10.0.0.5) with port unreachable.
  const received = (dst: Ipv4Address) => frame4({ srcMac: NS_RPA.mac, dstMac: NS_VM1.mac, src: OUTSIDE_IP, dst, ttl: 63 }, udpL4())
  const unreach = (q: Ipv4Address): L4 => [icmp4({ type: 3, code: 3, rest: new Uint8Array(4), payload: quoted(received(q)) })]
  const errOut = frame4({ srcMac: NS_VM1.mac, dstMac: NS_RPA.mac, src: NS_VM1.ip4, dst: OUTSIDE_IP }, unreach(NS_VM1.ip4))
  const errLeaving = leaving({ srcMac: FIP_VM1.mac, src: FIP_VM1.external, dst: OUTSIDE_IP }, unreach(FIP_VM1.external))
  const vmc1Out = fromInside(VMC1, OUTSIDE_IP, udpL4(), RPC)
  const toProvOutside = fromInside(NS_VM1, PROV_OUTSIDE.ip4, udpL4())
  return [
    ...nsBoth({
      name: 'snat/echo-reply-from-vm1',
      stage,
      intent: "vm1's echo reply to the internet leaves from its floating IP and floating MAC to the upstream MAC.",
      input: layersInput(of(NS_VM1), out(NS_VM1, echoL4(true))),
      expect: snatted(echoL4(true)),
    }),
    ...nsBoth({
      name: 'snat/tcp-syn-ack-from-vm1',
      stage,
      intent: "vm1's TCP SYN+ACK leaves from the floating IP; the TCP checksum is updated for the new source.",
      input: layersInput(of(NS_VM1), out(NS_VM1, tcpL4(TCP_SYN_ACK))),
      expect: snatted(tcpL4(TCP_SYN_ACK)),
    }),
    ns({
      name: 'snat/udp-from-vm1',
      stage,
      intent: 'UDP from vm1 to the internet leaves from the floating IP, UDP checksum updated.',
      input: layersInput(of(NS_VM1), out(NS_VM1, udpL4())),
      expect: snatted(udpL4()),
    }),
    ns({
      name: 'snat/udp-zero-checksum-stays-zero',
      stage,
      intent: 'A UDP datagram without a checksum keeps 0 after SNAT.',
      input: layersInput(of(NS_VM1), out(NS_VM1, udpL4({ checksum: 'none' }))),
      expect: snatted(udpL4({ checksum: 'none' })),
    }),
    ns({
      name: 'snat/vm2-own-floating-ip',
      stage,
      intent: "vm2 leaves from its own floating IP and MAC, not vm1's.",
      input: layersInput(of(NS_VM2), out(NS_VM2, udpL4())),
      expect: snatted(udpL4(), FIP_VM2),
    }),
    ns({
      name: 'snat/to-external-subnet-host',
      stage,
      intent: 'To a host on the external subnet itself (connected route, its own next hop): translated the same way.',
      input: layersInput(of(NS_VM1), fromInside(NS_VM1, EXT_HOST.ip4, udpL4())),
      expect: flood(NET_EXT, exact(leaving({ srcMac: FIP_VM1.mac, src: FIP_VM1.external, dst: EXT_HOST.ip4, next: EXT_HOST }, udpL4())), {
        because: snatBecause,
      }),
    }),
    ...nsBoth({
      name: 'snat/ipv6-udp-from-vm1',
      stage,
      intent: "vm1's IPv6 UDP to the internet leaves from its IPv6 floating IP and that floating IP's MAC, via the IPv6 default route.",
      input: layersInput(of(NS_VM1), udp6({ srcMac: NS_VM1.mac, dstMac: NS_RPA.mac, src: FIP6_VM1.internal, dst: OUTSIDE_IP6 })),
      expect: flood(
        NET_EXT,
        exact(udp6({ srcMac: FIP6_VM1.mac, dstMac: UPSTREAM.mac, src: FIP6_VM1.external, dst: OUTSIDE_IP6, hopLimit: 63 })),
        { because: snatBecause },
      ),
    }),
    ...nsBoth({
      name: 'snat/no-floating-ip-snat-on',
      stage,
      intent: 'vm5 has no floating IP and router 1 (local gateway) has snat on: it leaves from the gateway IP, its source port kept.',
      input: layersInput(of(NS_VM5), out(NS_VM5, udpL4())),
      expect: flood(NET_EXT, exact(leaving({ srcMac: RGW1.mac, src: RGW1.ip4, dst: OUTSIDE_IP }, udpL4())), { because: ptBecause }),
    }),
    ...nsBoth({
      name: 'snat/snat-off-router-untranslated',
      stage,
      entries: [{ ...GATEWAY_2, local: true }],
      intent: "Router 2 has snat off (its gateway chassis here): vmc1 leaves through router 2's gateway with its fixed IP.",
      input: layersInput(of(VMC1), vmc1Out),
      expect: flood(NET_EXT, exact(leaving({ srcMac: RGW2.mac, src: VMC1.ip4, dst: OUTSIDE_IP }, udpL4())), {
        because: 'BEHAVIOUR.md Ways in and out, lr_out_snat: snat false leaves untranslated on the gateway chassis',
      }),
    }),
    ...nsBoth({
      name: 'snat/snat-off-elsewhere-no-redirect',
      stage: stageName(STAGE_L3_ROUTE),
      intent:
        "Router 2 has snat off and its gateway chassis is another, unknown one: vmc1's packet out of the gateway is dropped (only floating IPs leave the gateway port off the gateway chassis).",
      input: layersInput(of(VMC1), vmc1Out),
      expect: drop(
        'gateway_elsewhere',
        'BEHAVIOUR.md Ways in and out, SNAT: elsewhere, no floating IP and no redirect: drop gateway_elsewhere',
      ),
    }),
    ns({
      name: 'snat/not-through-gateway-port-untranslated',
      stage,
      intent: 'Routed onto the provider network (not the gateway port), vm1 keeps its fixed IP.',
      input: layersInput(of(NS_VM1), toProvOutside),
      expect: flood(
        NET_PROV,
        exact(frame4({ srcMac: RPV.mac, dstMac: PROV_OUTSIDE.mac, src: NS_VM1.ip4, dst: PROV_OUTSIDE.ip4, ttl: 63 }, udpL4())),
        { because: 'BEHAVIOUR.md Ways in and out, lr_out_snat: only a route out of router_gateway.port translates; l2 miss floods' },
      ),
    }),
    ...nsBoth({
      name: 'snat/icmp-error-from-vm1',
      stage,
      intent:
        "vm1's port unreachable to the internet leaves from the floating IP with the quoted destination rewritten to the floating IP.",
      input: layersInput(of(NS_VM1), errOut),
      expect: flood(NET_EXT, exact(errLeaving), {
        because:
          'BEHAVIOUR.md Ways in and out: an error leaving through SNAT gets its quoted destination internal -> external; quoted IPv4, quoted UDP and ICMP checksums updated',
      }),
    }),
  ]
}

function routeVectors(): Vector[] {
  const stage = stageName(STAGE_L3_ROUTE)
  const ping = (o: { srcMac: MacAddress; dstMac: MacAddress; src: Ipv4Address; dst: Ipv4Address }) => frame4(o, echoL4())
  const pong = (o: { srcMac: MacAddress; dstMac: MacAddress; src: Ipv4Address; dst: Ipv4Address }) =>
    frame4({ srcMac: o.dstMac, dstMac: o.srcMac, src: o.dst, dst: o.src }, echoL4(true))
  const gwPing = { srcMac: UPSTREAM.mac, dstMac: RGW1.mac, src: OUTSIDE_IP, dst: RGW1.ip4 }
  const provPing = { srcMac: PROV_OUTSIDE.mac, dstMac: RPV.mac, src: PROV_OUTSIDE.ip4, dst: RPV.ip4 }
  const ttl1In = fromOutside(FIP_VM1.mac, FIP_VM1.external, udpL4(), 1)
  const provTtl1 = frame4({ srcMac: PROV_OUTSIDE.mac, dstMac: RPV.mac, src: PROV_OUTSIDE.ip4, dst: NS_VM1.ip4, ttl: 1 }, udpL4())
  const provToVm1 = frame4({ srcMac: PROV_OUTSIDE.mac, dstMac: RPV.mac, src: PROV_OUTSIDE.ip4, dst: NS_VM1.ip4 }, udpL4())
  const timeExceeded = (o: { original: Layer[]; from: Gw4Port; to: { mac: MacAddress; ip: Ipv4Address }; vlan?: number }): FieldChecks => ({
    vlan_vid: o.vlan ?? null,
    eth_src: o.from.mac.toString(),
    eth_dst: o.to.mac.toString(),
    ip_src: o.from.ip4.toString(),
    ip_dst: o.to.ip.toString(),
    ttl: 64,
    ip_checksum_ok: true,
    icmp_type: 11,
    icmp_code: 0,
    icmp_checksum_ok: true,
    icmp_payload: hexOf(quoted(o.original)),
  })
  const expired = 'BEHAVIOUR.md 7: TTL <= 1 -> punt punt_icmp_error; packet-in: time exceeded from the ingress router port'
  const toRouter2 = fromOutside(RGW2.mac, VMC1.ip4, udpL4())
  const elsewhere =
    'BEHAVIOUR.md Ways in and out, Router gateway: off the gateway chassis a frame from an uplink to the gateway MAC is dropped gateway_elsewhere'
  return [
    ...nsBoth({
      name: 'gateway/echo-to-gateway-ip',
      stage,
      intent: "A ping from the internet to router 1's gateway IP is for the router (not translated): answered in place.",
      input: layersInput(ofExt, ping(gwPing)),
      expect: inPort(ofExt, exact(pong(gwPing)), {
        because: 'BEHAVIOUR.md 7 and Ways in and out: router addresses are not translated; echo answered in place',
      }),
    }),
    ns({
      name: 'gateway/udp-to-gateway-ip-punted',
      stage,
      intent: 'Other traffic to the gateway IP is router-local: punted.',
      input: layersInput(ofExt, fromOutside(RGW1.mac, RGW1.ip4, udpL4())),
      expect: punt('punt_router_local', 'BEHAVIOUR.md 7: anything else to a router address'),
    }),
    ...nsBoth({
      name: 'gateway/echo-to-router-on-vlan-uplink-tagged-back',
      stage,
      intent: "A ping from outside on VLAN 101 to router 1's provider-network address is answered tagged 101.",
      input: layersInput(ofProv, tagged(ping(provPing))),
      expect: inPort(ofProv, exact(tagged(pong(provPing))), {
        because: 'BEHAVIOUR.md Ways in and out, Uplinks: an echo reply built in place for a frame from a VLAN uplink leaves tagged',
      }),
    }),
    ns({
      name: 'gateway/provider-network-routed-inside',
      stage,
      intent: 'From outside on the provider network through router 1 to vm1: tag stripped, routed, untranslated.',
      input: layersInput(ofProv, tagged(provToVm1)),
      expect: output(of(NS_VM1), exact(deliveredTo(NS_VM1, PROV_OUTSIDE.ip4, udpL4())), { because: `${uplinkIn}; BEHAVIOUR.md 7-10` }),
    }),
    ...nsBoth(
      {
        name: 'gateway/ttl-expired-on-the-way-in',
        stage,
        intent: "TTL 1 to vm1's floating IP expires at router 1: time exceeded from the gateway IP, quoting the packet as it was sent.",
        input: layersInput(ofExt, ttl1In),
        expect: punt('punt_icmp_error', expired),
      },
      {
        replies: [
          { ofport: ofExt, frame: fields(timeExceeded({ original: ttl1In, from: RGW1, to: { mac: UPSTREAM.mac, ip: OUTSIDE_IP } })) },
        ],
      },
    ),
    ...nsBoth(
      {
        name: 'gateway/ttl-expired-from-vlan-uplink-tagged-reply',
        stage,
        intent: "TTL 1 from outside on VLAN 101: the slow path's time exceeded goes back out of the uplink tagged 101.",
        input: layersInput(ofProv, tagged(provTtl1)),
        expect: punt('punt_icmp_error', expired),
      },
      {
        replies: [
          {
            ofport: ofProv,
            frame: fields(
              timeExceeded({ original: provTtl1, from: RPV, to: { mac: PROV_OUTSIDE.mac, ip: PROV_OUTSIDE.ip4 }, vlan: PROV_VLAN }),
            ),
          },
        ],
      },
    ),
    ...nsBoth({
      name: 'gateway/elsewhere-dropped',
      stage,
      intent: "A frame from the uplink to router 2's gateway MAC is dropped here: router 2's gateway chassis is another one.",
      input: layersInput(ofExt, toRouter2),
      expect: drop('gateway_elsewhere', elsewhere),
    }),
    ns({
      name: 'gateway/elsewhere-echo-dropped',
      stage,
      intent: "Even a ping to router 2's gateway IP is not answered here: it never enters router 2.",
      input: layersInput(ofExt, ping({ srcMac: UPSTREAM.mac, dstMac: RGW2.mac, src: OUTSIDE_IP, dst: RGW2.ip4 })),
      expect: drop('gateway_elsewhere', elsewhere),
    }),
  ]
}

/** Disassociating vm1's floating IP (nat + arp_nd removed) and associating it with vm5 instead. */
function associationVectors(): Vector[] {
  const gone: Entry[] = [FIP_VM1.nat, FIP_VM1.arp]
  const toVm5: NatEntry = { ...FIP_VM1.nat, internal_ip: NS_VM5.ip4.toString() }
  const up = { mac: UPSTREAM.mac, ip: UPSTREAM.ip4 }
  const inFip = fromOutside(FIP_VM1.mac, FIP_VM1.external, udpL4())
  const outOf = (h: Host) => fromInside(h, OUTSIDE_IP, udpL4())
  const removed = "BEHAVIOUR.md Ways in and out: with the nat and arp_nd entries removed the floating IP is nobody's"
  return [
    ns({
      name: 'fip-disassociate/arp-not-answered',
      stage: stageName(STAGE_ARP_ND_RSP),
      remove: gone,
      intent: 'After disassociation the floating IP is no longer answered: the ARP floods.',
      input: layersInput(ofExt, arpRequest(up, FIP_VM1.external), { pad: true }),
      expect: flood(NET_EXT, exact(arpRequest(up, FIP_VM1.external), true), { because: removed }),
    }),
    ns({
      name: 'fip-disassociate/not-translated',
      stage: stageName(STAGE_DNAT),
      remove: gone,
      intent: 'After disassociation a packet to the old floating MAC and IP is switched unchanged (flood), not delivered to vm1.',
      input: layersInput(ofExt, inFip),
      expect: flood(NET_EXT, exact(inFip), { because: `${removed}: the MAC enters no router` }),
    }),
    ns({
      name: 'fip-disassociate/via-gateway-mac-unresolved',
      stage: stageName(STAGE_NEXTHOP),
      remove: gone,
      intent:
        'After disassociation the old floating IP sent to the gateway MAC is routed back onto the external subnet, where it has no neighbour entry.',
      input: layersInput(ofExt, fromOutside(RGW1.mac, FIP_VM1.external, udpL4())),
      expect: punt('punt_nexthop_miss', `${removed}: connected route of the external subnet, no nexthop entry`),
    }),
    ns({
      name: 'fip-disassociate/vm1-leaves-no-snat',
      stage: stageName(STAGE_SNAT),
      remove: gone,
      intent: 'After disassociation vm1 has no floating IP: it leaves through the snat gateway from the gateway IP (port translation).',
      input: layersInput(of(NS_VM1), outOf(NS_VM1)),
      expect: flood(NET_EXT, exact(leaving({ srcMac: RGW1.mac, src: RGW1.ip4, dst: OUTSIDE_IP }, udpL4())), {
        because: `${removed}; ${ptBecause}`,
      }),
    }),
    ns({
      name: 'fip-reassociate/delivered-to-vm5',
      stage: stageName(STAGE_DNAT),
      entries: [toVm5],
      intent: 'The floating IP moved to vm5: inbound traffic now reaches vm5.',
      input: layersInput(ofExt, inFip),
      expect: output(of(NS_VM5), exact(deliveredTo(NS_VM5, OUTSIDE_IP, udpL4())), { because: dnatBecause }),
    }),
    ns({
      name: 'fip-reassociate/vm5-leaves-from-floating-ip',
      stage: stageName(STAGE_SNAT),
      entries: [toVm5],
      intent: 'After the move vm5 leaves from the floating IP and its MAC.',
      input: layersInput(of(NS_VM5), outOf(NS_VM5)),
      expect: flood(NET_EXT, exact(leaving({ srcMac: FIP_VM1.mac, src: FIP_VM1.external, dst: OUTSIDE_IP }, udpL4())), {
        because: snatBecause,
      }),
    }),
    ns({
      name: 'fip-reassociate/vm1-no-longer-translated',
      stage: stageName(STAGE_SNAT),
      entries: [toVm5],
      intent: 'After the move vm1 has no floating IP any more: it leaves from the gateway IP (port translation).',
      input: layersInput(of(NS_VM1), outOf(NS_VM1)),
      expect: flood(NET_EXT, exact(leaving({ srcMac: RGW1.mac, src: RGW1.ip4, dst: OUTSIDE_IP }, udpL4())), {
        because: `BEHAVIOUR.md Ways in and out: vm1's fixed IP is no nat entry's internal_ip; ${ptBecause}`,
      }),
    }),
    ns({
      name: 'fip-reassociate/arp-still-answered',
      stage: stageName(STAGE_ARP_ND_RSP),
      entries: [toVm5],
      intent: 'The floating IP keeps its MAC when it moves: ARP is still answered with it.',
      input: layersInput(ofExt, arpRequest(up, FIP_VM1.external), { pad: true }),
      expect: inPort(ofExt, exact(arpReply(up, FIP_VM1.external, FIP_VM1.mac), true), {
        because: 'BEHAVIOUR.md Ways in and out: the arp_nd entry of the floating IP stays',
      }),
    }),
  ]
}

/** SNAT with port translation on router 1's gateway chassis (BEHAVIOUR.md "SNAT for ports without a floating IP"). */
function portTranslationVectors(): Vector[] {
  const snatStage = stageName(STAGE_SNAT)
  const dnatStage = stageName(STAGE_DNAT)
  const routeStage = stageName(STAGE_L3_ROUTE)
  const back =
    'BEHAVIOUR.md Ways in and out, SNAT for ports without a floating IP: lr_in_dnat, a reply to the gateway IP of a recorded connection gets the original source and port back, then is routed inside'
  const udpTo = (sport: number, dport: number): L4 => [udp({ sport, dport }), raw(DATA)]
  const gwOut = (l4: L4): Layer[] => leaving({ srcMac: RGW1.mac, src: RGW1.ip4, dst: OUTSIDE_IP }, l4)
  const toGw = (l4: L4): Layer[] => fromOutside(RGW1.mac, RGW1.ip4, l4)
  const vmb1Out = (l4: L4): Layer[] => fromInside(NS_VMB1, OUTSIDE_IP, l4, NS_RPB)
  const REDIRECT = '192.168.100.9'
  const elsewhere = (redirect?: string): Entry => ({
    stage: 'router_gateway',
    router: GATEWAY_1.router,
    port: GATEWAY_1.port,
    snat: true,
    local: false,
    ...(redirect !== undefined ? { redirect } : {}),
  })
  const vm5Udp = fromInside(NS_VM5, OUTSIDE_IP, udpL4())
  const sentUdp = gwOut(udpL4())
  const unreach = (about: Layer[]): L4 => [icmp4({ type: 3, code: 3, rest: new Uint8Array(4), payload: quoted(about) })]
  // the packet as vm5 sent it after routing (TTL 63), as the translated-back quote shows it
  const vm5Routed = frame4({ srcMac: RGW1.mac, dstMac: UPSTREAM.mac, src: NS_VM5.ip4, dst: OUTSIDE_IP, ttl: 63 }, udpL4())
  const gre = [
    ethernet({ src: NS_VM5.mac, dst: NS_RPA.mac }),
    ip4({ src: NS_VM5.ip4, dst: OUTSIDE_IP, ttl: 64, id: 0x3039, protocol: 47 }),
    raw(DATA),
  ]
  return [
    ...sequenceBothModes({
      name: 'snat-pt/udp-out-and-reply',
      stage: dnatStage,
      topology: TOPOLOGY,
      intent: 'vm5 (no floating IP) sends UDP to the internet from the gateway IP, port kept; the answer to the gateway IP reaches vm5.',
      steps: [
        {
          now_ms: 1000,
          note: 'out',
          input: layersInput(of(NS_VM5), vm5Udp),
          expect: flood(NET_EXT, exact(sentUdp), { because: ptBecause }),
        },
        {
          now_ms: 1001,
          note: 'reply',
          input: layersInput(ofExt, toGw(udpTo(9, 40000))),
          expect: output(of(NS_VM5), exact(deliveredTo(NS_VM5, OUTSIDE_IP, udpTo(9, 40000))), { because: back }),
        },
      ],
    }),
    ...sequenceBothModes({
      name: 'snat-pt/same-port-second-host-gets-next-port',
      stage: snatStage,
      topology: TOPOLOGY,
      intent:
        "vmb1 uses vm5's source port to the same remote endpoint: it is translated to the next port (40001), and each reply finds its own host.",
      steps: [
        {
          now_ms: 1000,
          note: 'vm5 out, port kept',
          input: layersInput(of(NS_VM5), vm5Udp),
          expect: flood(NET_EXT, exact(sentUdp), { because: ptBecause }),
        },
        {
          now_ms: 1001,
          note: 'vmb1 out, same port',
          input: layersInput(of(NS_VMB1), vmb1Out(udpL4())),
          expect: flood(NET_EXT, exact(gwOut(udpTo(40001, 9))), { because: `${ptBecause}; the port is taken: the next free one after it` }),
        },
        {
          now_ms: 1002,
          note: 'reply to 40001',
          input: layersInput(ofExt, toGw(udpTo(9, 40001))),
          expect: output(of(NS_VMB1), exact(deliveredTo(NS_VMB1, OUTSIDE_IP, udpTo(9, 40000), NS_RPB)), { because: back }),
        },
        {
          now_ms: 1003,
          note: 'reply to 40000',
          input: layersInput(ofExt, toGw(udpTo(9, 40000))),
          expect: output(of(NS_VM5), exact(deliveredTo(NS_VM5, OUTSIDE_IP, udpTo(9, 40000))), { because: back }),
        },
      ],
    }),
    ...sequenceBothModes({
      name: 'snat-pt/tcp-out-and-reply',
      stage: dnatStage,
      topology: TOPOLOGY,
      intent: "vm5's TCP SYN leaves from the gateway IP, the SYN+ACK comes back to vm5; TCP checksums updated both ways.",
      steps: [
        {
          now_ms: 1000,
          note: 'SYN',
          input: layersInput(of(NS_VM5), fromInside(NS_VM5, OUTSIDE_IP, tcpL4(TCP_SYN))),
          expect: flood(NET_EXT, exact(gwOut(tcpL4(TCP_SYN))), { because: ptBecause }),
        },
        {
          now_ms: 1001,
          note: 'SYN+ACK',
          input: layersInput(ofExt, toGw([tcp({ sport: 443, dport: 51000, seq: 77, ack: 1001, flags: TCP_SYN_ACK, window: 29200 })])),
          expect: output(
            of(NS_VM5),
            exact(
              deliveredTo(NS_VM5, OUTSIDE_IP, [tcp({ sport: 443, dport: 51000, seq: 77, ack: 1001, flags: TCP_SYN_ACK, window: 29200 })]),
            ),
            { because: back },
          ),
        },
      ],
    }),
    ...sequenceBothModes({
      name: 'snat-pt/icmp-echo',
      stage: dnatStage,
      topology: TOPOLOGY,
      intent: 'vm5 pings the internet: the echo request leaves from the gateway IP with its identifier kept, the echo reply reaches vm5.',
      steps: [
        {
          now_ms: 1000,
          note: 'echo request',
          input: layersInput(of(NS_VM5), fromInside(NS_VM5, OUTSIDE_IP, echoL4())),
          expect: flood(NET_EXT, exact(gwOut(echoL4())), { because: `${ptBecause}; ICMP: the echo identifier is the port` }),
        },
        {
          now_ms: 1001,
          note: 'echo reply',
          input: layersInput(ofExt, toGw(echoL4(true))),
          expect: output(of(NS_VM5), exact(deliveredTo(NS_VM5, OUTSIDE_IP, echoL4(true))), { because: back }),
        },
      ],
    }),
    ...sequenceBothModes({
      name: 'snat-pt/icmp-error-translated-back',
      stage: dnatStage,
      topology: TOPOLOGY,
      intent:
        "A port unreachable from the internet about vm5's translated datagram reaches vm5 quoting what vm5 sent (its address and port).",
      steps: [
        {
          now_ms: 1000,
          note: 'out',
          input: layersInput(of(NS_VM5), vm5Udp),
          expect: flood(NET_EXT, exact(sentUdp), { because: ptBecause }),
        },
        {
          now_ms: 1001,
          note: 'port unreachable',
          input: layersInput(ofExt, toGw(unreach(sentUdp))),
          expect: output(of(NS_VM5), exact(deliveredTo(NS_VM5, OUTSIDE_IP, unreach(vm5Routed))), {
            because: `${back}; an ICMP error about it is translated back, the quoted source and port included (quoted IPv4, UDP and ICMP checksums updated)`,
          }),
        },
      ],
    }),
    ...nsBoth({
      name: 'snat-pt/echo-reply-without-connection-punted',
      stage: routeStage,
      intent: "An echo reply to the gateway IP that answers no recorded connection is the router's: punted.",
      input: layersInput(ofExt, toGw(echoL4(true))),
      expect: punt('punt_router_local', 'BEHAVIOUR.md Ways in and out, SNAT: anything else to the gateway IP is for the router'),
    }),
    ...nsBoth({
      name: 'snat-pt/other-protocol-no-snat',
      stage: snatStage,
      intent: 'GRE from vm5 has no ports to translate by: no_snat.',
      input: layersInput(of(NS_VM5), gre),
      expect: drop('no_snat', 'BEHAVIOUR.md Ways in and out, SNAT: other protocols drop no_snat'),
    }),
    ...nsBoth({
      name: 'snat-pt/ipv6-untranslated',
      stage: snatStage,
      remove: [FIP6_VM1.nat, FIP6_VM1.arp],
      intent: "Without its IPv6 floating IP, vm1's IPv6 leaves with its fixed address: IPv6 is never port-translated.",
      input: layersInput(of(NS_VM1), udp6({ srcMac: NS_VM1.mac, dstMac: NS_RPA.mac, src: FIP6_VM1.internal, dst: OUTSIDE_IP6 })),
      expect: flood(
        NET_EXT,
        exact(udp6({ srcMac: RGW1.mac, dstMac: UPSTREAM.mac, src: FIP6_VM1.internal, dst: OUTSIDE_IP6, hopLimit: 63 })),
        { because: 'BEHAVIOUR.md Ways in and out, SNAT: with snat true an IPv6 source without a floating IP leaves untranslated' },
      ),
    }),
    ...nsBoth({
      name: 'snat-pt/redirect-to-gateway-chassis',
      stage: routeStage,
      entries: [elsewhere(REDIRECT)],
      intent: "Off the gateway chassis, vm5's packet out of the gateway goes unchanged to the gateway chassis' tunnel endpoint.",
      input: layersInput(of(NS_VM5), vm5Udp),
      expect: {
        action: 'tunnel',
        reason: 'none',
        remote: REDIRECT,
        network: NET_A,
        port: NS_RPA.key,
        packet: exact(vm5Udp),
        because:
          "BEHAVIOUR.md Ways in and out, SNAT: elsewhere lr_in_ip_route sends the frame as it entered the router (TTL untouched), network = the frame's, port = the ingress router port",
      },
    }),
    ns({
      name: 'snat-pt/redirect-keeps-floating-ip-distributed',
      stage: snatStage,
      entries: [elsewhere(REDIRECT)],
      intent: 'Off the gateway chassis, vm1 (with a floating IP) is still translated here by its floating IP, not redirected.',
      input: layersInput(of(NS_VM1), fromInside(NS_VM1, OUTSIDE_IP, udpL4())),
      expect: flood(NET_EXT, exact(leaving({ srcMac: FIP_VM1.mac, src: FIP_VM1.external, dst: OUTSIDE_IP }, udpL4())), {
        because: snatBecause,
      }),
    }),
    ...nsBoth({
      name: 'snat-pt/no-gateway-chassis-dropped',
      stage: routeStage,
      entries: [elsewhere()],
      intent: "Off the gateway chassis with no gateway chassis known, vm5's packet out of the gateway is dropped gateway_elsewhere.",
      input: layersInput(of(NS_VM5), vm5Udp),
      expect: drop('gateway_elsewhere', 'BEHAVIOUR.md Ways in and out, SNAT: without redirect, drop gateway_elsewhere'),
    }),
  ]
}

/** Every north-south vector; generate.ts files each under the group of its stage. */
export function northSouthVectors(): Vector[] {
  return [
    ...classifyVectors(),
    ...dhcpVectors(),
    ...dispatchVectors(),
    ...arpVectors(),
    ...dnatVectors(),
    ...snatVectors(),
    ...routeVectors(),
    ...associationVectors(),
    ...portTranslationVectors(),
  ]
}
