// Router solicitations (RFC 4861 6.1.1, 6.2.6) answered with the router port's advertisement (RFC 4861 4.2,
// 6.2.3), part of ls_in_arp_nd_rsp (BEHAVIOUR.md step 5). Batch mode punts; packet-in mode validates the
// solicitation and builds the advertisement in the reply buffer, out of the ingress port, as long as the
// port's token bucket allows (the slow path is bounded per port, as for DHCP and ICMP errors).
import { RA_MAX_DNS, RA_MAX_PREFIXES, RA_MODE_DHCPV6_STATEFUL, RA_MODE_DHCPV6_STATELESS, RA_MODE_SLAAC } from '../../spec/entry-kinds'
import { STAGE_ARP_ND_RSP } from '../../spec/stages'
import { TRACE_DROP, TRACE_KIND_ARP_ND, TRACE_PUNT } from '../../spec/trace'
import {
  REASON_BAD_ICMP, REASON_BAD_L4_CHECKSUM, REASON_PUNT_ROUTER_SOLICIT, REASON_ROUTER_SOLICIT_RATE_LIMIT,
} from '../../spec/verdicts'
import { copy16, copyMac, equals16, st16, st32 } from '../codec/bytes'
import { ETH_DST, ETH_HEADER_BYTES, ETH_SRC, ETH_TYPE, ETHERTYPE_IPV6 } from '../codec/ethernet'
import { ICMP_CHECKSUM, ICMP_CODE, ICMP_TYPE, ND_HOP_LIMIT, ND_OPT_SOURCE_LLADDR, ND_ROUTER_ADVERT } from '../codec/icmp'
import { IPPROTO_ICMPV6 } from '../codec/ipv4'
import {
  IPV6_DST, IPV6_HEADER_BYTES, IPV6_HOP_LIMIT, IPV6_NEXT_HEADER, IPV6_PAYLOAD_LEN, IPV6_SRC, IPV6_VER_TC_FLOW,
  isIpv6Unspecified,
} from '../codec/ipv6'
import { l4ChecksumValid, writeL4Checksum } from '../codec/l4-checksum'
import { fromOutside, pkt } from '../pipeline/packet'
import { replyBuffer } from '../pipeline/reply'
import { step, traceAddr, traceMac } from '../pipeline/trace'
import { drop, punt } from '../pipeline/verdict'
import { ExactTable, clearKey, key } from '../tables/exact-table'
import { BUCKET_BYTES, takeTokenOfBurst } from '../tables/token-bucket'

// The body of a ROUTER_ADVERT entry (datapath/spec/entry-kinds.ts), kept as the table's value.
const CFG_PORT: usize = 4
const CFG_MAC: usize = 8
const CFG_MTU: usize = 14
const CFG_N_PREFIXES: usize = 18
const CFG_N_DNS: usize = 19
const CFG_PREFIXES: usize = 20
const PREFIX_BYTES: i32 = 18
export const RA_CONFIG_MIN_BYTES: i32 = <i32>CFG_PREFIXES
const VALUE_BYTES: i32 = <i32>CFG_PREFIXES + RA_MAX_PREFIXES * PREFIX_BYTES + RA_MAX_DNS * 16

/** RFC 4861 4.1: type, code, checksum, reserved; options follow. */
const RS_BYTES: i32 = 8
/** RFC 4861 4.2: type, code, checksum, cur hop limit, flags, router lifetime, reachable time, retrans timer. */
const RA_BYTES: i32 = 16
const RA_CUR_HOP_LIMIT: usize = 4
const RA_FLAGS: usize = 5
const RA_ROUTER_LIFETIME: usize = 6
const RA_FLAG_MANAGED: u32 = 0x80
const RA_FLAG_OTHER: u32 = 0x40
/** What hosts should use as hop limit (RFC 8200 3 suggests the Internet's default, 64; BEHAVIOUR.md). */
const RA_HOP_LIMIT: u32 = 64
/** Seconds; 3 x MaxRtrAdvInterval's default of 600 s (RFC 4861 6.2.1 AdvDefaultLifetime). */
const RA_ROUTER_LIFETIME_S: u32 = 1800
/** RFC 4861 4.6.1 */
const OPT_SLL_BYTES: i32 = 8
/** RFC 4861 4.6.4 */
const ND_OPT_MTU: u32 = 5
const OPT_MTU_BYTES: i32 = 8
/** RFC 4861 4.6.2 */
const ND_OPT_PREFIX_INFO: u32 = 3
const OPT_PREFIX_BYTES: i32 = 32
const PREFIX_FLAG_ON_LINK: u32 = 0x80
const PREFIX_FLAG_AUTONOMOUS: u32 = 0x40
/** RFC 4861 6.2.1 AdvValidLifetime (30 days) and AdvPreferredLifetime (7 days) defaults. */
const PREFIX_VALID_S: u32 = 2592000
const PREFIX_PREFERRED_S: u32 = 604800
/** RFC 8106 5.1 */
const ND_OPT_RDNSS: u32 = 25
/** RFC 8106 5.1: at least MaxRtrAdvInterval; 2 x 600 s, its default (RFC 4861 6.2.1). */
const RDNSS_LIFETIME_S: u32 = 1200

