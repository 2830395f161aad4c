// SNAT with port translation for sources without a floating IP (BEHAVIOUR.md "Ways in and out", SNAT for
// ports without a floating IP): lr_out_snat translates on the gateway chassis, lr_in_dnat translates the
// replies back there, and lr_in_ip_route elsewhere sends such packets to the gateway chassis unchanged, so
// that one connection table sees both directions.
import { STAGE_DNAT, STAGE_L3_ROUTE, STAGE_SNAT } from '../../spec/stages'
import {
  SNAT_TRACE_NEW, SNAT_TRACE_QUOTED, SNAT_TRACE_REDIRECT, SNAT_TRACE_REPLY, SNAT_TRACE_UNTRANSLATED, TRACE_DROP,
  TRACE_HIT, TRACE_KIND_SNAT,
} from '../../spec/trace'
import { REASON_CT_FULL, REASON_GATEWAY_ELSEWHERE, REASON_NO_SNAT } from '../../spec/verdicts'
import { ld16 } from '../codec/bytes'
import { ICMP_CHECKSUM, ICMP_DEST_UNREACH, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_HEADER_BYTES, ICMP_TIME_EXCEEDED, ICMP_TYPE } from '../codec/icmp'
import {
  IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPV4_DST, IPV4_FLAGS_FRAG, IPV4_FRAG_OFFSET_MASK, IPV4_MIN_HEADER_BYTES,
  IPV4_PROTO, IPV4_SRC, IPV4_TTL, IPV4_VER_IHL,
} from '../codec/ipv4'
import { IPV6_SRC } from '../codec/ipv6'
import { UDP_CHECKSUM, UDP_DST_PORT, UDP_SRC_PORT } from '../codec/udp'
import { pkt } from '../pipeline/packet'
import { step, traceAddr } from '../pipeline/trace'
import { drop, tunnel } from '../pipeline/verdict'
import { natByInternal } from '../tables/nat'
import { GW_LOCAL, GW_PORT, GW_REDIRECT, GW_SNAT, routerGateway } from '../tables/router-gateways'
import { firstAddress, routerPort } from '../tables/router-ports'
import {
  SNAT_GATEWAY_IP, SNAT_INSIDE_IP, SNAT_INSIDE_PORT, SNAT_TRANSLATED_PORT, snatCommit, snatFindForward, snatFindReply,
  snatRecord, snatTouch,
} from '../tables/snat-connections'
import { rewrite16, rewriteAddress, rewriteQuoted, rewriteQuoted16 } from './nat-rewrite'

// TCP header fields (RFC 9293 3.1); ports are at the same offsets as UDP's.
const TCP_FLAGS: usize = 13
const TCP_CHECKSUM: usize = 16
/** ICMP echo identifier (RFC 792) */
const ICMP_ECHO_ID: usize = 4
/** ICMP "port" of the remote side: echo has only the identifier, which is the inside side's */
const ICMP_REMOTE_PORT: u32 = 0

/** The zone SNAT connections are kept in: the gateway network's, numbered as security groups number zones. */
@inline function zoneOf(network: u32): u32 {
  return network & 0xffff
}

/** The gateway IP of `gateway` (first IPv4 address of its router port; 16 bytes, IPv4 first), or 0. */
function gatewayAddress(gateway: usize): usize {
  const rec = routerPort(load<u32>(gateway + GW_PORT))
  return rec == 0 ? 0 : firstAddress(rec, 4)
}

/**
 * lr_in_ip_route on a chassis that is not the gateway chassis, for a route out of the gateway port: only
 * floating IPs leave the gateway port here (anything else would leave with the gateway MAC as its source, and
 * the physical switch would learn that MAC here). A source without a floating IP of its family goes unchanged to
 * the gateway chassis (verdict tunnel), which translates or not as the router's SNAT says; with no gateway
 * chassis known it is dropped gateway_elsewhere. True when the packet got its verdict.
 */
export function redirectToGateway(router: u32, outPort: u32): bool {
  const gateway = routerGateway(router)
  if (gateway == 0 || load<u32>(gateway + GW_PORT) != outPort || load<u8>(gateway + GW_LOCAL) != 0) return false
  if (natByInternal(router, pkt.family, pkt.l3 + (pkt.family == 4 ? IPV4_SRC : IPV6_SRC)) != 0) return false
  const remote = load<u32>(gateway + GW_REDIRECT)
  if (remote == 0) {
    step(STAGE_L3_ROUTE, TRACE_DROP, TRACE_KIND_SNAT, REASON_GATEWAY_ELSEWHERE, router, pkt.routerPort, SNAT_TRACE_REDIRECT)
    return drop(REASON_GATEWAY_ELSEWHERE)
  }
  const t = step(STAGE_L3_ROUTE, TRACE_HIT, TRACE_KIND_SNAT, 0, router, pkt.routerPort, SNAT_TRACE_REDIRECT)
  traceAddr(t, 4, 32, gateway + GW_REDIRECT)
  // the frame's network is still the one it entered the router from (pkt.network is set only once routed)
  return tunnel(remote, pkt.routerPort)
}

