// The connection key of the packet (tables/conntrack.ts ctSetKey), as OVS's conn_key_extract() finds it:
// ports for TCP, UDP and SCTP (port 0 is invalid), type and identifier for ICMP echo / timestamp / information
// (code 0 only), addresses and protocol for everything else; an ICMP error (v4 types 3, 4, 5, 11, 12; v6
// types 1-4) takes the key of the packet it quotes, reversed, and is "related"; any other ICMP type cannot
// be tracked (invalid). L4 checksums are not verified (BEHAVIOUR.md "Checksums"; OVS would find them bad).
import { ld16 } from '../codec/bytes'
import {
  ICMP_CODE, ICMP_DEST_UNREACH, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_HEADER_BYTES, ICMP_PARAM_PROBLEM,
  ICMP_REDIRECT, ICMP_SOURCE_QUENCH, ICMP_TIME_EXCEEDED, ICMP_TYPE, ICMPV6_DEST_UNREACH, ICMPV6_ECHO_REPLY,
  ICMPV6_ECHO_REQUEST,
} from '../codec/icmp'
import {
  IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_ROUTING, IPPROTO_SCTP,
  IPPROTO_TCP, IPPROTO_UDP, IPV4_DST, IPV4_FLAGS_FRAG, IPV4_FRAG_OFFSET_MASK, IPV4_MIN_HEADER_BYTES, IPV4_PROTO, IPV4_SRC,
  IPV4_VER_IHL,
} from '../codec/ipv4'
import { IPV6_DST, IPV6_HEADER_BYTES, IPV6_MAX_EXT_HEADERS, IPV6_NEXT_HEADER, IPV6_SRC } from '../codec/ipv6'
import { TCP_DATA_OFFSET, TCP_MIN_HEADER_BYTES } from '../codec/tcp'
import { UDP_DST_PORT, UDP_HEADER_BYTES, UDP_LEN, UDP_SRC_PORT } from '../codec/udp'
import { pkt } from '../pipeline/packet'
import { ctSetKey } from '../tables/conntrack'

export const CTK_OK: i32 = 0
export const CTK_INVALID: i32 = 1
/** An ICMP error quoting a packet: the key is that packet's connection, in the direction of the error. */
export const CTK_RELATED: i32 = 2

/** SCTP's common header (RFC 9260 3.1): ports at 0 and 2. */
const SCTP_HEADER_BYTES: i32 = 12
// ICMP timestamp and information messages (RFC 792), which OVS tracks like echo.
const ICMP_TIMESTAMP: u32 = 13
const ICMP_TIMESTAMP_REPLY: u32 = 14
const ICMP_INFO_REQUEST: u32 = 15
const ICMP_INFO_REPLY: u32 = 16
/** ICMPv6 packet too big, time exceeded, parameter problem (RFC 4443 3.2-3.4), with destination unreachable. */
const ICMPV6_PARAM_PROBLEM: u32 = 4
/** An ICMPv4 error quotes at least 8 bytes of the datagram's data (RFC 792), OVS's ICMP_ERROR_DATA_L4_LEN. */
const ICMP_ERROR_L4_BYTES: i32 = 8
const ICMP_ID: usize = 4

/** Whether the last key may start a connection (ICMP: only a request; everything else yes). */
export let keyMayStart = true

/** Sets the key of the packet in `zone`; CTK_*. */
export function packetKey(zone: u32): i32 {
  keyMayStart = true
  const family = pkt.family
  const l3 = pkt.l3
  const src = l3 + (family == 4 ? IPV4_SRC : IPV6_SRC)
  const dst = l3 + (family == 4 ? IPV4_DST : IPV6_DST)
  const proto = pkt.proto
  const l4 = pkt.l4
  const room = <i32>(pkt.ipEnd - l4)
  if (proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP) {
    if (!portsValid(proto, l4, room, false)) return CTK_INVALID
    ctSetKey(zone, family, proto, src, ld16(l4), dst, ld16(l4 + 2))
    return CTK_OK
  }
  if ((family == 4 && proto == IPPROTO_ICMP) || (family == 6 && proto == IPPROTO_ICMPV6)) {
    return icmpKey(zone, family, src, dst, l4, room)
  }
  ctSetKey(zone, family, proto, src, 0, dst, 0)
  return CTK_OK
}

/** OVS's check_l4_* length checks and "port 0 is invalid"; `quoted` = inside an ICMP error (shorter data). */
function portsValid(proto: u32, l4: usize, room: i32, quoted: bool): bool {
  if (quoted) {
    if (room < (pkt.family == 4 ? ICMP_ERROR_L4_BYTES : proto == IPPROTO_TCP ? TCP_MIN_HEADER_BYTES : 8)) return false
  } else if (proto == IPPROTO_TCP) {
    const offset = <i32>(load<u8>(l4 + TCP_DATA_OFFSET) >> 4) << 2
    if (room < TCP_MIN_HEADER_BYTES || offset < TCP_MIN_HEADER_BYTES || offset > room) return false
  } else if (proto == IPPROTO_UDP) {
    if (room < UDP_HEADER_BYTES) return false
    const len = <i32>ld16(l4 + UDP_LEN)
    // a first fragment carries only part of the datagram its length field counts
    if (len < UDP_HEADER_BYTES || (len > room && !pkt.fragment)) return false
  } else if (room < SCTP_HEADER_BYTES) {
    return false
  }
  return ld16(l4 + UDP_SRC_PORT) != 0 && ld16(l4 + UDP_DST_PORT) != 0
}

