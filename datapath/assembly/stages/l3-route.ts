// lr_in_ip_route: a frame addressed to a router port MAC enters that router (BEHAVIOUR.md step 7).
// Echo requests to the router's addresses are answered in place; other traffic to it is punted; transit
// traffic gets its TTL / hop limit checked, a longest-prefix match, then the decrement.
import { STAGE_L3_ROUTE } from '../../spec/stages'
import { TRACE_DROP, TRACE_HIT, TRACE_KIND_ROUTE, TRACE_KIND_ROUTER, TRACE_MISS, TRACE_PUNT, TRACE_REPLY, TRACE_SKIP } from '../../spec/trace'
import {
  REASON_BAD_L4_CHECKSUM, REASON_GATEWAY_ELSEWHERE, REASON_NO_ROUTE, REASON_PUNT_ROUTER_LOCAL, REASON_TTL_EXPIRED,
} from '../../spec/verdicts'
import { copy16, copyMac, ld16, st16 } from '../codec/bytes'
import { checksumOf, updateChecksum16 } from '../codec/checksum'
import { ETH_DST, ETH_SRC } from '../codec/ethernet'
import {
  ICMPV6_DEST_UNREACH, ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST, ICMPV6_TIME_EXCEEDED, ICMP_CHECKSUM,
  ICMP_DEST_UNREACH, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_TIME_EXCEEDED, ICMP_TYPE,
} from '../codec/icmp'
import {
  IPPROTO_ICMP, IPPROTO_ICMPV6, IPV4_CHECKSUM, IPV4_DST, IPV4_SRC, IPV4_TTL, ORIGINATED_TTL,
} from '../codec/ipv4'
import { IPV6_DST, IPV6_HOP_LIMIT, IPV6_SRC } from '../codec/ipv6'
import { l4ChecksumValid, writeL4Checksum } from '../codec/l4-checksum'
import { pkt } from '../pipeline/packet'
import { step, traceAddr } from '../pipeline/trace'
import { drop, punt, toInPort } from '../pipeline/verdict'
import {
  ROUTE_CACHE_GENERATION, ROUTE_CACHE_MAC, ROUTE_CACHE_NETWORK, ROUTE_HAS_NEXTHOP, ROUTE_NEXTHOP, ROUTE_PLEN, ROUTE_PORT,
  ROUTE_PREFIX, lpmLookup, recordAt,
} from '../tables/lpm'
import {
  RP_MAC, RP_NETWORK, routerAddressPort, routerPort, routerPortEntryByMac, routerPortGeneration,
} from '../tables/router-ports'
import { GW_LOCAL, GW_PORT, routerGateway } from '../tables/router-gateways'
import { icmpErrorOrDrop } from './icmp-error'
import { redirectToGateway } from './snat-ports'

/** The next hop the route chose (16 bytes; IPv4 in the first 4), read by the nexthop stage. */
export const nexthopAddr: usize = memory.data(16)
/** The MAC of the router port the packet leaves through. */
export const outRouterMac: usize = memory.data(8)
const swap: usize = memory.data(16)

/** True when the packet got its verdict here; false to continue (routed or not for a router). */
export function l3Route(): bool {
  if (pkt.family == 0) return skip()
  const entry = routerPortEntryByMac(pkt.network, pkt.base + ETH_DST)
  if (entry == 0) return skip()
  const ingress = load<u32>(entry)
  const router = load<u32>(entry, 4)
  pkt.router = router
  pkt.routerPort = ingress
  const v4 = pkt.family == 4
  const dst = pkt.l3 + (v4 ? IPV4_DST : IPV6_DST)
  if (gatewayElsewhere(router, ingress)) {
    step(STAGE_L3_ROUTE, TRACE_DROP, TRACE_KIND_ROUTER, REASON_GATEWAY_ELSEWHERE, router, ingress, 0)
    return drop(REASON_GATEWAY_ELSEWHERE)
  }
  const t = step(STAGE_L3_ROUTE, TRACE_HIT, TRACE_KIND_ROUTER, 0, router, ingress, 0)
  traceAddr(t, pkt.family, v4 ? 32 : 128, dst)
  if (routerAddressPort(router, pkt.family, dst) != 0) return toRouter()
  const ttlAt = pkt.l3 + (v4 ? IPV4_TTL : IPV6_HOP_LIMIT)
  const ttl = <u32>load<u8>(ttlAt)
  if (ttl <= 1) {
    return icmpErrorOrDrop(v4 ? ICMP_TIME_EXCEEDED : ICMPV6_TIME_EXCEEDED, 0, REASON_TTL_EXPIRED)
  }
  const id = lpmLookup(router, pkt.family, dst)
  if (id == 0) {
    step(STAGE_L3_ROUTE, TRACE_MISS, TRACE_KIND_ROUTE, REASON_NO_ROUTE, router, 0, 0)
    return icmpErrorOrDrop(v4 ? ICMP_DEST_UNREACH : ICMPV6_DEST_UNREACH, 0, REASON_NO_ROUTE)
  }
  const route = recordAt(id)
  const outPort = load<u32>(route + ROUTE_PORT)
  pkt.outRouterPort = outPort
  const known = outPortFacts(route, outPort)
  const rt = step(STAGE_L3_ROUTE, known ? TRACE_HIT : TRACE_DROP, TRACE_KIND_ROUTE, known ? 0 : REASON_NO_ROUTE,
    router, outPort, 0)
  traceAddr(rt, pkt.family, <i32>load<u8>(route + ROUTE_PLEN), route + ROUTE_PREFIX)
  if (!known) return drop(REASON_NO_ROUTE) // a route through a port the node does not know
  // Out of a gateway whose SNAT runs on another chassis: sent there as it entered the router (TTL untouched).
  if (redirectToGateway(router, outPort)) return true
  // Forwarding (RFC 1812 5.3.1; RFC 8200 3): TTL / hop limit - 1, the IPv4 checksum updated incrementally.
  store<u8>(ttlAt, <u8>(ttl - 1))
  if (v4) {
    const word = ld16(pkt.l3 + IPV4_TTL) // TTL and protocol share one 16-bit word
    const old = word + 0x100
    st16(pkt.l3 + IPV4_CHECKSUM, updateChecksum16(ld16(pkt.l3 + IPV4_CHECKSUM), old, word))
  }
  if (load<u8>(route + ROUTE_HAS_NEXTHOP) != 0) copy16(nexthopAddr, route + ROUTE_NEXTHOP)
  else if (v4) {
    store<u64>(nexthopAddr + 8, 0)
    store<u64>(nexthopAddr, <u64>load<u32>(dst))
  } else copy16(nexthopAddr, dst)
  copyMac(outRouterMac, route + ROUTE_CACHE_MAC)
  pkt.network = load<u32>(route + ROUTE_CACHE_NETWORK)
  pkt.routed = true
  return false
}

