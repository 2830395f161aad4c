// Uplinks (BEHAVIOUR.md "Ways in and out"): a provider network's physical port, one per network. Indexed by
// network for egress, and by (ofport, VLAN id) for classify.
import { ExactTable, clearKey, key } from './exact-table'

/** network u32 -> ofport u32 @0, vlan u32 @4 */
const byNetwork = new ExactTable(8, 64)
/** (ofport u32, vid u32) -> network u32 */
const byPort = new ExactTable(4, 64)

export const UPLINK_OFPORT: usize = 0
export const UPLINK_VLAN: usize = 4
export const NO_UPLINK_NETWORK: u32 = 0xffffffff

@inline function networkKey(network: u32): void {
  clearKey()
  store<u32>(key, network)
}

@inline function portKey(ofport: u32, vid: u32): void {
  clearKey()
  store<u32>(key, ofport)
  store<u32>(key, vid, 4)
}

/** Adds or replaces the uplink of `network`. */
export function addUplink(network: u32, ofport: u32, vid: u32): void {
  removeUplink(network)
  networkKey(network)
  const v = byNetwork.upsert()
  store<u32>(v + UPLINK_OFPORT, ofport)
  store<u32>(v + UPLINK_VLAN, vid)
  portKey(ofport, vid)
  store<u32>(byPort.upsert(), network)
}

export function removeUplink(network: u32): bool {
  networkKey(network)
  const v = byNetwork.find()
  if (v == 0) return false
  portKey(load<u32>(v + UPLINK_OFPORT), load<u32>(v + UPLINK_VLAN))
  const owner = byPort.find()
  if (owner != 0 && load<u32>(owner) == network) byPort.remove()
  networkKey(network)
  byNetwork.remove()
  return true
}

export function clearUplinks(): void {
  byNetwork.clear()
  byPort.clear()
}

/** The uplink record of `network` (UPLINK_* fields), or 0. */
export function uplinkOf(network: u32): usize {
  return byNetwork.findWords(<u64>network)
}

/** The network whose uplink is (`ofport`, `vid`), or NO_UPLINK_NETWORK. */
export function uplinkNetwork(ofport: u32, vid: u32): u32 {
  const v = byPort.findWords(<u64>ofport | (<u64>vid << 32))
  return v == 0 ? NO_UPLINK_NETWORK : load<u32>(v)
}