/** The reply type of an ICMP query type, or 0xff when `type` is not a query OVS tracks. */
function queryPair(family: u32, type: u32): u32 {
  if (family == 4) {
    if (type == ICMP_ECHO_REQUEST) return ICMP_ECHO_REPLY
    if (type == ICMP_ECHO_REPLY) return ICMP_ECHO_REQUEST
    if (type == ICMP_TIMESTAMP) return ICMP_TIMESTAMP_REPLY
    if (type == ICMP_TIMESTAMP_REPLY) return ICMP_TIMESTAMP
    if (type == ICMP_INFO_REQUEST) return ICMP_INFO_REPLY
    if (type == ICMP_INFO_REPLY) return ICMP_INFO_REQUEST
    return 0xff
  }
  if (type == ICMPV6_ECHO_REQUEST) return ICMPV6_ECHO_REPLY
  if (type == ICMPV6_ECHO_REPLY) return ICMPV6_ECHO_REQUEST
  return 0xff
}

@inline function isRequest(family: u32, type: u32): bool {
  return family == 4 ? type == ICMP_ECHO_REQUEST || type == ICMP_TIMESTAMP || type == ICMP_INFO_REQUEST
    : type == ICMPV6_ECHO_REQUEST
}

@inline function isError(family: u32, type: u32): bool {
  return family == 4
    ? type == ICMP_DEST_UNREACH || type == ICMP_SOURCE_QUENCH || type == ICMP_REDIRECT ||
      type == ICMP_TIME_EXCEEDED || type == ICMP_PARAM_PROBLEM
    : type >= ICMPV6_DEST_UNREACH && type <= ICMPV6_PARAM_PROBLEM
}

function icmpKey(zone: u32, family: u32, src: usize, dst: usize, icmp: usize, room: i32): i32 {
  if (room < ICMP_HEADER_BYTES) return CTK_INVALID
  const type = <u32>load<u8>(icmp + ICMP_TYPE)
  const reverse = queryPair(family, type)
  if (reverse != 0xff) {
    if (load<u8>(icmp + ICMP_CODE) != 0) return CTK_INVALID
    const id = ld16(icmp + ICMP_ID)
    keyMayStart = isRequest(family, type)
    ctSetKey(zone, family, family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6, src, (type << 16) | id, dst, (reverse << 16) | id)
    return CTK_OK
  }
  if (!isError(family, type)) return CTK_INVALID
  return quotedKey(zone, family, dst, icmp + <usize>ICMP_HEADER_BYTES, pkt.ipEnd)
}

/**
 * The key of an ICMP error: the quoted packet's, reversed (the quoted packet went the other way). Its source
 * must be the error's destination (OVS checks it for both families). Quoted fragments other than the first,
 * and quoted ICMP errors, cannot be related.
 */
function quotedKey(zone: u32, family: u32, outerDst: usize, ip: usize, end: usize): i32 {
  const avail = <i32>(end - ip)
  let proto: u32
  let l4: usize
  let src: usize
  let dst: usize
  if (family == 4) {
    if (avail < IPV4_MIN_HEADER_BYTES) return CTK_INVALID
    const ihl = <i32>(load<u8>(ip + IPV4_VER_IHL) & 0xf) << 2
    if (ihl < IPV4_MIN_HEADER_BYTES || ihl > avail) return CTK_INVALID
    if ((ld16(ip + IPV4_FLAGS_FRAG) & IPV4_FRAG_OFFSET_MASK) != 0) return CTK_INVALID
    proto = <u32>load<u8>(ip + IPV4_PROTO)
    src = ip + IPV4_SRC
    dst = ip + IPV4_DST
    if (load<u32>(src) != load<u32>(outerDst)) return CTK_INVALID
    l4 = ip + <usize>ihl
  } else {
    if (avail < IPV6_HEADER_BYTES) return CTK_INVALID
    src = ip + IPV6_SRC
    dst = ip + IPV6_DST
    if (load<u64>(src) != load<u64>(outerDst) || load<u64>(src, 8) != load<u64>(outerDst, 8)) return CTK_INVALID
    proto = <u32>load<u8>(ip + IPV6_NEXT_HEADER)
    l4 = ip + <usize>IPV6_HEADER_BYTES
    let seen = 0
    while (proto == IPPROTO_HOPOPTS || proto == IPPROTO_ROUTING || proto == IPPROTO_DSTOPTS || proto == IPPROTO_FRAGMENT) {
      // a quoted fragment is not tracked (OVS: extract_l3_ipv6() refuses fragments)
      if (proto == IPPROTO_FRAGMENT || ++seen > IPV6_MAX_EXT_HEADERS || l4 + 8 > end) return CTK_INVALID
      const len = (<usize>load<u8>(l4 + 1) + 1) << 3
      if (l4 + len > end) return CTK_INVALID
      proto = <u32>load<u8>(l4)
      l4 += len
    }
  }
  const room = <i32>(end - l4)
  if (proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP) {
    if (!portsValid(proto, l4, room, true)) return CTK_INVALID
    ctSetKey(zone, family, proto, dst, ld16(l4 + 2), src, ld16(l4))
  } else if ((family == 4 && proto == IPPROTO_ICMP) || (family == 6 && proto == IPPROTO_ICMPV6)) {
    if (room < ICMP_HEADER_BYTES) return CTK_INVALID
    const type = <u32>load<u8>(l4 + ICMP_TYPE)
    const reverse = queryPair(family, type)
    if (reverse == 0xff || load<u8>(l4 + ICMP_CODE) != 0) return CTK_INVALID
    const id = ld16(l4 + ICMP_ID)
    ctSetKey(zone, family, proto, dst, (reverse << 16) | id, src, (type << 16) | id)
  } else {
    ctSetKey(zone, family, proto, dst, 0, src, 0)
  }
  return CTK_RELATED
}