/**
 * Solicitations answered per port: a burst of 3 (a host starts with MAX_RTR_SOLICITATIONS = 3, RFC 4861 10; a
 * userspace client soliciting beside the kernel still fits), then one per MIN_DELAY_BETWEEN_RAS = 3 s (RFC 4861
 * 10, the least time between multicast advertisements, 6.2.6), which retransmits every RTR_SOLICITATION_INTERVAL
 * = 4 s never exceed.
 */
const SOLICITS_BURST: f64 = 3
const SOLICITS_PER_SECOND: f64 = 1.0 / 3
/** network u32 -> the router_advert body */
const configs = new ExactTable(VALUE_BYTES, 64)
/** port u32 -> token bucket; grows on the slow path only, by ports that solicited (as icmp-error.ts's) */
const buckets = new ExactTable(BUCKET_BYTES, 64)
const routerLinkLocal: usize = memory.data(16)
const solicitor: usize = memory.data(16)

@inline function networkKey(network: u32): void {
  clearKey()
  store<u32>(key, network)
}

/** Adds or replaces the advertisement of a network from an entry body of `len` bytes (checked by the caller). */
export function addRouterAdvert(body: usize, len: i32): void {
  networkKey(load<u32>(body))
  const v = configs.upsert()
  memory.fill(v, 0, <usize>VALUE_BYTES)
  memory.copy(v, body, <usize>min(len, VALUE_BYTES))
}

export function removeRouterAdvert(network: u32): bool {
  networkKey(network)
  return configs.remove()
}

export function clearRouterAdverts(): void {
  configs.clear()
  buckets.clear()
}

/** False when the soliciting port has used up its bucket. */
function solicitAllowed(): bool {
  clearKey()
  store<u32>(key, pkt.srcPort)
  return takeTokenOfBurst(buckets.upsert(), SOLICITS_PER_SECOND, SOLICITS_BURST, pkt.nowMs)
}

/** The body's counts fit the entry limits and its `len` bytes; modes are known. */
export function routerAdvertValid(body: usize, len: i32): bool {
  const n = <i32>load<u8>(body + CFG_N_PREFIXES)
  const nDns = <i32>load<u8>(body + CFG_N_DNS)
  if (n == 0 || n > RA_MAX_PREFIXES || nDns > RA_MAX_DNS) return false
  if (<i32>CFG_PREFIXES + n * PREFIX_BYTES + nDns * 16 > len) return false
  for (let i = 0; i < n; i++) {
    const p = body + CFG_PREFIXES + <usize>(i * PREFIX_BYTES)
    const mode = <i32>load<u8>(p)
    if (mode != RA_MODE_SLAAC && mode != RA_MODE_DHCPV6_STATEFUL && mode != RA_MODE_DHCPV6_STATELESS) return false
    if (<i32>load<u8>(p, 1) > 128) return false
  }
  return true
}

/**
 * A router solicitation (ICMPv6 133, the packet's type already read by the caller). False when it is not ours to
 * answer: from outside the cloud (a tunnel or an uplink: the sender's own chassis answers) or on a network that
 * advertises nothing (then it floods, as any multicast).
 */
export function routerSolicitation(): bool {
  if (fromOutside()) return false
  networkKey(pkt.network)
  const cfg = configs.find()
  if (cfg == 0) return false
  if (!pkt.slowPath) {
    step(STAGE_ARP_ND_RSP, TRACE_PUNT, TRACE_KIND_ARP_ND, REASON_PUNT_ROUTER_SOLICIT, pkt.network, load<u32>(cfg + CFG_PORT), 0)
    return punt(REASON_PUNT_ROUTER_SOLICIT)
  }
  // before any check, as DHCP's: a flood of invalid solicitations costs the slow path no more than valid ones
  const port = load<u32>(cfg + CFG_PORT)
  if (!solicitAllowed()) {
    step(STAGE_ARP_ND_RSP, TRACE_DROP, TRACE_KIND_ARP_ND, REASON_ROUTER_SOLICIT_RATE_LIMIT, pkt.network, port, 0)
    return drop(REASON_ROUTER_SOLICIT_RATE_LIMIT)
  }
  eui64LinkLocal(routerLinkLocal, cfg + CFG_MAC)
  const reason = solicitationProblem()
  if (reason != 0) {
    step(STAGE_ARP_ND_RSP, TRACE_DROP, TRACE_KIND_ARP_ND, reason, pkt.network, load<u32>(cfg + CFG_PORT), 0)
    return drop(reason)
  }
  const t = step(STAGE_ARP_ND_RSP, TRACE_PUNT, TRACE_KIND_ARP_ND, REASON_PUNT_ROUTER_SOLICIT, pkt.network,
    load<u32>(cfg + CFG_PORT), 0)
  traceAddr(t, 6, 128, pkt.l3 + IPV6_SRC)
  traceMac(t, cfg + CFG_MAC)
  buildAdvert(cfg)
  return punt(REASON_PUNT_ROUTER_SOLICIT)
}

