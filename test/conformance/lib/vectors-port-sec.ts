// ls_in_port_sec: a port's frames must come from its MACs and, with each MAC, from the prefixes listed with it
// (fixed IPs, allowed address pairs). BEHAVIOUR.md "Order of checks" 4.
import {
  BROADCAST_MAC,
  IPV4_ANY,
  IPV4_BROADCAST,
  type Ipv6Address,
  ipv4,
  ipv6,
  mac,
  type Ipv4Address,
  type MacAddress,
} from '../../../datapath/host/addresses.js'
import { arp, ethernet, icmp6, ip4, ip6, ndNa, ndRa, raw, udp, type Layer } from '../../../datapath/host/packet-builder.js'
import { STAGE_PORT_SEC } from '../../../datapath/spec/stages.js'
import type { Vector } from '../vector-format.js'
import { NET_A, VM1, VM2, VM4, VM4_PAIR_CIDR, VM4_PAIR_IP, VM4_PAIR_MAC, VM5, VM7, type Host } from './topologies.js'
import { bothModes, drop, exact, fieldInput, flood, layersInput, linkLocalOf, output, stageName, udp4, udp6, vector } from './vector-kit.js'

const stage = stageName(STAGE_PORT_SEC)
const UNKNOWN_TARGET = ipv4('10.0.0.200')

/** `from` sends a UDP packet to vm2 using `srcMac` and `src`. */
function toVm2(from: Host, srcMac: MacAddress, src: Ipv4Address) {
  return layersInput(from.ofport as number, udp4({ srcMac, dstMac: VM2.mac, src, dst: VM2.ip4 }))
}
const delivered = (srcMac: MacAddress, src: Ipv4Address, because: string) =>
  output(VM2.ofport as number, exact(udp4({ srcMac, dstMac: VM2.mac, src, dst: VM2.ip4 })), { because })

/** An ARP request for an address nobody answers, so an allowed packet floods (and a refused one is dropped). */
function arpFrom(from: Host, o: { ethSrc: MacAddress; sha: MacAddress; spa: Ipv4Address }) {
  return layersInput(
    from.ofport as number,
    [ethernet({ src: o.ethSrc, dst: BROADCAST_MAC }), arp({ op: 1, sha: o.sha, spa: o.spa, tpa: UNKNOWN_TARGET })],
    { pad: true },
  )
}
const arpFlood = (o: { ethSrc: MacAddress; sha: MacAddress; spa: Ipv4Address }, because: string) =>
  flood(
    NET_A,
    exact([ethernet({ src: o.ethSrc, dst: BROADCAST_MAC }), arp({ op: 1, sha: o.sha, spa: o.spa, tpa: UNKNOWN_TARGET })], true),
    { because },
  )

/** An unsolicited NA (RFC 4861 4.4, override set) from `srcMac`/`src` claiming `target`, sent to vm2. */
function naToVm2(o: { srcMac: MacAddress; src: Ipv6Address; target: Ipv6Address }): Layer[] {
  return [
    ethernet({ src: o.srcMac, dst: VM2.mac }),
    ip6({ src: o.src, dst: VM2.ip6, hopLimit: 255 }),
    ndNa({ target: o.target, override: true, tll: o.srcMac }),
  ]
}
const naDelivered = (layers: Layer[], because: string) => output(VM2.ofport as number, exact(layers), { because })
/** A router advertisement with a prefix option (RFC 4861 4.2) from `h`'s EUI-64 link-local address to all nodes. */
function raFrom(h: Host): Layer[] {
  return [
    ethernet({ src: h.mac, dst: mac('33:33:00:00:00:01') }),
    ip6({ src: linkLocalOf(h.mac), dst: ipv6('ff02::1'), hopLimit: 255 }),
    ndRa({ sll: h.mac, prefixes: [{ prefix: ipv6('2001:db8:a::'), length: 64 }] }),
  ]
}
/** vm1's link-local address: fe80::/64 + modified EUI-64 of fa:16:3e:0a:00:01 (RFC 4291 2.5.6, U/L bit flipped). */
const VM1_LINK_LOCAL = ipv6('fe80::f816:3eff:fe0a:1')
/** vm4's row with an IPv6 allowed-address-pair prefix added (the topology has none). */
const VM4_V6_PAIR = '2001:db8:a:4::/64'
const vm4WithV6Pair = [
  {
    stage: 'port_sec' as const,
    port: VM4.key,
    mac: VM4.mac.toString(),
    ips: [`${VM4.ip4.toString()}/32`, VM4_PAIR_CIDR.toString(), VM4_V6_PAIR],
  },
]

