// ICMP errors for packets the router cannot forward: time exceeded and destination unreachable
// (RFC 792, RFC 4443 3.1 and 3.3), generated on the slow path and rate limited per ingress port
// (RFC 1812 4.3.2.8; RFC 4443 2.4 (f)). Batch mode punts; packets that must never get an error are dropped.
import { STAGE_L3_ROUTE } from '../../spec/stages'
import { TRACE_DROP, TRACE_KIND_ICMP_ERROR, TRACE_PUNT } from '../../spec/trace'
import { REASON_ICMP_RATE_LIMIT, REASON_PUNT_ICMP_ERROR } from '../../spec/verdicts'
import { copy16, copyMac, ld32, st16, st32 } from '../codec/bytes'
import { checksumOf } from '../codec/checksum'
import { ETH_DST, ETH_HEADER_BYTES, ETH_SRC, ETH_TYPE, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../codec/ethernet'
import {
  ICMPV6_ERROR_MAX, ICMP_CHECKSUM, ICMP_CODE, ICMP_HEADER_BYTES, ICMP_QUOTE_DATA_BYTES, ICMP_TYPE, isIcmpError,
} from '../codec/icmp'
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPV4_DST, IPV4_MIN_HEADER_BYTES, IPV4_SRC, ORIGINATED_TTL, isIpv4MulticastOrBroadcast } from '../codec/ipv4'
import {
  IPV6_DST, IPV6_HEADER_BYTES, IPV6_HOP_LIMIT, IPV6_MIN_MTU, IPV6_NEXT_HEADER, IPV6_PAYLOAD_LEN, IPV6_SRC,
  IPV6_VER_TC_FLOW, isIpv6Multicast, isIpv6Unspecified,
} from '../codec/ipv6'
import { writeL4Checksum } from '../codec/l4-checksum'
import { pkt } from '../pipeline/packet'
import { replyBuffer, writeIpv4Header } from '../pipeline/reply'
import { step, traceAddr } from '../pipeline/trace'
import { drop, punt } from '../pipeline/verdict'
import { ExactTable, clearKey, key } from '../tables/exact-table'
import { firstAddress, routerPort } from '../tables/router-ports'
import { BUCKET_BYTES, takeToken } from '../tables/token-bucket'

/** Errors per second per ingress port, and the burst (BEHAVIOUR.md step 7). */
const ICMP_ERRORS_PER_SECOND: f64 = 10
/** in_port u32 -> token bucket */
const buckets = new ExactTable(BUCKET_BYTES, 64)

export function clearIcmpErrorLimits(): void {
  buckets.clear()
}

/**
 * RFC 1122 3.2.2 and RFC 4443 2.4 (e): no error about an error, a packet to a group or broadcast address,
 * a packet from an address that does not name one host, or a later fragment.
 */
function mayAnswer(): bool {
  if (pkt.laterFragment) return false
  const ip = pkt.l3
  if (pkt.family == 4) {
    const src = ld32(ip + IPV4_SRC)
    if (isIpv4MulticastOrBroadcast(ld32(ip + IPV4_DST)) || src == 0 || isIpv4MulticastOrBroadcast(src)) return false
    return !(pkt.proto == IPPROTO_ICMP && isIcmpError(<u32>load<u8>(pkt.l4 + ICMP_TYPE)))
  }
  if (isIpv6Multicast(ip + IPV6_DST) || isIpv6Multicast(ip + IPV6_SRC) || isIpv6Unspecified(ip + IPV6_SRC)) return false
  return !(pkt.proto == IPPROTO_ICMPV6 && <u32>load<u8>(pkt.l4 + ICMP_TYPE) <= ICMPV6_ERROR_MAX)
}