/** fe80::/64 + the modified EUI-64 interface identifier of `mac` (RFC 4291 2.5.1, appendix A). */
export function eui64LinkLocal(out: usize, mac: usize): void {
  store<u64>(out, 0x80fe)
  store<u8>(out + 8, load<u8>(mac) ^ 0x02)
  store<u8>(out + 9, load<u8>(mac, 1))
  store<u8>(out + 10, load<u8>(mac, 2))
  store<u8>(out + 11, 0xff)
  store<u8>(out + 12, 0xfe)
  store<u8>(out + 13, load<u8>(mac, 3))
  store<u8>(out + 14, load<u8>(mac, 4))
  store<u8>(out + 15, load<u8>(mac, 5))
}

@inline function isAllRouters(p: usize): bool {
  // ff02::2 (RFC 4291 2.7.1)
  return load<u64>(p) == 0x02ff && load<u64>(p, 8) == <u64>2 << 56
}

/**
 * RFC 4861 6.1.1: a solicitation is silently discarded unless hop limit 255, checksum valid, code 0, ICMP length
 * >= 8, every option of length > 0, and no source link-layer address option from ::. Any source is valid (RFC 4861
 * 4.1: an address of the sender or ::; port security already checked it is the port's); the destination must be
 * all-routers or the router's link-local address (BEHAVIOUR.md step 5: the pipeline answers nothing else).
 * 0 = valid, else the drop reason.
 */
function solicitationProblem(): i32 {
  const ip = pkt.l3
  const icmp = pkt.l4
  const icmpLen = <i32>(pkt.ipEnd - icmp)
  if (icmpLen < RS_BYTES) return REASON_BAD_ICMP
  if (<u32>load<u8>(ip + IPV6_HOP_LIMIT) != ND_HOP_LIMIT || load<u8>(icmp + ICMP_CODE) != 0) return REASON_BAD_ICMP
  if (!l4ChecksumValid(6, ip, IPPROTO_ICMPV6, icmp, icmpLen)) return REASON_BAD_L4_CHECKSUM
  const unspecified = isIpv6Unspecified(ip + IPV6_SRC)
  if (!isAllRouters(ip + IPV6_DST) && !equals16(ip + IPV6_DST, routerLinkLocal)) return REASON_BAD_ICMP
  let off = RS_BYTES
  while (off + 2 <= icmpLen) {
    const units = <i32>load<u8>(icmp + <usize>off + 1)
    if (units == 0) return REASON_BAD_ICMP
    if (unspecified && <u32>load<u8>(icmp + <usize>off) == ND_OPT_SOURCE_LLADDR) return REASON_BAD_ICMP
    off += units * 8 // option length is in units of 8 octets (RFC 4861 4.6)
  }
  return off == icmpLen ? 0 : REASON_BAD_ICMP
}

