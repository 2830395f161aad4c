// ls_in_classify: (in_port, VLAN id) or the tunnel key -> network and source port (BEHAVIOUR.md step 3).
import { STAGE_CLASSIFY } from '../../spec/stages'
import { TRACE_HIT, TRACE_KIND_CLASSIFY, TRACE_MISS } from '../../spec/trace'
import { REASON_BAD_VLAN, REASON_UNKNOWN_IN_PORT, REASON_UNKNOWN_TUNNEL_KEY } from '../../spec/verdicts'
import { VLAN_TAG_BYTES } from '../codec/ethernet'
import { pkt } from '../pipeline/packet'
import { step } from '../pipeline/trace'
import { drop } from '../pipeline/verdict'
import { reservePort } from '../tables/counters'
import { ExactTable, clearKey, key } from '../tables/exact-table'

/** (in_port u32, vid u32) -> network u32 @0, port u32 @4 */
const ports = new ExactTable(8, 256)
/** tunnel key u32 -> network u32 */
const tunnels = new ExactTable(4, 256)

@inline function portKey(inPort: u32, vid: u32): void {
  clearKey()
  store<u32>(key, inPort)
  store<u32>(key, vid, 4)
}

@inline function tunnelKey(tunnelId: u32): void {
  clearKey()
  store<u32>(key, tunnelId)
}

export function addClassifyPort(inPort: u32, vid: u32, network: u32, port: u32): void {
  reservePort(inPort) // its drop counters, made now so that counting never allocates
  portKey(inPort, vid)
  const v = ports.upsert()
  store<u32>(v, network)
  store<u32>(v, port, 4)
}

export function removeClassifyPort(inPort: u32, vid: u32): bool {
  portKey(inPort, vid)
  return ports.remove()
}

export function addClassifyTunnel(tunnelId: u32, network: u32): void {
  tunnelKey(tunnelId)
  store<u32>(tunnels.upsert(), network)
}

export function removeClassifyTunnel(tunnelId: u32): bool {
  tunnelKey(tunnelId)
  return tunnels.remove()
}

export function clearClassify(): void {
  ports.clear()
  tunnels.clear()
}

/** The network of frames from `inPort` with VLAN id `vid` (0 = untagged), or NO_NETWORK (read-ahead only). */
export function classifyNetwork(inPort: u32, vid: u32): u32 {
  const v = ports.findWords(<u64>inPort | (<u64>vid << 32))
  return v == 0 ? NO_NETWORK : load<u32>(v)
}

export const NO_NETWORK: u32 = 0xffffffff

/** Sets network and source port; true when the packet was dropped. */
export function classify(): bool {
  if (pkt.tunnelKey != 0 || pkt.decapsulated) {
    const v = tunnels.findWords(<u64>pkt.tunnelKey)
    if (v == 0) {
      step(STAGE_CLASSIFY, TRACE_MISS, TRACE_KIND_CLASSIFY, REASON_UNKNOWN_TUNNEL_KEY, 0, 0, pkt.tunnelKey)
      return drop(REASON_UNKNOWN_TUNNEL_KEY)
    }
    pkt.network = load<u32>(v)
    pkt.srcPort = 0
    pkt.decapsulated = true // decapsulated here or by the target: no local source port
  } else {
    const v = ports.findWords(<u64>pkt.inPort | (<u64>pkt.vid << 32))
    if (v == 0) {
      // A tagged frame where only the untagged entry exists is a VLAN mismatch, not an unknown port.
      let reason = REASON_UNKNOWN_IN_PORT
      if (pkt.tagged) {
        if (ports.findWords(<u64>pkt.inPort) != 0) reason = REASON_BAD_VLAN
      }
      step(STAGE_CLASSIFY, TRACE_MISS, TRACE_KIND_CLASSIFY, reason, 0, 0, pkt.vid)
      return drop(reason)
    }
    pkt.network = load<u32>(v)
    pkt.srcPort = load<u32>(v, 4)
  }
  step(STAGE_CLASSIFY, TRACE_HIT, TRACE_KIND_CLASSIFY, 0, pkt.network, pkt.srcPort,
    pkt.decapsulated || pkt.tunnelKey != 0 ? pkt.tunnelKey : pkt.vid)
  if (pkt.tagged) stripVlan()
  return false
}

/** Removes the 802.1Q tag by sliding the two MACs over it; headers after it stay where they are. */
function stripVlan(): void {
  // overlapping by 8 bytes: copy from the end (12 bytes = the two MACs)
  const b = pkt.base
  store<u32>(b + 12, load<u32>(b + 8))
  store<u64>(b + 4, load<u64>(b))
  pkt.base += <usize>VLAN_TAG_BYTES
  pkt.len -= VLAN_TAG_BYTES
  pkt.tagged = false
}