/**
 * lr_out_snat for a source without a floating IP with SNAT on. IPv6 leaves untranslated; on the gateway
 * chassis TCP, UDP and ICMP echo requests are translated to the gateway IP. True when dropped.
 */
export function translateOut(gateway: usize): bool {
  if (pkt.family != 4) {
    const t = step(STAGE_SNAT, TRACE_HIT, TRACE_KIND_SNAT, 0, pkt.router, 0, SNAT_TRACE_UNTRANSLATED)
    traceAddr(t, pkt.family, 0, pkt.l3 + IPV6_SRC)
    return false
  }
  const gwAddr = gatewayAddress(gateway)
  // Only the gateway chassis keeps the connections (elsewhere lr_in_ip_route redirected already); no L4 header
  // (a later fragment) or no ports to translate by: nothing to tell the replies apart with.
  if (load<u8>(gateway + GW_LOCAL) == 0 || gwAddr == 0 || pkt.laterFragment || pkt.l4 == 0) return noSnat()
  const l4 = pkt.l4
  const proto = pkt.proto
  let portAt: usize
  let remotePort: u32
  let sumAt: usize
  if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
    portAt = l4 + UDP_SRC_PORT
    remotePort = ld16(l4 + UDP_DST_PORT)
    sumAt = l4 + (proto == IPPROTO_TCP ? TCP_CHECKSUM : UDP_CHECKSUM)
  } else if (proto == IPPROTO_ICMP && <u32>load<u8>(l4 + ICMP_TYPE) == ICMP_ECHO_REQUEST) {
    portAt = l4 + ICMP_ECHO_ID
    remotePort = ICMP_REMOTE_PORT
    sumAt = l4 + ICMP_CHECKSUM
  } else return noSnat()
  const zone = zoneOf(pkt.network)
  const src = load<u32>(pkt.l3 + IPV4_SRC)
  const dst = load<u32>(pkt.l3 + IPV4_DST)
  const port = ld16(portAt)
  let flags: u32 = 0
  let r = snatFindForward(zone, proto, src, port, dst, remotePort, pkt.nowMs)
  if (r < 0) {
    r = snatCommit(zone, proto, src, port, dst, remotePort, load<u32>(gwAddr), pkt.nowMs)
    if (r == -1) {
      step(STAGE_SNAT, TRACE_DROP, TRACE_KIND_SNAT, REASON_CT_FULL, pkt.router, 0, 0)
      return drop(REASON_CT_FULL)
    }
    if (r < 0) return noSnat() // every port of that remote endpoint is taken
    flags = SNAT_TRACE_NEW
  }
  snatTouch(r, true, proto == IPPROTO_TCP ? <u32>load<u8>(l4 + TCP_FLAGS) : 0, pkt.nowMs)
  const rec = snatRecord(r)
  const translated = load<u32>(rec + SNAT_TRANSLATED_PORT)
  rewriteAddress(true, rec + SNAT_GATEWAY_IP)
  if (translated != port) rewrite16(portAt, translated, sumAt, proto == IPPROTO_UDP)
  const t = step(STAGE_SNAT, TRACE_HIT, TRACE_KIND_SNAT, 0, pkt.router, translated, flags)
  traceAddr(t, 4, 0, rec + SNAT_GATEWAY_IP)
  return false
}

function noSnat(): bool {
  const t = step(STAGE_SNAT, TRACE_DROP, TRACE_KIND_SNAT, REASON_NO_SNAT, pkt.router, 0, 0)
  traceAddr(t, 4, 0, pkt.l3 + IPV4_SRC)
  return drop(REASON_NO_SNAT)
}

/**
 * lr_in_dnat on the gateway chassis: a packet from the uplink into `router` through `ingress` (its gateway
 * port) for the gateway IP that is the reply of a recorded connection (or an ICMP error about one) gets the
 * inside address and port back. True when it was translated; false leaves it to the router (echo, punt).
 */
