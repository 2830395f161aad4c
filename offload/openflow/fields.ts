// The OpenFlow match fields the emitters use, each with its OXM/NXM identity (so a binary codec can encode it),
// its width, how its value is printed for ovs-ofctl, and the typed value a builder accepts for it.
// Names are the ovs-fields(7) names `ovs-ofctl -O OpenFlow13 add-flows` accepts.
import type { Cidr, Ipv4Address, Ipv6Address, MacAddress } from '../../datapath/host/addresses.js'
import type { Bits, CtState, Key, MaskedMac, OfPort } from './values.js'

export type OfFieldName =
  | 'in_port'
  | 'vlan_vid'
  | 'tun_id'
  | 'tun_dst'
  | 'eth_src'
  | 'eth_dst'
  | 'eth_type'
  | 'ip_proto'
  | 'nw_ttl'
  | 'nw_src'
  | 'nw_dst'
  | 'nw_frag'
  | 'icmp_type'
  | 'ipv6_src'
  | 'ipv6_dst'
  | 'icmpv6_type'
  | 'nd_target'
  | 'udp_src'
  | 'udp_dst'
  | 'arp_op'
  | 'arp_spa'
  | 'arp_tpa'
  | 'arp_sha'
  | 'arp_tha'
  | 'reg0'
  | 'reg1'
  | 'reg2'
  | 'reg3'
  | 'reg4'
  | 'reg5'
  | 'reg6'
  | 'reg7'
  | 'xxreg2'
  | 'tcp_dst'
  | 'sctp_dst'
  | 'icmp_code'
  | 'icmpv6_code'
  | 'ct_state'
  | 'ct_zone'
  | 'ct_mark'
  | 'conj_id'

export type ValueKind = 'int' | 'mac' | 'ipv4' | 'ipv6'

export interface OfFieldDecl {
  name: OfFieldName
  /** OpenFlow 1.3.5 §7.2.3.7 OXM_OF_* or Nicira NXM_NX_* name */
  oxm: string
  bits: number
  kind: ValueKind
}

const f = (name: OfFieldName, oxm: string, bits: number, kind: ValueKind): OfFieldDecl => ({ name, oxm, bits, kind })

export const OF_FIELDS: Record<OfFieldName, OfFieldDecl> = {
  in_port: f('in_port', 'OXM_OF_IN_PORT', 32, 'int'),
  vlan_vid: f('vlan_vid', 'OXM_OF_VLAN_VID', 13, 'int'),
  tun_id: f('tun_id', 'OXM_OF_TUNNEL_ID', 64, 'int'),
  tun_dst: f('tun_dst', 'NXM_NX_TUN_IPV4_DST', 32, 'ipv4'),
  eth_src: f('eth_src', 'OXM_OF_ETH_SRC', 48, 'mac'),
  eth_dst: f('eth_dst', 'OXM_OF_ETH_DST', 48, 'mac'),
  eth_type: f('eth_type', 'OXM_OF_ETH_TYPE', 16, 'int'),
  ip_proto: f('ip_proto', 'OXM_OF_IP_PROTO', 8, 'int'),
  nw_ttl: f('nw_ttl', 'NXM_NX_IP_TTL', 8, 'int'),
  nw_src: f('nw_src', 'OXM_OF_IPV4_SRC', 32, 'ipv4'),
  nw_dst: f('nw_dst', 'OXM_OF_IPV4_DST', 32, 'ipv4'),
  nw_frag: f('nw_frag', 'NXM_NX_IP_FRAG', 8, 'int'),
  icmp_type: f('icmp_type', 'OXM_OF_ICMPV4_TYPE', 8, 'int'),
  ipv6_src: f('ipv6_src', 'OXM_OF_IPV6_SRC', 128, 'ipv6'),
  ipv6_dst: f('ipv6_dst', 'OXM_OF_IPV6_DST', 128, 'ipv6'),
  icmpv6_type: f('icmpv6_type', 'OXM_OF_ICMPV6_TYPE', 8, 'int'),
  nd_target: f('nd_target', 'OXM_OF_IPV6_ND_TARGET', 128, 'ipv6'),
  udp_src: f('udp_src', 'OXM_OF_UDP_SRC', 16, 'int'),
  udp_dst: f('udp_dst', 'OXM_OF_UDP_DST', 16, 'int'),
  arp_op: f('arp_op', 'OXM_OF_ARP_OP', 16, 'int'),
  arp_spa: f('arp_spa', 'OXM_OF_ARP_SPA', 32, 'ipv4'),
  arp_tpa: f('arp_tpa', 'OXM_OF_ARP_TPA', 32, 'ipv4'),
  arp_sha: f('arp_sha', 'OXM_OF_ARP_SHA', 48, 'mac'),
  arp_tha: f('arp_tha', 'OXM_OF_ARP_THA', 48, 'mac'),
  reg0: f('reg0', 'NXM_NX_REG0', 32, 'int'),
  reg1: f('reg1', 'NXM_NX_REG1', 32, 'int'),
  reg2: f('reg2', 'NXM_NX_REG2', 32, 'int'),
  reg3: f('reg3', 'NXM_NX_REG3', 32, 'int'),
  reg4: f('reg4', 'NXM_NX_REG4', 32, 'int'), // holds an IPv4 next hop; printed as a number, as registers are
  reg5: f('reg5', 'NXM_NX_REG5', 32, 'int'),
  reg6: f('reg6', 'NXM_NX_REG6', 32, 'int'),
  reg7: f('reg7', 'NXM_NX_REG7', 32, 'int'),
  tcp_dst: f('tcp_dst', 'OXM_OF_TCP_DST', 16, 'int'),
  sctp_dst: f('sctp_dst', 'OXM_OF_SCTP_DST', 16, 'int'),
  icmp_code: f('icmp_code', 'OXM_OF_ICMPV4_CODE', 8, 'int'),
  icmpv6_code: f('icmpv6_code', 'OXM_OF_ICMPV6_CODE', 8, 'int'),
  // Nicira conntrack fields (ovs-fields(7) "Connection Tracking Fields"), set by the ct action
  ct_state: f('ct_state', 'NXM_NX_CT_STATE', 32, 'int'),
  ct_zone: f('ct_zone', 'NXM_NX_CT_ZONE', 16, 'int'),
  ct_mark: f('ct_mark', 'NXM_NX_CT_MARK', 32, 'int'),
  // set by OVS itself while it looks up a conjunctive match's action flow (ovs-fields(7) "Conjunctive Match")
  conj_id: f('conj_id', 'NXM_NX_CONJ_ID', 32, 'int'),
  // 128 bits = reg8..reg11 (OVS meta-flow: xxreg2 overlays them); encoded as an OXM experimenter field on 1.3
  xxreg2: f('xxreg2', 'NXM_NX_XXREG2', 128, 'int'),
}

