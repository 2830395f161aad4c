// ls_in_arp_nd_rsp, router solicitations: on a network with a router_advert entry, a solicitation from a local
// port is punted (batch) and answered by the slow path with the router port's advertisement (packet-in), or
// dropped when RFC 4861 6.1.1 says it is invalid (BEHAVIOUR.md "Order of checks" 5).
// The expected advertisements are built here field by field from RFC 4861 4.2 / 4.6 and RFC 8106 5.1.
import { IPV6_ANY, ipv6, mac, type Ipv6Address, type MacAddress } from '../../../datapath/host/addresses.js'
import type { Ipv6RaMode, RouterAdvertEntry } from '../../../datapath/host/entries.js'
import {
  concat,
  ethernet,
  icmp6,
  ip6,
  ndLinkLayerOption,
  ndRs,
  type Icmpv6Layer,
  type Layer,
} from '../../../datapath/host/packet-builder.js'
import { STAGE_ARP_ND_RSP } from '../../../datapath/spec/stages.js'
import type { Expectation, Vector } from '../vector-format.js'
import { NET_A, NET_B, RPA, TUNNEL_OFPORT, VM1, VM2, VMB1 } from './topologies.js'
import { bothModes, drop, exact, flood, layersInput, linkLocalOf, punt, stageName, vector } from './vector-kit.js'

const stage = stageName(STAGE_ARP_ND_RSP)
const of1 = VM1.ofport as number
const ALL_ROUTERS = ipv6('ff02::2')
const ALL_NODES = ipv6('ff02::1')
const ALL_ROUTERS_MAC = mac('33:33:00:00:00:02')
const ALL_NODES_MAC = mac('33:33:00:00:00:01')
const VM1_LL = linkLocalOf(VM1.mac)
const RPA_LL = linkLocalOf(RPA.mac)
const PREFIX_A = '2001:db8:a::/64'
const MTU_A = 1450
const DNS_A = ['2001:db8:a::53', '2001:db8:a::54']

const raEntry = (mode: Ipv6RaMode, o: { dns?: string[]; mtu?: number | null } = {}): RouterAdvertEntry => ({
  stage: 'router_advert',
  network: NET_A,
  port: RPA.key,
  mac: RPA.mac.toString(),
  prefixes: [{ prefix: PREFIX_A, mode }],
  ...(o.mtu === null ? {} : { mtu: o.mtu ?? MTU_A }),
  ...(o.dns ? { dns: o.dns } : {}),
})

interface Solicitation {
  src?: Ipv6Address
  dst?: Ipv6Address
  ethDst?: MacAddress
  hopLimit?: number
  sll?: boolean
  change?: (l: Icmpv6Layer) => Icmpv6Layer
}
function rs(o: Solicitation = {}): Layer[] {
  const src = o.src ?? VM1_LL
  const unspecified = src.toString() === '::'
  const layer = ndRs(o.sll === false || unspecified ? {} : { sll: VM1.mac })
  return [
    ethernet({ src: VM1.mac, dst: o.ethDst ?? ALL_ROUTERS_MAC }),
    ip6({ src, dst: o.dst ?? ALL_ROUTERS, hopLimit: o.hopLimit ?? 255 }),
    o.change ? o.change(layer) : layer,
  ]
}

const u16 = (v: number): number[] => [v >>> 8, v & 0xff]
const u32 = (v: number): number[] => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]

/** The advertisement BEHAVIOUR.md 5 fixes byte for byte: RFC 4861 4.2 with options SLL, MTU, prefix, RDNSS. */
function advert(o: { to: MacAddress; dst: Ipv6Address; mode: Ipv6RaMode; mtu?: number; dns?: string[] }): Layer[] {
  const managed = o.mode === 'dhcpv6-stateful'
  const other = o.mode !== 'slaac'
  const autonomous = o.mode !== 'dhcpv6-stateful'
  // cur hop limit 64, M/O, router lifetime 1800 s, reachable time and retrans timer unspecified (0)
  const head = Uint8Array.of(64, (managed ? 0x80 : 0) | (other ? 0x40 : 0), ...u16(1800), ...u32(0), ...u32(0))
  const mtu = o.mtu === undefined ? new Uint8Array() : Uint8Array.of(5, 1, 0, 0, ...u32(o.mtu))
  // prefix information: /64, L = 1, A for slaac and dhcpv6-stateless, valid 30 days, preferred 7 days
  const prefix = Uint8Array.of(
    3,
    4,
    64,
    0x80 | (autonomous ? 0x40 : 0),
    ...u32(2592000),
    ...u32(604800),
    ...u32(0),
    ...ipv6('2001:db8:a::').bytes,
  )
  const dns = o.dns ?? []
  const rdnss =
    dns.length === 0 ? new Uint8Array() : concat(Uint8Array.of(25, 1 + 2 * dns.length, 0, 0, ...u32(1200)), ...dns.map(d => ipv6(d).bytes))
  return [
    ethernet({ src: RPA.mac, dst: o.to }),
    ip6({ src: RPA_LL, dst: o.dst, hopLimit: 255 }),
    icmp6({ type: 134, code: 0, body: concat(head, ndLinkLayerOption(1, RPA.mac), mtu, prefix, rdnss) }),
  ]
}