/** Punts (batch) or answers (packet-in) with an ICMP error of `type`/`code`; drops with `reason` when not allowed. */
export function icmpErrorOrDrop(type: u32, code: u32, reason: i32): bool {
  if (!mayAnswer()) {
    step(STAGE_L3_ROUTE, TRACE_DROP, TRACE_KIND_ICMP_ERROR, reason, type, code, 0)
    return drop(reason)
  }
  if (pkt.slowPath) {
    clearKey()
    store<u32>(key, pkt.inPort)
    if (!takeToken(buckets.upsert(), ICMP_ERRORS_PER_SECOND, pkt.nowMs)) {
      step(STAGE_L3_ROUTE, TRACE_DROP, TRACE_KIND_ICMP_ERROR, REASON_ICMP_RATE_LIMIT, type, code, 0)
      return drop(REASON_ICMP_RATE_LIMIT)
    }
    buildError(type, code)
  }
  const t = step(STAGE_L3_ROUTE, TRACE_PUNT, TRACE_KIND_ICMP_ERROR, REASON_PUNT_ICMP_ERROR, type, code, 0)
  traceAddr(t, pkt.family, 0, pkt.l3 + (pkt.family == 4 ? IPV4_SRC : IPV6_SRC))
  return punt(REASON_PUNT_ICMP_ERROR)
}

/** The error in the reply buffer, from the ingress router port, back to the sender. */
function buildError(type: u32, code: u32): void {
  const rec = routerPort(pkt.routerPort)
  const source: usize = rec == 0 ? 0 : firstAddress(rec, pkt.family)
  if (source == 0) return // the port has no address of this family to speak from
  const frame = replyBuffer()
  copyMac(frame + ETH_DST, pkt.base + ETH_SRC)
  copyMac(frame + ETH_SRC, pkt.base + ETH_DST)
  const ip = frame + <usize>ETH_HEADER_BYTES
  const orig = pkt.l3
  let total: i32
  if (pkt.family == 4) {
    st16(frame + ETH_TYPE, ETHERTYPE_IPV4)
    // RFC 792: the original IP header and the first 64 bits of its data.
    const quote = <i32>(pkt.l4 - orig) + <i32>min(<usize>ICMP_QUOTE_DATA_BYTES, pkt.ipEnd - pkt.l4)
    const icmp = ip + <usize>IPV4_MIN_HEADER_BYTES
    writeIcmpHeader(icmp, type, code)
    memory.copy(icmp + <usize>ICMP_HEADER_BYTES, orig, <usize>quote)
    const icmpLen = ICMP_HEADER_BYTES + quote
    st16(icmp + ICMP_CHECKSUM, checksumOf(icmp, icmpLen))
    writeIpv4Header(ip, IPPROTO_ICMP, icmpLen, ld32(source), ld32(orig + IPV4_SRC))
    total = IPV4_MIN_HEADER_BYTES + icmpLen
  } else {
    st16(frame + ETH_TYPE, ETHERTYPE_IPV6)
    // RFC 4443 2.4 (c): as much of the original as fits in the minimum MTU.
    const room = IPV6_MIN_MTU - IPV6_HEADER_BYTES - ICMP_HEADER_BYTES
    const quote = <i32>min(<usize>room, pkt.ipEnd - orig)
    const icmp = ip + <usize>IPV6_HEADER_BYTES
    writeIcmpHeader(icmp, type, code)
    memory.copy(icmp + <usize>ICMP_HEADER_BYTES, orig, <usize>quote)
    const icmpLen = ICMP_HEADER_BYTES + quote
    st32(ip + IPV6_VER_TC_FLOW, 0x60000000)
    st16(ip + IPV6_PAYLOAD_LEN, <u32>icmpLen)
    store<u8>(ip + IPV6_NEXT_HEADER, <u8>IPPROTO_ICMPV6)
    store<u8>(ip + IPV6_HOP_LIMIT, <u8>ORIGINATED_TTL)
    copy16(ip + IPV6_SRC, source)
    copy16(ip + IPV6_DST, orig + IPV6_SRC)
    writeL4Checksum(6, ip, IPPROTO_ICMPV6, icmp, icmpLen, ICMP_CHECKSUM)
    total = IPV6_HEADER_BYTES + icmpLen
  }
  pkt.replyLen = ETH_HEADER_BYTES + total
  pkt.replyPort = pkt.inPort
}

/** Type, code, zero checksum and the 4 unused bytes (RFC 792 / RFC 4443 3.1). */
function writeIcmpHeader(icmp: usize, type: u32, code: u32): void {
  store<u8>(icmp + ICMP_TYPE, <u8>type)
  store<u8>(icmp + ICMP_CODE, <u8>code)
  store<u32>(icmp + ICMP_CHECKSUM, 0)
  store<u32>(icmp, 0, 4)
}