/** BEHAVIOUR.md 4: a neighbour advertisement may only claim the port's own IPv6 prefixes or its EUI-64 link-local. */
function naVectors(): Vector[] {
  const of1 = VM1.ofport as number
  const of4 = VM4.ofport as number
  const own = naToVm2({ srcMac: VM1.mac, src: VM1.ip6, target: VM1.ip6 })
  const ll = naToVm2({ srcMac: VM1.mac, src: VM1_LINK_LOCAL, target: VM1_LINK_LOCAL })
  const ownFromLl = naToVm2({ srcMac: VM1.mac, src: VM1_LINK_LOCAL, target: VM1.ip6 })
  const inPair = naToVm2({ srcMac: VM4.mac, src: ipv6('2001:db8:a:4::9'), target: ipv6('2001:db8:a:4::9') })
  const noTarget = [
    ethernet({ src: VM1.mac, dst: VM2.mac }),
    ip6({ src: VM1.ip6, dst: VM2.ip6, hopLimit: 255 }),
    icmp6({ type: 136, code: 0, body: Uint8Array.of(0x20, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8) }),
  ]
  return [
    ...bothModes({
      name: 'port_sec/na-own-address',
      stage,
      intent: 'An NA from vm1 claiming its own global address is forwarded.',
      input: layersInput(of1, own),
      expect: naDelivered(own, 'BEHAVIOUR.md 4: an NA may claim an address listed with the MAC, from that address'),
    }),
    vector({
      name: 'port_sec/na-eui64-link-local',
      stage,
      intent: 'An NA from vm1 claiming the link-local address derived from its MAC is forwarded.',
      input: layersInput(of1, ll),
      expect: naDelivered(ll, 'BEHAVIOUR.md 4: the EUI-64 link-local of the row MAC is an allowed target (RFC 4291 2.5.6)'),
    }),
    vector({
      name: 'port_sec/na-own-address-from-link-local',
      stage,
      intent: "An NA for vm1's global address sent from its link-local source is forwarded.",
      input: layersInput(of1, ownFromLl),
      expect: naDelivered(ownFromLl, 'BEHAVIOUR.md 4: an allowed target may be advertised from any fe80::/10 source'),
    }),
    ...bothModes({
      name: 'port_sec/na-another-ports-address',
      stage,
      intent: "vm1 advertising vm2's address from its link-local source is NA spoofing.",
      input: layersInput(of1, naToVm2({ srcMac: VM1.mac, src: VM1_LINK_LOCAL, target: VM2.ip6 })),
      expect: drop('port_sec_ip', "BEHAVIOUR.md 4: the NA target must be one of the port's addresses or its EUI-64 link-local"),
    }),
    vector({
      name: 'port_sec/na-other-link-local',
      stage,
      intent: 'vm1 advertising a link-local address not derived from its MAC is refused.',
      input: layersInput(of1, naToVm2({ srcMac: VM1.mac, src: VM1_LINK_LOCAL, target: ipv6('fe80::f816:3eff:fe0a:2') })),
      expect: drop('port_sec_ip', 'BEHAVIOUR.md 4: only the EUI-64 link-local of the row MAC'),
    }),
    vector({
      name: 'port_sec/na-own-target-from-other-global',
      stage,
      intent: "An NA for vm4's pair-prefix address sent from another address of that prefix is refused.",
      entries: vm4WithV6Pair,
      input: layersInput(of4, naToVm2({ srcMac: VM4.mac, src: ipv6('2001:db8:a:4::8'), target: ipv6('2001:db8:a:4::9') })),
      expect: drop('port_sec_ip', 'BEHAVIOUR.md 4: from the target itself or from fe80::/10 only'),
    }),
    vector({
      name: 'port_sec/na-inside-allowed-prefix-pair',
      stage,
      intent: 'vm4 has an IPv6 allowed-address pair 2001:db8:a:4::/64; an NA for an address inside it is forwarded.',
      entries: vm4WithV6Pair,
      input: layersInput(of4, inPair),
      expect: naDelivered(inPair, "BEHAVIOUR.md 4: the target is inside one of the row's IPv6 prefixes"),
    }),
    ...bothModes({
      name: 'port_sec/router-advertisement-dropped',
      stage,
      intent: 'A router advertisement from an instance is a rogue RA: dropped (it used to flood).',
      input: layersInput(of1, raFrom(VM1)),
      expect: drop('port_sec_ip', 'BEHAVIOUR.md 4: rogue-RA guard, instances are hosts (RFC 4861 6.2.1)'),
    }),
    vector({
      name: 'port_sec/router-advertisement-port-security-off',
      stage,
      intent: 'A port with port security off may send router advertisements; multicast floods.',
      input: layersInput(VM5.ofport as number, raFrom(VM5)),
      expect: flood(NET_A, exact(raFrom(VM5)), { because: 'BEHAVIOUR.md 4: the RA guard is part of port security; 9: multicast floods' }),
    }),
    vector({
      name: 'port_sec/na-code-not-zero',
      stage,
      intent: "An NA with ICMP code 1 is invalid (RFC 4861 7.1.2), so even vm1's own target is not an allowed claim.",
      input: layersInput(
        of1,
        own.map(l => (l.kind === 'icmp6' ? { ...l, code: 1 } : l)),
      ),
      expect: drop('port_sec_ip', 'BEHAVIOUR.md 4: an NA shorter than 24 bytes or with code != 0 has no allowed target'),
    }),
    vector({
      name: 'port_sec/na-without-target',
      stage,
      intent: 'An NA of 8 bytes cannot carry a target, so it claims nothing the port owns.',
      input: layersInput(of1, noTarget),
      expect: drop('port_sec_ip', 'BEHAVIOUR.md 4: an NA shorter than 24 bytes or with code != 0 has no allowed target'),
    }),
  ]
}

