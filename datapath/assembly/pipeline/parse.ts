// Parsing and validation of the frame (BEHAVIOUR.md "Order of checks", step 1): every read is checked against
// the frame length first, so no input can make the datapath trap. Returns a reason code, 0 when well formed.
import {
  REASON_BAD_ARP, REASON_BAD_IPV4_CHECKSUM, REASON_BAD_IPV4_HEADER, REASON_BAD_IPV6_EXT,
  REASON_BAD_IPV6_HEADER, REASON_BAD_VLAN, REASON_NONE, REASON_SRC_MAC_MULTICAST, REASON_TRUNCATED,
} from '../../spec/verdicts'
import {
  ARP_BYTES, ARP_HLEN, ARP_HTYPE, ARP_HTYPE_ETHERNET, ARP_OP, ARP_OP_REPLY, ARP_OP_REQUEST, ARP_PLEN, ARP_PTYPE,
} from '../codec/arp'
import { ld16 } from '../codec/bytes'
import { checksumOf } from '../codec/checksum'
import {
  ETH_ADDR_BYTES, ETH_HEADER_BYTES, ETH_SRC, ETH_TYPE, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6,
  ETHERTYPE_VLAN, VLAN_TAG_BYTES, VLAN_TCI, VLAN_VID_MASK, isGroupMac,
} from '../codec/ethernet'
import { ICMP_HEADER_BYTES } from '../codec/icmp'
import {
  IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_ROUTING, IPPROTO_TCP,
  IPPROTO_UDP, IPV4_FLAGS_FRAG, IPV4_FLAG_MF, IPV4_FRAG_OFFSET_MASK, IPV4_MIN_HEADER_BYTES, IPV4_PROTO,
  IPV4_TOTAL_LEN, IPV4_VER_IHL,
} from '../codec/ipv4'
import {
  IPV6_FRAG_HEADER_BYTES, IPV6_FRAG_OFFSET_MASK, IPV6_FRAG_OFFSET_WORD, IPV6_HEADER_BYTES,
  IPV6_MAX_EXT_HEADERS, IPV6_NEXT_HEADER, IPV6_PAYLOAD_LEN,
} from '../codec/ipv6'
import { TCP_DATA_OFFSET, TCP_MIN_HEADER_BYTES } from '../codec/tcp'
import { UDP_HEADER_BYTES } from '../codec/udp'
import { PROTO_NONE, bytesFrom, pkt } from './packet'

// IPv4 options (RFC 791 3.1): end of list and no-operation are one byte, the rest carry a length.
const IPOPT_END: u32 = 0
const IPOPT_NOP: u32 = 1

export function parseFrame(): i32 {
  const base = pkt.base
  pkt.tagged = false
  pkt.vid = 0
  pkt.family = 0
  pkt.proto = PROTO_NONE
  pkt.l4 = 0
  pkt.ipEnd = 0
  pkt.fragment = false
  pkt.laterFragment = false
  if (pkt.len < ETH_HEADER_BYTES) return REASON_TRUNCATED
  let ethType = ld16(base + ETH_TYPE)
  let l3 = base + <usize>ETH_HEADER_BYTES
  if (ethType == ETHERTYPE_VLAN) {
    if (pkt.len < ETH_HEADER_BYTES + VLAN_TAG_BYTES) return REASON_BAD_VLAN
    pkt.tagged = true
    pkt.vid = ld16(base + VLAN_TCI) & VLAN_VID_MASK
    ethType = ld16(base + VLAN_TCI + 2)
    l3 += <usize>VLAN_TAG_BYTES
  }
  pkt.ethType = ethType
  pkt.l3 = l3
  let reason = REASON_NONE
  if (ethType == ETHERTYPE_ARP) reason = checkArp(l3)
  else if (ethType == ETHERTYPE_IPV4) reason = parseIpv4(l3)
  else if (ethType == ETHERTYPE_IPV6) reason = parseIpv6(l3)
  if (reason != REASON_NONE) return reason
  // A group address is never a valid source (IEEE 802 8.2); checked after the headers, malformed first.
  if (isGroupMac(base + ETH_SRC)) return REASON_SRC_MAC_MULTICAST
  return REASON_NONE
}

/** RFC 826 for IPv4 over Ethernet only. */
function checkArp(p: usize): i32 {
  if (bytesFrom(p) < ARP_BYTES) return REASON_BAD_ARP
  const op = ld16(p + ARP_OP)
  if (ld16(p + ARP_HTYPE) != ARP_HTYPE_ETHERNET || ld16(p + ARP_PTYPE) != ETHERTYPE_IPV4 ||
    <i32>load<u8>(p + ARP_HLEN) != ETH_ADDR_BYTES || load<u8>(p + ARP_PLEN) != 4 ||
    (op != ARP_OP_REQUEST && op != ARP_OP_REPLY)) return REASON_BAD_ARP
  return REASON_NONE
}