const PUNTED = 'BEHAVIOUR.md 5: a router solicitation from a local port on a network with a router_advert entry is punted'
const answered = (frame: Layer[], because: string): Expectation => ({
  ...punt('punt_router_solicit', `${PUNTED}; the slow path answers with the advertisement, out of the ingress port: ${because}`),
  replies: [{ ofport: of1, frame: exact(frame) }],
})
const refused = (reason: string, because: string): Expectation => ({
  ...drop(reason, `RFC 4861 6.1.1 (BEHAVIOUR.md 5): ${because}; silently discarded, counted`),
  replies: [],
})

/** The batch punt and the slow path's answer (or refusal) for one solicitation. */
function solicited(name: string, intent: string, entry: RouterAdvertEntry, input: Layer[], packetIn: Expectation): Vector[] {
  const base = { stage, intent, entries: [entry], input: layersInput(of1, input) }
  return [
    vector({
      ...base,
      name: `${name}/batch`,
      mode: 'batch',
      expect: punt('punt_router_solicit', `${PUNTED} (every check is the slow path's)`),
    }),
    vector({ ...base, name: `${name}/packet_in`, mode: 'packet_in', now_ms: 1000, expect: packetIn }),
  ]
}

export function routerAdvertVectors(): Vector[] {
  const slaac = raEntry('slaac')
  return [
    ...solicited(
      'ra/rs-slaac',
      "vm1 solicits on a slaac subnet: M=0 O=0, the prefix autonomous, MTU, from the router's link-local.",
      slaac,
      rs(),
      answered(advert({ to: VM1.mac, dst: VM1_LL, mode: 'slaac', mtu: MTU_A }), 'RFC 4861 6.2.6 to the solicitor'),
    ),
    ...solicited(
      'ra/rs-dhcpv6-stateful',
      'On a dhcpv6-stateful subnet the advertisement says M=1 O=1 and the prefix is not autonomous.',
      raEntry('dhcpv6-stateful'),
      rs(),
      answered(advert({ to: VM1.mac, dst: VM1_LL, mode: 'dhcpv6-stateful', mtu: MTU_A }), 'addresses from DHCPv6'),
    ),
    ...solicited(
      'ra/rs-dhcpv6-stateless',
      'On a dhcpv6-stateless subnet: M=0 O=1, the prefix autonomous.',
      raEntry('dhcpv6-stateless'),
      rs(),
      answered(advert({ to: VM1.mac, dst: VM1_LL, mode: 'dhcpv6-stateless', mtu: MTU_A }), 'other configuration from DHCPv6'),
    ),
    ...solicited(
      'ra/rs-with-rdnss',
      'A subnet with DNS servers adds an RDNSS option listing them (RFC 8106).',
      raEntry('slaac', { dns: DNS_A }),
      rs(),
      answered(advert({ to: VM1.mac, dst: VM1_LL, mode: 'slaac', mtu: MTU_A, dns: DNS_A }), 'RFC 8106 5.1, lifetime 1200 s'),
    ),
    ...solicited(
      'ra/rs-without-mtu',
      'A router_advert entry without an MTU gives no MTU option.',
      raEntry('slaac', { mtu: null }),
      rs(),
      answered(advert({ to: VM1.mac, dst: VM1_LL, mode: 'slaac' }), 'no MTU option without an MTU'),
    ),
    ...solicited(
      'ra/rs-from-unspecified',
      'A host without an address solicits from :: (no source link-layer option): the answer goes to all-nodes.',
      slaac,
      rs({ src: IPV6_ANY }),
      answered(advert({ to: ALL_NODES_MAC, dst: ALL_NODES, mode: 'slaac', mtu: MTU_A }), 'RFC 4861 6.2.6: from :: -> ff02::1'),
    ),
    ...solicited(
      'ra/rs-from-global-address',
      "A solicitation from the port's own global address is valid (RFC 4861 4.1) and answered to it.",
      slaac,
      [ethernet({ src: VM1.mac, dst: ALL_ROUTERS_MAC }), ip6({ src: VM1.ip6, dst: ALL_ROUTERS, hopLimit: 255 }), ndRs({ sll: VM1.mac })],
      answered(advert({ to: VM1.mac, dst: VM1.ip6, mode: 'slaac', mtu: MTU_A }), "to the solicitor's address"),
    ),
    ...solicited(
      'ra/rs-unicast-to-router-link-local',
      "A solicitation unicast to the router port's link-local address is answered too.",
      slaac,
      rs({ dst: RPA_LL, ethDst: RPA.mac }),
      answered(advert({ to: VM1.mac, dst: VM1_LL, mode: 'slaac', mtu: MTU_A }), 'to the solicitor'),
    ),
    ...solicited(
      'ra/rs-without-source-lla',
      'A solicitation without a source link-layer option is answered to its Ethernet source.',
      slaac,
      rs({ sll: false }),
      answered(advert({ to: VM1.mac, dst: VM1_LL, mode: 'slaac', mtu: MTU_A }), 'to the Ethernet source'),
    ),
    // invalid solicitations: punted alike in batch mode, dropped by the slow path
    ...solicited(
      'ra/rs-hop-limit-not-255',
      'A solicitation with hop limit 64 may have crossed a router.',
      slaac,
      rs({ hopLimit: 64 }),
      refused('bad_icmp', 'the IP Hop Limit field has a value of 255'),
    ),
    ...solicited(
      'ra/rs-code-not-zero',
      'A solicitation with ICMP code 1 is invalid.',
      slaac,
      rs({ change: l => ({ ...l, code: 1 }) }),
      refused('bad_icmp', 'ICMP Code is 0'),
    ),
    ...solicited(
      'ra/rs-bad-checksum',
      'A solicitation with a wrong ICMPv6 checksum is not answered.',
      slaac,
      rs({ change: l => ({ ...l, checksum: 'bad' }) }),
      refused('bad_l4_checksum', 'ICMP Checksum is valid'),
    ),
    ...bothModes({
      name: 'ra/rs-shorter-than-8-bytes',
      stage,
      intent: 'An ICMPv6 type 133 message of 6 bytes has no reserved field: dropped before any stage.',
      entries: [slaac],
      input: layersInput(of1, rs({ sll: false, change: l => ({ ...l, body: l.body.subarray(0, 2) }) })),
      expect: drop(
        'truncated',
        'BEHAVIOUR.md 1: the 8-byte ICMPv6 header must be present (RFC 4861 6.1.1: ICMP length is 8 or more octets)',
      ),
    }),
    ...solicited(
      'ra/rs-zero-length-option',
      'A solicitation carrying an option of length 0 is invalid.',
      slaac,
      rs({ change: l => ({ ...l, body: concat(l.body.subarray(0, 4), Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0)) }) }),
      refused('bad_icmp', 'all included options have a length greater than zero'),
    ),
    ...solicited(
      'ra/rs-truncated-option',
      'A source link-layer option that claims 16 bytes where 8 remain runs past the message.',
      slaac,
      rs({ change: l => ({ ...l, body: concat(l.body.subarray(0, 4), Uint8Array.of(1, 2), VM1.mac.bytes) }) }),
      refused('bad_icmp', 'options fit in the message (RFC 4861 4.6: length in units of 8 octets)'),
    ),
    ...solicited(
      'ra/rs-unspecified-with-source-lla',
      'A solicitation from :: must not carry a source link-layer option.',
      slaac,
      rs({ src: IPV6_ANY, change: l => ({ ...l, body: concat(l.body, ndLinkLayerOption(1, VM1.mac)) }) }),
      refused('bad_icmp', 'if the IP source address is the unspecified address, there is no source link-layer address option'),
    ),
    ...solicited(
      'ra/rs-to-all-nodes',
      'A "solicitation" sent to all-nodes is addressed to no router: the slow path does not answer it.',
      slaac,
      rs({ dst: ALL_NODES, ethDst: ALL_NODES_MAC }),
      refused('bad_icmp', "BEHAVIOUR.md 5: only all-routers or the router's link-local is answered (RFC 4861 6.2.6)"),
    ),
    ...rateVectors(slaac),
    // not ours to answer: the solicitation continues as any multicast
    vector({
      name: 'ra/rs-from-tunnel-floods',
      stage,
      intent: 'A solicitation from another chassis is answered there (its own pipeline); here it floods to local ports.',
      entries: [slaac],
      input: layersInput(TUNNEL_OFPORT, rs(), { tunnelKey: NET_A }),
      expect: flood(NET_A, exact(rs()), {
        because: 'BEHAVIOUR.md 5: only solicitations from local ports are answered; 9: multicast floods',
      }),
    }),
    vector({
      name: 'ra/rs-on-network-without-advert-floods',
      stage,
      intent: 'net-b has no router_advert entry: a solicitation there floods.',
      entries: [slaac],
      input: layersInput(VMB1.ofport as number, rsOnB()),
      expect: flood(NET_B, exact(rsOnB()), { because: 'BEHAVIOUR.md 5: the router_advert entry is per network; 9: multicast floods' }),
    }),
  ]
}