export function portSecVectors(): Vector[] {
  const of1 = VM1.ofport as number
  return [
    ...bothModes({
      name: 'port_sec/spoofed-mac',
      stage,
      intent: "A source MAC that is not the port's is dropped.",
      input: toVm2(VM1, mac('fa:16:3e:0a:00:99'), VM1.ip4),
      expect: drop('port_sec_mac', 'BEHAVIOUR.md 4: source MAC must be a MAC of the port'),
    }),
    vector({
      name: 'port_sec/another-ports-mac',
      stage,
      intent: "vm1 using vm2's MAC is spoofing, even though the MAC is known on the network.",
      input: toVm2(VM1, VM2.mac, VM1.ip4),
      expect: drop('port_sec_mac', 'BEHAVIOUR.md 4: the MAC must belong to the ingress port'),
    }),
    vector({
      name: 'port_sec/mac-checked-before-ip',
      stage,
      intent: 'A frame with both MAC and IP spoofed is reported as a MAC violation.',
      input: toVm2(VM1, mac('fa:16:3e:0a:00:99'), ipv4('10.0.0.99')),
      expect: drop('port_sec_mac', 'BEHAVIOUR.md 4: the MAC row is found first, then its prefixes'),
    }),
    ...bothModes({
      name: 'port_sec/spoofed-ipv4',
      stage,
      intent: "An IPv4 source outside the port's prefixes is dropped.",
      input: toVm2(VM1, VM1.mac, ipv4('10.0.0.99')),
      expect: drop('port_sec_ip', 'BEHAVIOUR.md 4: IPv4 source inside a prefix listed with the MAC'),
    }),
    vector({
      name: 'port_sec/another-ports-ipv4',
      stage,
      intent: "vm1 using vm2's address is spoofing.",
      input: toVm2(VM1, VM1.mac, VM2.ip4),
      expect: drop('port_sec_ip', 'BEHAVIOUR.md 4'),
    }),
    vector({
      name: 'port_sec/own-addresses-pass',
      stage,
      intent: "A frame from the port's own MAC and fixed IP is switched to vm2.",
      input: toVm2(VM1, VM1.mac, VM1.ip4),
      expect: delivered(VM1.mac, VM1.ip4, 'BEHAVIOUR.md 4 then 9-10: allowed, l2 hit, local port'),
    }),
    vector({
      name: 'port_sec/arp-sha-differs-from-eth-src',
      stage,
      intent: 'An ARP sender hardware address unlike the Ethernet source is ARP spoofing.',
      input: arpFrom(VM1, { ethSrc: VM1.mac, sha: VM2.mac, spa: VM1.ip4 }),
      expect: drop('port_sec_arp', 'BEHAVIOUR.md 4: ARP sha must equal the Ethernet source'),
    }),
    ...bothModes({
      name: 'port_sec/arp-spa-spoofed',
      stage,
      intent: 'An ARP sender IP the port does not own is ARP spoofing.',
      input: arpFrom(VM1, { ethSrc: VM1.mac, sha: VM1.mac, spa: VM2.ip4 }),
      expect: drop('port_sec_arp', 'BEHAVIOUR.md 4: ARP sender IP must be allowed'),
    }),
    vector({
      name: 'port_sec/arp-probe-allowed',
      stage,
      intent: 'An ARP probe (sender IP 0.0.0.0, RFC 5227) is allowed before the port has an address.',
      input: arpFrom(VM1, { ethSrc: VM1.mac, sha: VM1.mac, spa: IPV4_ANY }),
      expect: arpFlood({ ethSrc: VM1.mac, sha: VM1.mac, spa: IPV4_ANY }, 'BEHAVIOUR.md 4: 0.0.0.0 is allowed; unknown target floods'),
    }),
    vector({
      name: 'port_sec/pair-cidr-source',
      stage,
      intent: 'An address inside an allowed-address-pair CIDR listed with the port MAC is allowed.',
      input: toVm2(VM4, VM4.mac, ipv4('10.0.5.77')),
      expect: delivered(VM4.mac, ipv4('10.0.5.77'), 'entries.ts PortSecEntry: CIDR pairs as they are (10.0.5.0/24)'),
    }),
    vector({
      name: 'port_sec/pair-cidr-first-address',
      stage,
      intent: 'The network address of the pair CIDR is inside it too.',
      input: toVm2(VM4, VM4.mac, ipv4('10.0.5.0')),
      expect: delivered(VM4.mac, ipv4('10.0.5.0'), '10.0.5.0 is inside 10.0.5.0/24'),
    }),
    vector({
      name: 'port_sec/pair-cidr-last-address',
      stage,
      intent: 'The last address of the pair CIDR is inside it.',
      input: toVm2(VM4, VM4.mac, ipv4('10.0.5.255')),
      expect: delivered(VM4.mac, ipv4('10.0.5.255'), '10.0.5.255 is inside 10.0.5.0/24'),
    }),
    vector({
      name: 'port_sec/outside-pair-cidr',
      stage,
      intent: 'The first address past the pair CIDR is refused.',
      input: toVm2(VM4, VM4.mac, ipv4('10.0.6.0')),
      expect: drop('port_sec_ip', '10.0.6.0 is outside 10.0.5.0/24 and not a fixed IP'),
    }),
    vector({
      name: 'port_sec/pair-mac-with-its-ip',
      stage,
      intent: 'The pair MAC may send from the address listed with it.',
      input: toVm2(VM4, VM4_PAIR_MAC, VM4_PAIR_IP),
      expect: delivered(VM4_PAIR_MAC, VM4_PAIR_IP, 'entries.ts PortSecEntry: one row per MAC with its prefixes'),
    }),
    vector({
      name: 'port_sec/pair-mac-with-port-ip',
      stage,
      intent: "The pair MAC may not use the address listed with the port's own MAC.",
      input: toVm2(VM4, VM4_PAIR_MAC, VM4.ip4),
      expect: drop('port_sec_ip', 'BEHAVIOUR.md 4: the source must be inside a prefix listed with *that* MAC'),
    }),
    vector({
      name: 'port_sec/pair-mac-with-pair-cidr',
      stage,
      intent: "The pair CIDR belongs to the port MAC's row, not to the pair MAC.",
      input: toVm2(VM4, VM4_PAIR_MAC, ipv4('10.0.5.77')),
      expect: drop('port_sec_ip', 'BEHAVIOUR.md 4: prefixes are per MAC'),
    }),
    vector({
      name: 'port_sec/port-mac-with-pair-ip',
      stage,
      intent: 'The port MAC may not use the address listed with the pair MAC.',
      input: toVm2(VM4, VM4.mac, VM4_PAIR_IP),
      expect: drop('port_sec_ip', 'BEHAVIOUR.md 4: prefixes are per MAC'),
    }),
    vector({
      name: 'port_sec/arp-from-pair-mac',
      stage,
      intent: 'ARP from the pair MAC with the pair IP is allowed.',
      input: arpFrom(VM4, { ethSrc: VM4_PAIR_MAC, sha: VM4_PAIR_MAC, spa: VM4_PAIR_IP }),
      expect: arpFlood(
        { ethSrc: VM4_PAIR_MAC, sha: VM4_PAIR_MAC, spa: VM4_PAIR_IP },
        'BEHAVIOUR.md 4: ARP sender IP allowed with that MAC',
      ),
    }),
    vector({
      name: 'port_sec/arp-from-pair-cidr',
      stage,
      intent: 'ARP with a sender IP inside the pair CIDR is allowed.',
      input: arpFrom(VM4, { ethSrc: VM4.mac, sha: VM4.mac, spa: ipv4('10.0.5.3') }),
      expect: arpFlood({ ethSrc: VM4.mac, sha: VM4.mac, spa: ipv4('10.0.5.3') }, 'BEHAVIOUR.md 4'),
    }),
    vector({
      name: 'port_sec/arp-outside-pair-cidr',
      stage,
      intent: 'ARP with a sender IP outside every allowed prefix is refused.',
      input: arpFrom(VM4, { ethSrc: VM4.mac, sha: VM4.mac, spa: ipv4('10.0.6.3') }),
      expect: drop('port_sec_arp', 'BEHAVIOUR.md 4'),
    }),
    vector({
      name: 'port_sec/disabled-allows-anything',
      stage,
      intent: 'A port with port security off may send from any MAC and IP.',
      input: toVm2(VM5, mac('fa:16:3e:77:77:77'), ipv4('10.9.9.9')),
      expect: delivered(mac('fa:16:3e:77:77:77'), ipv4('10.9.9.9'), 'entries.ts PortSecEntry disabled: true'),
    }),
    ...bothModes({
      name: 'port_sec/no-row-drops-everything',
      stage,
      intent: 'A port with no port_sec row drops even its own addresses.',
      input: toVm2(VM7, VM7.mac, VM7.ip4),
      expect: drop('port_sec_mac', 'entries.ts PortSecEntry: a port with no row at all drops everything with port_sec_mac'),
    }),
    vector({
      name: 'port_sec/zero-source-not-dhcp',
      stage,
      intent: 'Source 0.0.0.0 is allowed only for DHCP client traffic (UDP 68 -> 67).',
      input: layersInput(of1, [
        ethernet({ src: VM1.mac, dst: BROADCAST_MAC }),
        ip4({ src: IPV4_ANY, dst: IPV4_BROADCAST, ttl: 64 }),
        udp({ sport: 68, dport: 69 }),
        raw(new Uint8Array(8)),
      ]),
      expect: drop('port_sec_ip', 'BEHAVIOUR.md 4: allowed before an address: UDP 68 -> 67 from 0.0.0.0 only'),
    }),
    vector({
      name: 'port_sec/dhcp-from-spoofed-mac',
      stage,
      intent: "DHCP before an address is allowed only from one of the port's MACs.",
      input: fieldInput(`in_port=${of1},eth_src=fa:16:3e:0a:00:99,dhcp_type=discover`),
      expect: drop('port_sec_mac', "BEHAVIOUR.md 4: each from one of the port's MACs"),
    }),
    vector({
      name: 'port_sec/ipv6-spoofed-global',
      stage,
      intent: 'An IPv6 global source the port does not own is dropped.',
      input: layersInput(of1, udp6({ srcMac: VM1.mac, dstMac: VM2.mac, src: ipv6('2001:db8:a::99'), dst: VM2.ip6 })),
      expect: drop('port_sec_ip', 'BEHAVIOUR.md 4: IPv6 source inside a listed prefix'),
    }),
    vector({
      name: 'port_sec/ipv6-own-global',
      stage,
      intent: "The port's own IPv6 address passes and is switched.",
      input: layersInput(of1, udp6({ srcMac: VM1.mac, dstMac: VM2.mac, src: VM1.ip6, dst: VM2.ip6 })),
      expect: output(VM2.ofport as number, exact(udp6({ srcMac: VM1.mac, dstMac: VM2.mac, src: VM1.ip6, dst: VM2.ip6 })), {
        because: 'BEHAVIOUR.md 4',
      }),
    }),
    vector({
      name: 'port_sec/ipv6-link-local-allowed',
      stage,
      intent: 'Any link-local IPv6 source (fe80::/10) is allowed from a port MAC.',
      input: layersInput(
        of1,
        udp6({ srcMac: VM1.mac, dstMac: mac('33:33:00:00:00:01'), src: ipv6('fe80::f816:3eff:fe0a:1'), dst: ipv6('ff02::1') }),
      ),
      expect: flood(
        NET_A,
        exact(udp6({ srcMac: VM1.mac, dstMac: mac('33:33:00:00:00:01'), src: ipv6('fe80::f816:3eff:fe0a:1'), dst: ipv6('ff02::1') })),
        { because: 'BEHAVIOUR.md 4: fe80::/10 allowed; multicast floods' },
      ),
    }),
    vector({
      name: 'port_sec/ipv6-link-local-wrong-mac',
      stage,
      intent: "Link-local sources are allowed only from the port's MACs.",
      input: layersInput(
        of1,
        udp6({ srcMac: mac('fa:16:3e:0a:00:99'), dstMac: mac('33:33:00:00:00:01'), src: ipv6('fe80::1'), dst: ipv6('ff02::1') }),
      ),
      expect: drop('port_sec_mac', 'BEHAVIOUR.md 4'),
    }),
    vector({
      name: 'port_sec/ipv6-dad-unknown-target',
      stage,
      intent: 'Duplicate address detection from :: is allowed (RFC 4862 5.4) and floods when no one answers.',
      input: fieldInput(`in_port=${of1},eth_src=${VM1.mac.toString()},ip_src=::,nd_target=2001:db8:a::77`),
      expect: flood(NET_A, undefined, { because: 'BEHAVIOUR.md 4: IPv6 from :: allowed; no arp_nd entry; multicast floods' }),
    }),
    ...naVectors(),
  ]
}