export function translateReply(router: u32, ingress: u32): bool {
  if (pkt.family != 4 || !pkt.fromUplink || pkt.laterFragment || pkt.l4 == 0) return false
  const gateway = routerGateway(router)
  if (gateway == 0 || load<u32>(gateway + GW_PORT) != ingress) return false
  if (load<u8>(gateway + GW_SNAT) == 0 || load<u8>(gateway + GW_LOCAL) == 0) return false
  const gwAddr = gatewayAddress(gateway)
  if (gwAddr == 0 || load<u32>(pkt.l3 + IPV4_DST) != load<u32>(gwAddr)) return false
  // About to expire in lr_in_ip_route: untranslated, so time exceeded quotes it as sent (as for floating IPs).
  if (<u32>load<u8>(pkt.l3 + IPV4_TTL) <= 1) return false
  const zone = zoneOf(pkt.network)
  const l4 = pkt.l4
  const proto = pkt.proto
  const remote = load<u32>(pkt.l3 + IPV4_SRC)
  const gw = load<u32>(gwAddr)
  if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
    const r = snatFindReply(zone, proto, remote, ld16(l4 + UDP_SRC_PORT), gw, ld16(l4 + UDP_DST_PORT), pkt.nowMs)
    if (r < 0) return false
    snatTouch(r, false, proto == IPPROTO_TCP ? <u32>load<u8>(l4 + TCP_FLAGS) : 0, pkt.nowMs)
    const rec = snatRecord(r)
    rewriteAddress(false, rec + SNAT_INSIDE_IP)
    rewrite16(l4 + UDP_DST_PORT, load<u32>(rec + SNAT_INSIDE_PORT), l4 + (proto == IPPROTO_TCP ? TCP_CHECKSUM : UDP_CHECKSUM),
      proto == IPPROTO_UDP)
    return traced(router, rec, 0)
  }
  if (proto != IPPROTO_ICMP) return false
  const type = <u32>load<u8>(l4 + ICMP_TYPE)
  if (type == ICMP_ECHO_REPLY) {
    const r = snatFindReply(zone, IPPROTO_ICMP, remote, ICMP_REMOTE_PORT, gw, ld16(l4 + ICMP_ECHO_ID), pkt.nowMs)
    if (r < 0) return false
    snatTouch(r, false, 0, pkt.nowMs)
    const rec = snatRecord(r)
    rewriteAddress(false, rec + SNAT_INSIDE_IP)
    rewrite16(l4 + ICMP_ECHO_ID, load<u32>(rec + SNAT_INSIDE_PORT), l4 + ICMP_CHECKSUM, false)
    return traced(router, rec, 0)
  }
  if (type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED) return errorBack(router, zone, gw)
  return false
}

/** An ICMP error quoting a translated packet (source = the gateway IP): back to the inside host. */
function errorBack(router: u32, zone: u32, gw: u32): bool {
  const inner = pkt.l4 + <usize>ICMP_HEADER_BYTES
  const end = pkt.ipEnd
  if (inner + <usize>IPV4_MIN_HEADER_BYTES > end || (<u32>load<u8>(inner + IPV4_VER_IHL) >> 4) != 4) return false
  if ((ld16(inner + IPV4_FLAGS_FRAG) & IPV4_FRAG_OFFSET_MASK) != 0) return false
  if (load<u32>(inner + IPV4_SRC) != gw) return false
  const ql4 = inner + <usize>((<u32>load<u8>(inner + IPV4_VER_IHL) & 0xf) << 2)
  const qproto = <u32>load<u8>(inner + IPV4_PROTO)
  const qremote = load<u32>(inner + IPV4_DST)
  let portAt: usize
  let remotePort: u32
  let qsumAt: usize = 0
  if (qproto == IPPROTO_TCP || qproto == IPPROTO_UDP) {
    if (ql4 + 4 > end) return false
    portAt = ql4 + UDP_SRC_PORT
    remotePort = ld16(ql4 + UDP_DST_PORT)
    const at = ql4 + (qproto == IPPROTO_TCP ? TCP_CHECKSUM : UDP_CHECKSUM)
    if (at + 2 <= end) qsumAt = at // RFC 792 quotes 8 bytes: UDP's checksum is in, TCP's usually not
  } else if (qproto == IPPROTO_ICMP) {
    if (ql4 + 6 > end || <u32>load<u8>(ql4 + ICMP_TYPE) != ICMP_ECHO_REQUEST) return false
    portAt = ql4 + ICMP_ECHO_ID
    remotePort = ICMP_REMOTE_PORT
    qsumAt = ql4 + ICMP_CHECKSUM
  } else return false
  const r = snatFindReply(zone, qproto, qremote, remotePort, gw, ld16(portAt), pkt.nowMs)
  if (r < 0) return false
  const rec = snatRecord(r)
  rewriteAddress(false, rec + SNAT_INSIDE_IP)
  rewriteQuoted(true, rec + SNAT_GATEWAY_IP, rec + SNAT_INSIDE_IP)
  // the quoted checksum may cover the quoted address only through the pseudo-header (TCP/UDP): rewriteQuoted
  // updated it; now the port
  rewriteQuoted16(portAt, load<u32>(rec + SNAT_INSIDE_PORT), qsumAt, qproto == IPPROTO_UDP)
  return traced(router, rec, SNAT_TRACE_QUOTED)
}

function traced(router: u32, rec: usize, extra: i32): bool {
  const t = step(STAGE_DNAT, TRACE_HIT, TRACE_KIND_SNAT, 0, router, load<u32>(rec + SNAT_INSIDE_PORT),
    SNAT_TRACE_REPLY | extra)
  traceAddr(t, 4, 0, rec + SNAT_INSIDE_IP)
  return true
}