const LIMITED = 'router-advert.ts: burst 3 per port, then one every MIN_DELAY_BETWEEN_RAS = 3 s (RFC 4861 10)'

/** The slow path's per-port bucket: solicitations past the burst are dropped unanswered and counted, as DHCP's. */
function rateVectors(slaac: RouterAdvertEntry): Vector[] {
  const burst = (n: number, nowMs = 1000) => Array.from({ length: n }, () => ({ ...layersInput(of1, rs()), now_ms: nowMs }))
  const pin = (o: {
    name: string
    intent: string
    before: ReturnType<typeof burst>
    now_ms?: number
    input?: Layer[]
    ofport?: number
    expect: Expectation
  }): Vector =>
    vector({
      name: o.name,
      stage,
      intent: o.intent,
      entries: [slaac],
      mode: 'packet_in',
      now_ms: o.now_ms ?? 1000,
      before: o.before,
      input: layersInput(o.ofport ?? of1, o.input ?? rs()),
      expect: o.expect,
    })
  const toVm1 = advert({ to: VM1.mac, dst: VM1_LL, mode: 'slaac', mtu: MTU_A })
  const vm2Ll = linkLocalOf(VM2.mac)
  const fromVm2 = [
    ethernet({ src: VM2.mac, dst: ALL_ROUTERS_MAC }),
    ip6({ src: vm2Ll, dst: ALL_ROUTERS, hopLimit: 255 }),
    ndRs({ sll: VM2.mac }),
  ]
  const limited = (because: string): Expectation => ({
    ...drop('router_solicit_rate_limit', `${LIMITED}: ${because}; dropped unanswered, counted`),
    replies: [],
  })
  return [
    pin({
      name: 'ra/rs-rate-limit-third-still-answered',
      intent: 'The third solicitation in the same instant is still inside the burst.',
      before: burst(2),
      expect: answered(toVm1, `${LIMITED}: the third fits the burst`),
    }),
    pin({
      name: 'ra/rs-rate-limit-fourth-dropped',
      intent: 'A fourth solicitation in the same instant exceeds the per-port burst of 3.',
      before: burst(3),
      expect: limited('the burst is used up'),
    }),
    pin({
      name: 'ra/rs-rate-limit-invalid-ones-count',
      intent: 'Invalid solicitations use up the bucket too: the limit comes before any check.',
      before: Array.from({ length: 3 }, () => ({ ...layersInput(of1, rs({ hopLimit: 64 })), now_ms: 1000 })),
      expect: limited('checked before RFC 4861 6.1.1'),
    }),
    pin({
      name: 'ra/rs-rate-limit-one-second-not-enough',
      intent: 'One second after the burst no token has come back yet (one per 3 s).',
      before: burst(3),
      now_ms: 2000,
      expect: limited('a token every 3 s, not every second'),
    }),
    pin({
      name: 'ra/rs-rate-limit-refills',
      intent: 'Three seconds after the burst the port is answered again.',
      before: burst(3),
      now_ms: 4000,
      expect: answered(toVm1, `${LIMITED}: one token back after 3 s`),
    }),
    pin({
      name: 'ra/rs-rate-limit-is-per-port',
      intent: 'vm1 exhausting its bucket does not limit vm2 on the same network.',
      before: burst(4),
      input: fromVm2,
      ofport: VM2.ofport as number,
      expect: {
        ...punt('punt_router_solicit', `${PUNTED}; ${LIMITED}: the bucket is per port`),
        replies: [{ ofport: VM2.ofport as number, frame: exact(advert({ to: VM2.mac, dst: vm2Ll, mode: 'slaac', mtu: MTU_A })) }],
      },
    }),
  ]
}

function rsOnB(): Layer[] {
  return [
    ethernet({ src: VMB1.mac, dst: ALL_ROUTERS_MAC }),
    ip6({ src: linkLocalOf(VMB1.mac), dst: ALL_ROUTERS, hopLimit: 255 }),
    ndRs({ sll: VMB1.mac }),
  ]
}
