// ls_in_l2_lkup: destination MAC -> port on the network; group and unknown destinations flood
// (BEHAVIOUR.md step 9).
import { STAGE_L2_LOOKUP } from '../../spec/stages'
import { TRACE_DROP, TRACE_HIT, TRACE_KIND_L2, TRACE_MISS } from '../../spec/trace'
import { REASON_HAIRPIN } from '../../spec/verdicts'
import { copyMac } from '../codec/bytes'
import { ETH_DST, isGroupMac } from '../codec/ethernet'
import { fromOutside, pkt } from '../pipeline/packet'
import { step, traceMac } from '../pipeline/trace'
import { drop, flood } from '../pipeline/verdict'
import { ExactTable, clearKey, key, macWord0, macWord1 } from '../tables/exact-table'

/** (network u32, mac[6]) -> port u32 */
const macs = new ExactTable(4, 1024)

@inline function macKey(network: u32, mac: usize): void {
  clearKey()
  store<u32>(key, network)
  copyMac(key + 4, mac)
}

export function addL2(network: u32, mac: usize, port: u32): void {
  macKey(network, mac)
  store<u32>(macs.upsert(), port)
}

export function removeL2(network: u32, mac: usize): bool {
  macKey(network, mac)
  return macs.remove()
}

export function clearL2(): void {
  macs.clear()
}

/** True when the packet got its verdict here (flood, hairpin); false with dstPort set to continue. */
export function l2Lookup(): bool {
  const dst = pkt.base + ETH_DST
  if (isGroupMac(dst)) {
    traceMac(step(STAGE_L2_LOOKUP, TRACE_MISS, TRACE_KIND_L2, 0, pkt.network, 0, 0), dst)
    return flood()
  }
  const v = macs.findWords(macWord0(pkt.network, dst), macWord1(dst))
  if (v == 0) {
    traceMac(step(STAGE_L2_LOOKUP, TRACE_MISS, TRACE_KIND_L2, 0, pkt.network, 0, 0), dst)
    return flood()
  }
  const port = load<u32>(v)
  // Switched back to where it came from. A routed packet may legitimately return to its source port.
  if (port == pkt.srcPort && !pkt.routed && !fromOutside()) {
    traceMac(step(STAGE_L2_LOOKUP, TRACE_DROP, TRACE_KIND_L2, REASON_HAIRPIN, pkt.network, port, 0), dst)
    return drop(REASON_HAIRPIN)
  }
  traceMac(step(STAGE_L2_LOOKUP, TRACE_HIT, TRACE_KIND_L2, 0, pkt.network, port, 0), dst)
  pkt.dstPort = port
  return false
}