/**
 * The out router port's network and MAC, cached in the route record until any router port changes (then
 * looked up again): saves a probe per routed packet. False when the port is unknown.
 */
function outPortFacts(route: usize, outPort: u32): bool {
  const generation = routerPortGeneration()
  if (load<u32>(route + ROUTE_CACHE_GENERATION) == generation) return true
  const out = routerPort(outPort)
  if (out == 0) return false
  store<u32>(route + ROUTE_CACHE_NETWORK, load<u32>(out + RP_NETWORK))
  copyMac(route + ROUTE_CACHE_MAC, out + RP_MAC)
  store<u32>(route + ROUTE_CACHE_GENERATION, generation)
  return true
}

/**
 * From the physical network to the router's gateway MAC on a chassis that is not the gateway chassis: the
 * switch may flood an unknown unicast to every chassis, and only one may route it. A frame lr_in_dnat sent to
 * the gateway MAC (it was for a floating IP hosted here) may.
 */
function gatewayElsewhere(router: u32, ingress: u32): bool {
  if (!pkt.fromUplink || pkt.dnatToGateway) return false
  const gateway = routerGateway(router)
  return gateway != 0 && load<u32>(gateway + GW_PORT) == ingress && load<u8>(gateway + GW_LOCAL) == 0
}

function skip(): bool {
  step(STAGE_L3_ROUTE, TRACE_SKIP, TRACE_KIND_ROUTER, 0, 0, 0, 0)
  return false
}

/** Addressed to the router: echo requests are answered in place, the rest goes to the slow path. */
function toRouter(): bool {
  const v4 = pkt.family == 4
  const icmp = pkt.l4
  const echo = !pkt.fragment && (v4
    ? pkt.proto == IPPROTO_ICMP && <u32>load<u8>(icmp + ICMP_TYPE) == ICMP_ECHO_REQUEST
    : pkt.proto == IPPROTO_ICMPV6 && <u32>load<u8>(icmp + ICMP_TYPE) == ICMPV6_ECHO_REQUEST)
  if (!echo) {
    step(STAGE_L3_ROUTE, TRACE_PUNT, TRACE_KIND_ROUTER, REASON_PUNT_ROUTER_LOCAL, pkt.router, pkt.routerPort, 0)
    return punt(REASON_PUNT_ROUTER_LOCAL)
  }
  const len = <i32>(pkt.ipEnd - icmp)
  const valid = v4 ? checksumOf(icmp, len) == 0 : l4ChecksumValid(6, pkt.l3, IPPROTO_ICMPV6, icmp, len)
  if (!valid) {
    step(STAGE_L3_ROUTE, TRACE_DROP, TRACE_KIND_ROUTER, REASON_BAD_L4_CHECKSUM, pkt.router, pkt.routerPort, 0)
    return drop(REASON_BAD_L4_CHECKSUM)
  }
  step(STAGE_L3_ROUTE, TRACE_REPLY, TRACE_KIND_ROUTER, 0, pkt.router, pkt.routerPort, 0)
  // Echo reply (RFC 792; RFC 4443 4.2): addresses and MACs swapped, fresh TTL, checksums recomputed.
  const ip = pkt.l3
  if (v4) {
    const src = load<u32>(ip + IPV4_SRC)
    store<u32>(ip + IPV4_SRC, load<u32>(ip + IPV4_DST))
    store<u32>(ip + IPV4_DST, src)
    store<u8>(ip + IPV4_TTL, <u8>ORIGINATED_TTL)
    st16(ip + IPV4_CHECKSUM, 0)
    st16(ip + IPV4_CHECKSUM, checksumOf(ip, <i32>(icmp - ip)))
    store<u8>(icmp + ICMP_TYPE, <u8>ICMP_ECHO_REPLY)
    st16(icmp + ICMP_CHECKSUM, 0)
    st16(icmp + ICMP_CHECKSUM, checksumOf(icmp, len))
  } else {
    copy16(swap, ip + IPV6_SRC)
    copy16(ip + IPV6_SRC, ip + IPV6_DST)
    copy16(ip + IPV6_DST, swap)
    store<u8>(ip + IPV6_HOP_LIMIT, <u8>ORIGINATED_TTL)
    store<u8>(icmp + ICMP_TYPE, <u8>ICMPV6_ECHO_REPLY)
    writeL4Checksum(6, ip, IPPROTO_ICMPV6, icmp, len, ICMP_CHECKSUM)
  }
  copyMac(swap, pkt.base + ETH_SRC)
  copyMac(pkt.base + ETH_SRC, pkt.base + ETH_DST)
  copyMac(pkt.base + ETH_DST, swap)
  return toInPort()
}