/** The advertisement (RFC 4861 4.2) in the reply buffer: options source link-layer, MTU, prefixes, RDNSS. */
function buildAdvert(cfg: usize): void {
  const frame = replyBuffer()
  const ip = frame + <usize>ETH_HEADER_BYTES
  const ra = ip + <usize>IPV6_HEADER_BYTES
  copy16(solicitor, pkt.l3 + IPV6_SRC)
  const toAllNodes = isIpv6Unspecified(solicitor)
  const n = <i32>load<u8>(cfg + CFG_N_PREFIXES)
  const nDns = <i32>load<u8>(cfg + CFG_N_DNS)
  // RFC 4861 4.2: M = addresses from DHCPv6, O = other configuration from DHCPv6
  let flags: u32 = 0
  for (let i = 0; i < n; i++) {
    const mode = <i32>load<u8>(cfg + CFG_PREFIXES + <usize>(i * PREFIX_BYTES))
    if (mode == RA_MODE_DHCPV6_STATEFUL) flags |= RA_FLAG_MANAGED | RA_FLAG_OTHER
    else if (mode == RA_MODE_DHCPV6_STATELESS) flags |= RA_FLAG_OTHER
  }
  memory.fill(ra, 0, <usize>RA_BYTES)
  store<u8>(ra + ICMP_TYPE, <u8>ND_ROUTER_ADVERT)
  store<u8>(ra + RA_CUR_HOP_LIMIT, <u8>RA_HOP_LIMIT)
  store<u8>(ra + RA_FLAGS, <u8>flags)
  st16(ra + RA_ROUTER_LIFETIME, RA_ROUTER_LIFETIME_S)
  let p = ra + <usize>RA_BYTES
  store<u8>(p, <u8>ND_OPT_SOURCE_LLADDR)
  store<u8>(p, 1, 1)
  copyMac(p + 2, cfg + CFG_MAC)
  p += <usize>OPT_SLL_BYTES
  const mtu = load<u32>(cfg + CFG_MTU)
  if (mtu != 0) {
    store<u8>(p, <u8>ND_OPT_MTU)
    store<u8>(p, 1, 1)
    st16(p + 2, 0)
    st32(p + 4, mtu)
    p += <usize>OPT_MTU_BYTES
  }
  for (let i = 0; i < n; i++) {
    const q = cfg + CFG_PREFIXES + <usize>(i * PREFIX_BYTES)
    const mode = <i32>load<u8>(q)
    memory.fill(p, 0, <usize>OPT_PREFIX_BYTES)
    store<u8>(p, <u8>ND_OPT_PREFIX_INFO)
    store<u8>(p, 4, 1)
    store<u8>(p, load<u8>(q, 1), 2)
    // A only where hosts form their own address (slaac, dhcpv6-stateless), as Neutron's radvd config does
    const autonomous = mode == RA_MODE_SLAAC || mode == RA_MODE_DHCPV6_STATELESS
    store<u8>(p, <u8>(PREFIX_FLAG_ON_LINK | (autonomous ? PREFIX_FLAG_AUTONOMOUS : 0)), 3)
    st32(p + 4, PREFIX_VALID_S)
    st32(p + 8, PREFIX_PREFERRED_S)
    copy16(p + 16, q + 2)
    p += <usize>OPT_PREFIX_BYTES
  }
  if (nDns > 0) {
    store<u8>(p, <u8>ND_OPT_RDNSS)
    store<u8>(p, <u8>(1 + 2 * nDns), 1)
    st16(p + 2, 0)
    st32(p + 4, RDNSS_LIFETIME_S)
    const dns = cfg + CFG_PREFIXES + <usize>(n * PREFIX_BYTES)
    for (let i = 0; i < nDns; i++) copy16(p + 8 + <usize>(i * 16), dns + <usize>(i * 16))
    p += <usize>(8 + nDns * 16)
  }
  const raLen = <i32>(p - ra)
  // RFC 4861 6.1.2: hop limit 255; from the router port's link-local address (RFC 4861 4.2 "Source Address")
  st32(ip + IPV6_VER_TC_FLOW, 0x60000000)
  st16(ip + IPV6_PAYLOAD_LEN, <u32>raLen)
  store<u8>(ip + IPV6_NEXT_HEADER, <u8>IPPROTO_ICMPV6)
  store<u8>(ip + IPV6_HOP_LIMIT, <u8>ND_HOP_LIMIT)
  copy16(ip + IPV6_SRC, routerLinkLocal)
  // RFC 4861 6.2.6: to the solicitor, or all-nodes when it has no address yet
  if (toAllNodes) {
    store<u64>(ip + IPV6_DST, 0x02ff)
    store<u64>(ip + IPV6_DST + 8, <u64>1 << 56)
  } else {
    copy16(ip + IPV6_DST, solicitor)
  }
  writeL4Checksum(6, ip, IPPROTO_ICMPV6, ra, raLen, ICMP_CHECKSUM)
  if (toAllNodes) {
    // 33:33:00:00:00:01 (RFC 2464 7)
    store<u32>(frame + ETH_DST, 0x00003333)
    store<u16>(frame + ETH_DST + 4, 0x0100)
  } else {
    copyMac(frame + ETH_DST, pkt.base + ETH_SRC)
  }
  copyMac(frame + ETH_SRC, cfg + CFG_MAC)
  st16(frame + ETH_TYPE, ETHERTYPE_IPV6)
  pkt.replyLen = ETH_HEADER_BYTES + IPV6_HEADER_BYTES + raLen
  pkt.replyPort = pkt.inPort
}
