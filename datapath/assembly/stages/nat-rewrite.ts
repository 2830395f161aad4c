// Address rewrites of lr_in_dnat and lr_out_snat (BEHAVIOUR.md "Ways in and out"): the IPv4 header checksum
// and the L4 checksum that covers the address (TCP, UDP, ICMPv6 pseudo-header) are updated incrementally
// (RFC 1624); a zero UDP checksum means "none" and stays zero. ICMP errors also get the quoted header's
// address rewritten (with the quoted checksums and the ICMP checksum), so the sender recognises its packet.
import { copy16, equals16, ld16, st16 } from '../codec/bytes'
import { updateChecksum16, updateChecksumBytes } from '../codec/checksum'
import { ICMPV6_ERROR_MAX, ICMP_CHECKSUM, ICMP_HEADER_BYTES, ICMP_TYPE, isIcmpError } from '../codec/icmp'
import {
  IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, IPV4_CHECKSUM, IPV4_DST, IPV4_FLAGS_FRAG,
  IPV4_FRAG_OFFSET_MASK, IPV4_MIN_HEADER_BYTES, IPV4_PROTO, IPV4_SRC, IPV4_VER_IHL,
} from '../codec/ipv4'
import { IPV6_DST, IPV6_HEADER_BYTES, IPV6_NEXT_HEADER, IPV6_SRC } from '../codec/ipv6'
import { UDP_CHECKSUM } from '../codec/udp'
import { pkt } from '../pipeline/packet'

const TCP_CHECKSUM: usize = 16

/** The 16-byte form of an address field (IPv4 zero-padded), to compare with a nat record's addresses. */
const padded: usize = memory.data(16)

/** Whether the `family` address at `field` equals the record address `addr` (16 bytes, IPv4 padded). */
export function sameAddress(family: u32, field: usize, addr: usize): bool {
  if (family == 4) return load<u32>(field) == load<u32>(addr)
  return equals16(field, addr)
}

/** Where the checksum covering the addresses of an L4 segment of `proto` at `l4` is, or 0 (absent, or none). */
function l4ChecksumAt(family: u32, proto: u32, l4: usize, end: usize): usize {
  let at: usize = 0
  if (proto == IPPROTO_TCP) at = l4 + TCP_CHECKSUM
  else if (proto == IPPROTO_UDP) at = l4 + UDP_CHECKSUM
  else if (proto == IPPROTO_ICMPV6 && family == 6) at = l4 + ICMP_CHECKSUM
  if (at == 0 || at + 2 > end) return 0
  if (proto == IPPROTO_UDP && ld16(at) == 0) return 0 // no checksum (RFC 768): stays zero
  return at
}

/** Updates the checksum at `at` for the address bytes changing from `old` to `now`. */
function adjust(at: usize, proto: u32, old: usize, now: usize, bytes: i32): void {
  if (at == 0) return
  let c = updateChecksumBytes(ld16(at), old, now, bytes)
  if (c == 0 && proto == IPPROTO_UDP) c = 0xffff // a computed zero is sent as all ones (RFC 768)
  st16(at, c)
}

/** Rewrites the packet's source (`source`) or destination to `addr` (16 bytes, IPv4 in the first 4). */
export function rewriteAddress(source: bool, addr: usize): void {
  const v4 = pkt.family == 4
  const field = pkt.l3 + (v4 ? (source ? IPV4_SRC : IPV4_DST) : (source ? IPV6_SRC : IPV6_DST))
  const bytes = v4 ? 4 : 16
  if (v4) st16(pkt.l3 + IPV4_CHECKSUM, updateChecksumBytes(ld16(pkt.l3 + IPV4_CHECKSUM), field, addr, 4))
  if (!pkt.laterFragment && pkt.l4 != 0) {
    adjust(l4ChecksumAt(pkt.family, pkt.proto, pkt.l4, pkt.ipEnd), pkt.proto, field, addr, bytes)
  }
  memory.copy(field, addr, <usize>bytes)
}

