// lr_in_dnat (BEHAVIOUR.md "Ways in and out"): a packet entering a router for one of its floating IPs gets the
// fixed IP as destination; a frame addressed to the floating IP's MAC gets the router's gateway port MAC, so
// that it enters the router in lr_in_ip_route. Hairpin: from inside the router, the source is translated too.
import { STAGE_DNAT } from '../../spec/stages'
import { TRACE_HIT, TRACE_KIND_NAT, TRACE_MISS, TRACE_SKIP } from '../../spec/trace'
import { copyMac, macEquals } from '../codec/bytes'
import { ETH_DST } from '../codec/ethernet'
import { IPV4_DST, IPV4_SRC, IPV4_TTL } from '../codec/ipv4'
import { IPV6_DST, IPV6_HOP_LIMIT, IPV6_SRC } from '../codec/ipv6'
import { pkt } from '../pipeline/packet'
import { step, traceAddr, traceMac } from '../pipeline/trace'
import {
  NAT_EXTERNAL, NAT_GATEWAY_PORT, NAT_INTERNAL, NAT_MAC, NAT_NETWORK, natByExternal, natByInternal, natMacRouter,
} from '../tables/nat'
import { RP_MAC, routerPort, routerPortEntryByMac } from '../tables/router-ports'
import { rewriteAddress, rewriteQuoted } from './nat-rewrite'
import { translateReply } from './snat-ports'

export const NAT_REWROTE_DST: u32 = 1
export const NAT_REWROTE_SRC: u32 = 2

/** Never decides (returns false). */
export function dnat(): bool {
  if (pkt.family == 0) return skip()
  const dstMac = pkt.base + ETH_DST
  let router: u32 = 0
  let viaNatMac = false
  const entry = routerPortEntryByMac(pkt.network, dstMac)
  if (entry != 0) router = load<u32>(entry, 4)
  else {
    const owner = natMacRouter(pkt.network, dstMac)
    if (owner == 0) return skip()
    router = load<u32>(owner)
    viaNatMac = true
  }
  const v4 = pkt.family == 4
  const dst = pkt.l3 + (v4 ? IPV4_DST : IPV6_DST)
  const nat = natByExternal(router, pkt.family, dst)
  // a floating IP's MAC admits only that floating IP: it is the MAC of its port on the external network
  // Not a floating IP: the gateway IP, for a reply of a connection SNAT translated (snat-ports.ts)?
  if (nat == 0 && !viaNatMac && translateReply(router, load<u32>(entry))) return false
  if (nat == 0 || (viaNatMac && !macEquals(nat + NAT_MAC, dstMac))) {
    traceAddr(step(STAGE_DNAT, TRACE_MISS, TRACE_KIND_NAT, 0, router, 0, 0), pkt.family, 0, dst)
    return false
  }
  // About to expire in lr_in_ip_route: it enters the router untranslated, so the time exceeded error quotes
  // the packet as it was sent (RFC 792, RFC 5508 4.2: the sender must recognise it).
  if (<u32>load<u8>(pkt.l3 + (v4 ? IPV4_TTL : IPV6_HOP_LIMIT)) <= 1) {
    const t = step(STAGE_DNAT, TRACE_MISS, TRACE_KIND_NAT, 0, router, 0, 0)
    traceAddr(t, pkt.family, 0, dst)
    if (viaNatMac) enterThroughGateway(t, nat, dstMac)
    return false
  }
  let rewrote = NAT_REWROTE_DST
  // An ICMP error about a packet SNAT sent: the quoted source is the floating IP, back to the fixed IP.
  const quoted = rewriteQuoted(true, nat + NAT_EXTERNAL, nat + NAT_INTERNAL)
  rewriteAddress(false, nat + NAT_INTERNAL)
  if (pkt.network != load<u32>(nat + NAT_NETWORK)) {
    // Hairpin: from inside, so the reply comes back through the router (and its lr_in_dnat).
    const src = pkt.l3 + (v4 ? IPV4_SRC : IPV6_SRC)
    const own = natByInternal(router, pkt.family, src)
    if (own != 0) {
      rewriteAddress(true, own + NAT_EXTERNAL)
      rewrote |= NAT_REWROTE_SRC
    }
  }
  const t = step(STAGE_DNAT, TRACE_HIT, TRACE_KIND_NAT, 0, router, rewrote, quoted ? 1 : 0)
  traceAddr(t, pkt.family, 0, dst)
  if (viaNatMac) enterThroughGateway(t, nat, dstMac)
  return false
}

/** A frame to a floating IP's MAC enters the router as if sent to its gateway port's MAC. */
function enterThroughGateway(t: usize, nat: usize, dstMac: usize): void {
  const gateway = routerPort(load<u32>(nat + NAT_GATEWAY_PORT))
  if (gateway == 0) return
  copyMac(dstMac, gateway + RP_MAC)
  pkt.dnatToGateway = true
  traceMac(t, dstMac)
}

function skip(): bool {
  step(STAGE_DNAT, TRACE_SKIP, TRACE_KIND_NAT, 0, 0, 0, 0)
  return false
}
