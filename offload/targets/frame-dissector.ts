// What a target's classifier sees of a frame: the headers a flow key is made of, as the kernel flow dissector
// (TC flower), an rte_flow pattern or a P4 parser extracts them. It validates nothing a NIC parser does not:
// no checksums, no ARP sanity (BEHAVIOUR.md §1 validation stays a known gap of the targets, see known-gaps.ts).
import { Ipv4Address, Ipv6Address, MacAddress, type IpAddress } from '../../datapath/host/addresses.js'

export const ETH_TYPE_IPV4 = 0x0800
export const ETH_TYPE_ARP = 0x0806
export const ETH_TYPE_VLAN = 0x8100
export const ETH_TYPE_IPV6 = 0x86dd
export const IP_PROTO_ICMP = 1
export const IP_PROTO_TCP = 6
export const IP_PROTO_UDP = 17
export const IP_PROTO_ICMPV6 = 58
/** RFC 7348 §5 */
export const UDP_PORT_VXLAN = 4789
/** RFC 8926 §3.3 */
export const UDP_PORT_GENEVE = 6081

export interface FrameKey {
  eth_dst: MacAddress
  eth_src: MacAddress
  /** 802.1Q VID when tagged */
  vlan?: number
  /** ethertype after the tag */
  eth_type: number
  /** offset of the L3 header */
  l3: number
  ip_src?: IpAddress
  ip_dst?: IpAddress
  ip_proto?: number
  /** TTL / hop limit and its offset */
  ttl?: number
  ttlAt?: number
  src_port?: number
  dst_port?: number
  icmp_type?: number
  icmp_code?: number
  /** TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10) */
  tcp_flags?: number
  /** IPv4: a fragment (MF set or offset non-zero); later fragments carry no L4 fields */
  frag?: boolean
  arp_op?: number
  arp_sha?: MacAddress
  arp_spa?: Ipv4Address
  arp_tpa?: Ipv4Address
  /** VXLAN / Geneve: the VNI and where the inner frame starts */
  tunnel?: { vni: number; inner: number }
}

/** undefined when not even an Ethernet header is there (the target never sees such a frame as a flow). */
export function dissect(b: Uint8Array): FrameKey | undefined {
  if (b.length < 14) return undefined
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const k: FrameKey = {
    eth_dst: MacAddress.fromBytes(b.subarray(0, 6)),
    eth_src: MacAddress.fromBytes(b.subarray(6, 12)),
    eth_type: v.getUint16(12),
    l3: 14,
  }
  if (k.eth_type === ETH_TYPE_VLAN) {
    if (b.length < 18) return k
    k.vlan = v.getUint16(14) & 0x0fff
    k.eth_type = v.getUint16(16)
    k.l3 = 18
  }
  const at = k.l3
  if (k.eth_type === ETH_TYPE_ARP && b.length >= at + 28) {
    k.arp_op = v.getUint16(at + 6)
    k.arp_sha = MacAddress.fromBytes(b.subarray(at + 8, at + 14))
    k.arp_spa = Ipv4Address.fromBytes(b.subarray(at + 14, at + 18))
    k.arp_tpa = Ipv4Address.fromBytes(b.subarray(at + 24, at + 28))
  } else if (k.eth_type === ETH_TYPE_IPV4 && b.length >= at + 20) {
    k.ip_src = Ipv4Address.fromBytes(b.subarray(at + 12, at + 16))
    k.ip_dst = Ipv4Address.fromBytes(b.subarray(at + 16, at + 20))
    k.ip_proto = v.getUint8(at + 9)
    k.ttl = v.getUint8(at + 8)
    k.ttlAt = at + 8
    const flagsOffset = v.getUint16(at + 6)
    const laterFragment = (flagsOffset & 0x1fff) !== 0
    if (laterFragment || (flagsOffset & 0x2000) !== 0) k.frag = true // RFC 791: MF bit, fragment offset
    if (!laterFragment) l4(k, v, at + (v.getUint8(at) & 0x0f) * 4)
  } else if (k.eth_type === ETH_TYPE_IPV6 && b.length >= at + 40) {
    k.ip_src = Ipv6Address.fromBytes(b.subarray(at + 8, at + 24))
    k.ip_dst = Ipv6Address.fromBytes(b.subarray(at + 24, at + 40))
    k.ip_proto = v.getUint8(at + 6)
    k.ttl = v.getUint8(at + 7)
    k.ttlAt = at + 7
    l4(k, v, at + 40)
  }
  return k
}

function l4(k: FrameKey, v: DataView, at: number): void {
  if (k.ip_proto === IP_PROTO_ICMP || k.ip_proto === IP_PROTO_ICMPV6) {
    if (v.byteLength > at) k.icmp_type = v.getUint8(at)
    if (v.byteLength > at + 1) k.icmp_code = v.getUint8(at + 1)
    return
  }
  if ((k.ip_proto !== IP_PROTO_UDP && k.ip_proto !== IP_PROTO_TCP) || v.byteLength < at + 8) return
  k.src_port = v.getUint16(at)
  k.dst_port = v.getUint16(at + 2)
  if (k.ip_proto === IP_PROTO_TCP && v.byteLength >= at + 14) k.tcp_flags = v.getUint8(at + 13) // RFC 9293 §3.1
  if (k.ip_proto !== IP_PROTO_UDP || !(k.ip_dst instanceof Ipv4Address)) return
  // the tunnel netdev's decap: VXLAN header (8 bytes), Geneve header (8 + options)
  if (k.dst_port === UDP_PORT_VXLAN && v.byteLength >= at + 16) {
    k.tunnel = { vni: v.getUint32(at + 12) >>> 8, inner: at + 16 }
  } else if (k.dst_port === UDP_PORT_GENEVE && v.byteLength >= at + 16) {
    const optLen = (v.getUint8(at + 8) & 0x3f) * 4
    k.tunnel = { vni: v.getUint32(at + 12) >>> 8, inner: at + 16 + optLen }
  }
}

export const isV6 = (text: string): boolean => text.includes(':')
