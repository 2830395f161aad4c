// lr_out_snat (BEHAVIOUR.md "Ways in and out"): a packet routed out of its router's gateway port from a fixed IP
// with a floating IP leaves from the floating IP and the floating IP's MAC. Without one: untranslated when the
// gateway has SNAT off; with SNAT on, port translation to the gateway IP (snat-ports.ts).
import { STAGE_SNAT } from '../../spec/stages'
import { TRACE_HIT, TRACE_KIND_NAT, TRACE_MISS, TRACE_SKIP } from '../../spec/trace'
import { copyMac } from '../codec/bytes'
import { ETH_SRC } from '../codec/ethernet'
import { IPV4_SRC } from '../codec/ipv4'
import { IPV6_SRC } from '../codec/ipv6'
import { pkt } from '../pipeline/packet'
import { step, traceAddr, traceMac } from '../pipeline/trace'
import { NAT_EXTERNAL, NAT_INTERNAL, NAT_MAC, natByInternal } from '../tables/nat'
import { GW_PORT, GW_SNAT, routerGateway } from '../tables/router-gateways'
import { NAT_REWROTE_SRC } from './dnat'
import { rewriteAddress, rewriteQuoted } from './nat-rewrite'
import { translateOut } from './snat-ports'

/** True when the packet was dropped. */
export function snat(): bool {
  if (!pkt.routed) return skip()
  const gateway = routerGateway(pkt.router)
  if (gateway == 0 || load<u32>(gateway + GW_PORT) != pkt.outRouterPort) return skip()
  const src = pkt.l3 + (pkt.family == 4 ? IPV4_SRC : IPV6_SRC)
  const nat = natByInternal(pkt.router, pkt.family, src)
  if (nat == 0) {
    if (load<u8>(gateway + GW_SNAT) != 0) return translateOut(gateway)
    traceAddr(step(STAGE_SNAT, TRACE_MISS, TRACE_KIND_NAT, 0, pkt.router, 0, 0), pkt.family, 0, src)
    return false
  }
  // An ICMP error about a packet DNAT delivered: the quoted destination is the fixed IP, back to the floating IP.
  const quoted = rewriteQuoted(false, nat + NAT_INTERNAL, nat + NAT_EXTERNAL)
  rewriteAddress(true, nat + NAT_EXTERNAL)
  copyMac(pkt.base + ETH_SRC, nat + NAT_MAC)
  const t = step(STAGE_SNAT, TRACE_HIT, TRACE_KIND_NAT, 0, pkt.router, NAT_REWROTE_SRC, quoted ? 1 : 0)
  traceAddr(t, pkt.family, 0, src)
  traceMac(t, nat + NAT_MAC)
  return false
}

function skip(): bool {
  step(STAGE_SNAT, TRACE_SKIP, TRACE_KIND_NAT, 0, 0, 0, 0)
  return false
}
