// ls_in_classify: (in_port, VLAN id) or the tunnel key -> network and source port (BEHAVIOUR.md step 3).
import { STAGE_CLASSIFY } from '../../spec/stages'
import { TRACE_HIT, TRACE_KIND_CLASSIFY, TRACE_MISS } from '../../spec/trace'
import { REASON_BAD_VLAN, REASON_UNKNOWN_IN_PORT, REASON_UNKNOWN_TUNNEL_KEY } from '../../spec/verdicts'
import { pkt } from '../pipeline/packet'
import { step } from '../pipeline/trace'
import { stripVlan } from '../pipeline/vlan'
import { drop } from '../pipeline/verdict'
import { reservePort } from '../tables/counters'
import { ExactTable, clearKey, key } from '../tables/exact-table'
import { NO_UPLINK_NETWORK, uplinkNetwork } from '../tables/uplinks'

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
  if (v != 0) return load<u32>(v)
  const uplink = uplinkNetwork(inPort, vid)
  return uplink == NO_UPLINK_NETWORK ? NO_NETWORK : uplink
}

export const NO_NETWORK: u32 = 0xffffffff

/** A frame from an uplink (ofport + VID): its network, no source port (BEHAVIOUR.md "Ways in and out"). */
function fromUplink(): bool {
  const network = uplinkNetwork(pkt.inPort, pkt.vid)
  if (network == NO_UPLINK_NETWORK) return false
  pkt.network = network
  pkt.srcPort = 0
  pkt.fromUplink = true
  pkt.uplinkVid = pkt.vid
  return true
}

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
    // A local port's entry wins when an uplink has the same (in_port, VID).
    const v = ports.findWords(<u64>pkt.inPort | (<u64>pkt.vid << 32))
    if (v != 0) {
      pkt.network = load<u32>(v)
      pkt.srcPort = load<u32>(v, 4)
    } else if (!fromUplink()) {
      // A tagged frame where only the untagged entry exists is a VLAN mismatch, not an unknown port.
      let reason = REASON_UNKNOWN_IN_PORT
      if (pkt.tagged) {
        if (ports.findWords(<u64>pkt.inPort) != 0) reason = REASON_BAD_VLAN
      }
      step(STAGE_CLASSIFY, TRACE_MISS, TRACE_KIND_CLASSIFY, reason, 0, 0, pkt.vid)
      return drop(reason)
    }
  }
  step(STAGE_CLASSIFY, TRACE_HIT, TRACE_KIND_CLASSIFY, 0, pkt.network, pkt.srcPort,
    pkt.decapsulated || pkt.tunnelKey != 0 ? pkt.tunnelKey : pkt.vid)
  if (pkt.tagged) stripVlan()
  return false
}