/** The typed value a builder accepts per field; a prefix or Bits carries its own mask. */
export interface FieldValues {
  in_port: OfPort
  /** OFPVID_PRESENT | VID, OFPVID_NONE, or Bits to match "any tag" (OFPVID_PRESENT/OFPVID_PRESENT, §7.2.3.8) */
  vlan_vid: number | Bits
  tun_id: Key
  tun_dst: Ipv4Address
  eth_src: MacAddress | MaskedMac
  eth_dst: MacAddress
  eth_type: number
  ip_proto: number
  nw_ttl: number
  nw_src: Ipv4Address | Cidr<Ipv4Address>
  nw_dst: Ipv4Address | Cidr<Ipv4Address>
  /** Bits of FRAG_ANY / FRAG_LATER (ovs-fields(7) nw_frag) */
  nw_frag: Bits
  icmp_type: number
  ipv6_src: Ipv6Address | Cidr<Ipv6Address>
  ipv6_dst: Ipv6Address | Cidr<Ipv6Address>
  icmpv6_type: number
  nd_target: Ipv6Address
  udp_src: number
  /** a port, or Bits for a range piece (port_range.ts) */
  udp_dst: number | Bits
  tcp_dst: number | Bits
  sctp_dst: number | Bits
  icmp_code: number
  icmpv6_code: number
  ct_state: CtState
  /** a conntrack zone (16 bits) */
  ct_zone: number
  ct_mark: Bits
  /** a conjunction id (layout.ts conjIdOf) */
  conj_id: Key
  arp_op: number
  arp_spa: Ipv4Address | Cidr<Ipv4Address>
  arp_tpa: Ipv4Address | Cidr<Ipv4Address>
  arp_sha: MacAddress
  arp_tha: MacAddress
  reg0: Key
  reg1: Key
  reg2: Key
  reg3: Key
  reg4: Ipv4Address
  reg5: Bits
  reg6: Key
  reg7: Key
  xxreg2: Ipv6Address
}

/** Ethernet types and IP protocols the emitters select on (IEEE 802 numbers, IANA protocol numbers). */
export const ETH_TYPE_IPV4 = 0x0800
export const ETH_TYPE_ARP = 0x0806
export const ETH_TYPE_IPV6 = 0x86dd
export const IP_PROTO_ICMP = 1
export const IP_PROTO_TCP = 6
export const IP_PROTO_UDP = 17
export const IP_PROTO_ICMPV6 = 58
export const IP_PROTO_SCTP = 132
/** RFC 3828 UDP-Lite: OVS parses no ports for it (lib/flow.c), so a port range on it cannot be matched */
export const IP_PROTO_UDPLITE = 136
/** RFC 792 echo request / reply, RFC 4443 4.1-4.2 echo request / reply */
export const ICMP_ECHO_REQUEST = 8
export const ICMP_ECHO_REPLY = 0
export const ICMPV6_ECHO_REQUEST = 128
export const ICMPV6_ECHO_REPLY = 129
/** RFC 4861 4.3 neighbour solicitation */
export const ICMPV6_ND_NS = 135
/** RFC 4861 4.4 neighbour advertisement */
export const ICMPV6_ND_NA = 136
/** BEHAVIOUR.md §7: the echo reply leaves with TTL / hop limit 64 */
export const ECHO_REPLY_TTL = 64
/** RFC 4443 2.1: the ICMPv6 error messages defined there (destination unreachable, packet too big, time exceeded,
 * parameter problem) */
export const ICMPV6_ERROR_TYPES = [1, 2, 3, 4]
/** RFC 792 / RFC 1122 3.2.2: ICMP error types (destination unreachable, source quench, redirect, time
 * exceeded, parameter problem), never answered with another error */
export const ICMP_ERROR_TYPES = [3, 4, 5, 11, 12]
/** ovs-fields(7) nw_frag bits: any fragment, a later (non-first) fragment */
export const NW_FRAG_ANY = 1
export const NW_FRAG_LATER = 2
/** RFC 826: ar$op 1 = REQUEST, 2 = REPLY */
export const ARP_OP_REQUEST = 1
export const ARP_OP_REPLY = 2
/** RFC 2131 4.1: server port 67, client port 68 */
export const UDP_PORT_DHCP_SERVER = 67
export const UDP_PORT_DHCP_CLIENT = 68
/** OpenFlow 1.3.5 §7.2.3.8: OFPVID_PRESENT marks a tagged frame; OFPVID_NONE (0) an untagged one. */
export const OFPVID_PRESENT = 0x1000
export const OFPVID_NONE = 0x0000