function parseIpv4(p: usize): i32 {
  const avail = bytesFrom(p)
  if (avail < IPV4_MIN_HEADER_BYTES) return REASON_BAD_IPV4_HEADER
  const verIhl = <u32>load<u8>(p + IPV4_VER_IHL)
  const ihl = <i32>(verIhl & 0xf) << 2
  const total = <i32>ld16(p + IPV4_TOTAL_LEN)
  if ((verIhl >> 4) != 4 || ihl < IPV4_MIN_HEADER_BYTES || total < ihl || total > avail) {
    return REASON_BAD_IPV4_HEADER
  }
  if (!optionsFit(p + <usize>IPV4_MIN_HEADER_BYTES, p + <usize>ihl)) return REASON_BAD_IPV4_HEADER
  if (checksumOf(p, ihl) != 0) return REASON_BAD_IPV4_CHECKSUM
  pkt.family = 4
  pkt.ipEnd = p + <usize>total
  pkt.proto = <u32>load<u8>(p + IPV4_PROTO)
  pkt.l4 = p + <usize>ihl
  const frag = ld16(p + IPV4_FLAGS_FRAG)
  pkt.fragment = (frag & (IPV4_FLAG_MF | IPV4_FRAG_OFFSET_MASK)) != 0
  pkt.laterFragment = (frag & IPV4_FRAG_OFFSET_MASK) != 0
  return checkL4()
}

/** Every option inside [p, end): a length that runs past the header is malformed (RFC 791 3.1). */
function optionsFit(p: usize, end: usize): bool {
  while (p < end) {
    const type = <u32>load<u8>(p)
    if (type == IPOPT_END) return true
    if (type == IPOPT_NOP) { p++; continue }
    if (p + 1 >= end) return false
    const len = <usize>load<u8>(p + 1)
    if (len < 2 || p + len > end) return false
    p += len
  }
  return true
}

function parseIpv6(p: usize): i32 {
  const avail = bytesFrom(p)
  if (avail < IPV6_HEADER_BYTES || (load<u8>(p) >> 4) != 6) return REASON_BAD_IPV6_HEADER
  const payload = <i32>ld16(p + IPV6_PAYLOAD_LEN)
  if (IPV6_HEADER_BYTES + payload > avail) return REASON_BAD_IPV6_HEADER
  const end = p + <usize>(IPV6_HEADER_BYTES + payload)
  let next = <u32>load<u8>(p + IPV6_NEXT_HEADER)
  let q = p + <usize>IPV6_HEADER_BYTES
  let seen = 0
  // Extension headers (RFC 8200 4): skipped, bounded in number and by the payload.
  while (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING || next == IPPROTO_FRAGMENT || next == IPPROTO_DSTOPTS) {
    if (++seen > IPV6_MAX_EXT_HEADERS || q + 8 > end) return REASON_BAD_IPV6_EXT
    let len: usize
    if (next == IPPROTO_FRAGMENT) {
      const word = ld16(q + IPV6_FRAG_OFFSET_WORD)
      pkt.fragment = true
      if ((word & IPV6_FRAG_OFFSET_MASK) != 0) pkt.laterFragment = true
      len = <usize>IPV6_FRAG_HEADER_BYTES
    } else {
      len = (<usize>load<u8>(q + 1) + 1) << 3 // Hdr Ext Len in 8-octet units, not counting the first 8
    }
    if (q + len > end) return REASON_BAD_IPV6_EXT
    next = <u32>load<u8>(q)
    q += len
  }
  pkt.family = 6
  pkt.ipEnd = end
  pkt.proto = next
  pkt.l4 = q
  return checkL4()
}

/** The L4 header must be inside the datagram unless this is a later fragment (which has none). */
function checkL4(): i32 {
  if (pkt.laterFragment) return REASON_NONE
  const room = <i32>(pkt.ipEnd - pkt.l4)
  const proto = pkt.proto
  if (proto == IPPROTO_TCP) {
    if (room < TCP_MIN_HEADER_BYTES) return REASON_TRUNCATED
    const dataOffset = <i32>(load<u8>(pkt.l4 + TCP_DATA_OFFSET) >> 4) << 2
    if (dataOffset < TCP_MIN_HEADER_BYTES || dataOffset > room) return REASON_TRUNCATED
  } else if (proto == IPPROTO_UDP) {
    if (room < UDP_HEADER_BYTES) return REASON_TRUNCATED
  } else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
    if (room < ICMP_HEADER_BYTES) return REASON_TRUNCATED
  }
  return REASON_NONE
}