/** An ICMP error (v4 or v6) whose quote this datapath can read: first fragment, IP header quoted whole. */
function quotedHeader(): usize {
  if (pkt.laterFragment || pkt.l4 == 0) return 0
  const type = <u32>load<u8>(pkt.l4 + ICMP_TYPE)
  const inner = pkt.l4 + <usize>ICMP_HEADER_BYTES
  if (pkt.family == 4) {
    if (pkt.proto != IPPROTO_ICMP || !isIcmpError(type)) return 0
    if (inner + <usize>IPV4_MIN_HEADER_BYTES > pkt.ipEnd || (<u32>load<u8>(inner + IPV4_VER_IHL) >> 4) != 4) return 0
    return inner
  }
  if (pkt.proto != IPPROTO_ICMPV6 || type > ICMPV6_ERROR_MAX) return 0
  if (inner + <usize>IPV6_HEADER_BYTES > pkt.ipEnd || (<u32>load<u8>(inner) >> 4) != 6) return 0
  return inner
}

/**
 * In an ICMP error, the quoted packet's source (`source`) or destination equal to `from` becomes `to` (both
 * 16 bytes, IPv4 padded); true when it was rewritten.
 */
export function rewriteQuoted(source: bool, from: usize, to: usize): bool {
  const inner = quotedHeader()
  if (inner == 0) return false
  const v4 = pkt.family == 4
  const field = inner + (v4 ? (source ? IPV4_SRC : IPV4_DST) : (source ? IPV6_SRC : IPV6_DST))
  if (!sameAddress(pkt.family, field, from)) return false
  const bytes = v4 ? 4 : 16
  const icmpSum = pkt.l4 + ICMP_CHECKSUM
  const end = pkt.ipEnd
  // The quoted L4 checksum covers the quoted addresses (when the quote reaches it).
  let proto: u32
  let l4: usize
  if (v4) {
    proto = <u32>load<u8>(inner + IPV4_PROTO)
    l4 = (ld16(inner + IPV4_FLAGS_FRAG) & IPV4_FRAG_OFFSET_MASK) != 0 ? 0
      : inner + <usize>((<u32>load<u8>(inner + IPV4_VER_IHL) & 0xf) << 2)
  } else {
    proto = <u32>load<u8>(inner + IPV6_NEXT_HEADER)
    l4 = inner + <usize>IPV6_HEADER_BYTES
  }
  const at = l4 == 0 ? 0 : l4ChecksumAt(pkt.family, proto, l4, end)
  if (at != 0) {
    copy16(padded, at) // the old checksum word (2 bytes used)
    adjust(at, proto, field, to, bytes)
    st16(icmpSum, updateChecksumBytes(ld16(icmpSum), padded, at, 2))
  }
  if (v4) {
    const hc = inner + IPV4_CHECKSUM
    copy16(padded, hc)
    st16(hc, updateChecksumBytes(ld16(hc), field, to, 4))
    st16(icmpSum, updateChecksumBytes(ld16(icmpSum), padded, hc, 2))
  }
  // ICMP's own checksum over the changed address (ICMPv6 also over its pseudo-header, updated with the outer)
  st16(icmpSum, updateChecksumBytes(ld16(icmpSum), field, to, bytes))
  memory.copy(field, to, <usize>bytes)
  return true
}

/**
 * Sets the 16-bit field at `field` (a port, an ICMP echo identifier) to `value`, updating the checksum at
 * `sumAt` (0: none) incrementally (RFC 1624); `udp`: a zero checksum is "none" and stays zero (RFC 768).
 */
export function rewrite16(field: usize, value: u32, sumAt: usize, udp: bool): void {
  const old = ld16(field)
  if (sumAt != 0 && !(udp && ld16(sumAt) == 0)) {
    let c = updateChecksum16(ld16(sumAt), old, value)
    if (c == 0 && udp) c = 0xffff
    st16(sumAt, c)
  }
  st16(field, value)
}

/**
 * In an ICMP error, sets the quoted 16-bit field at `field` to `value`: the quoted checksum at `quotedSumAt`
 * (0: not in the quote) and the ICMP checksum (which covers both words) are updated.
 */
export function rewriteQuoted16(field: usize, value: u32, quotedSumAt: usize, udp: bool): void {
  const icmpSum = pkt.l4 + ICMP_CHECKSUM
  const old = ld16(field)
  let sum = updateChecksum16(ld16(icmpSum), old, value)
  if (quotedSumAt != 0 && !(udp && ld16(quotedSumAt) == 0)) {
    const oldSum = ld16(quotedSumAt)
    let c = updateChecksum16(oldSum, old, value)
    if (c == 0 && udp) c = 0xffff
    st16(quotedSumAt, c)
    sum = updateChecksum16(sum, oldSum, c)
  }
  st16(icmpSum, sum)
  st16(field, value)
}
