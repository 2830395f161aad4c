// lr_in_arp_resolve: the next hop's MAC on the out network; the frame leaves from the router port's MAC
// (BEHAVIOUR.md step 8).
import { STAGE_NEXTHOP } from '../../spec/stages'
import { TRACE_HIT, TRACE_KIND_NEXTHOP, TRACE_PUNT, TRACE_SKIP } from '../../spec/trace'
import { REASON_PUNT_NEXTHOP_MISS } from '../../spec/verdicts'
import { copy16, copyMac } from '../codec/bytes'
import { ETH_DST, ETH_SRC } from '../codec/ethernet'
import { pkt } from '../pipeline/packet'
import { step, traceAddr, traceMac } from '../pipeline/trace'
import { punt } from '../pipeline/verdict'
import { ExactTable, clearKey, ipWord0, ipWord1, ipWord2, key } from '../tables/exact-table'
import { nexthopAddr, outRouterMac } from './l3-route'

/** (network u32, family u8, ip[16]) -> mac[6] */
const neighbours = new ExactTable(8, 256)

function neighbourKey(network: u32, family: u32, ip: usize): void {
  clearKey()
  store<u32>(key, network)
  store<u8>(key, <u8>family, 4)
  if (family == 4) store<u32>(key + 8, load<u32>(ip))
  else copy16(key + 8, ip)
}

export function addNexthop(network: u32, family: u32, ip: usize, mac: usize): void {
  neighbourKey(network, family, ip)
  copyMac(neighbours.upsert(), mac)
}

export function removeNexthop(network: u32, family: u32, ip: usize): bool {
  neighbourKey(network, family, ip)
  return neighbours.remove()
}

export function clearNexthops(): void {
  neighbours.clear()
}

/** True when the packet got its verdict here. */
export function resolveNexthop(): bool {
  if (!pkt.routed) {
    step(STAGE_NEXTHOP, TRACE_SKIP, TRACE_KIND_NEXTHOP, 0, 0, 0, 0)
    return false
  }
  const family = pkt.family
  const mac = neighbours.findWords(ipWord0(pkt.network, family), ipWord1(family, nexthopAddr), ipWord2(family, nexthopAddr))
  if (mac == 0) {
    const t = step(STAGE_NEXTHOP, TRACE_PUNT, TRACE_KIND_NEXTHOP, REASON_PUNT_NEXTHOP_MISS, pkt.network, 0, 0)
    traceAddr(t, pkt.family, 0, nexthopAddr)
    return punt(REASON_PUNT_NEXTHOP_MISS)
  }
  const t = step(STAGE_NEXTHOP, TRACE_HIT, TRACE_KIND_NEXTHOP, 0, pkt.network, 0, 0)
  traceAddr(t, pkt.family, 0, nexthopAddr)
  traceMac(t, mac)
  copyMac(pkt.base + ETH_SRC, outRouterMac)
  copyMac(pkt.base + ETH_DST, mac)
  return false
}
