// ls_out_dispatch: a local OpenFlow port, the remote chassis hosting the port (BEHAVIOUR.md step 10), or the
// uplink of the packet's network, tagged with its VLAN ("Ways in and out").
import { STAGE_EGRESS } from '../../spec/stages'
import { TRACE_HIT, TRACE_KIND_EGRESS, TRACE_MISS } from '../../spec/trace'
import { EGRESS_LOCAL, EGRESS_UPLINK } from '../../spec/entry-kinds'
import { REASON_EGRESS_NO_PORT } from '../../spec/verdicts'
import { pkt } from '../pipeline/packet'
import { step } from '../pipeline/trace'
import { drop, output, tunnel } from '../pipeline/verdict'
import { pushVlan } from '../pipeline/vlan'
import { ExactTable, clearKey, key } from '../tables/exact-table'
import { UPLINK_OFPORT, UPLINK_VLAN, uplinkOf } from '../tables/uplinks'

/** port u32 -> where u8 @0 (EGRESS_*), ofport u32 @4, remote IPv4 (network order) @8 */
const ports = new ExactTable(12, 1024)

@inline function portKey(port: u32): void {
  clearKey()
  store<u32>(key, port)
}

export function addEgress(port: u32, where: u32, ofport: u32, remote: u32): void {
  portKey(port)
  const v = ports.upsert()
  store<u8>(v, <u8>where)
  store<u32>(v, ofport, 4)
  store<u32>(v, remote, 8)
}

export function removeEgress(port: u32): bool {
  portKey(port)
  return ports.remove()
}

export function clearEgress(): void {
  ports.clear()
}

/** Always sets the verdict. */
export function egress(): bool {
  const port = pkt.dstPort
  const v = ports.findWords(<u64>port)
  if (v == 0) {
    step(STAGE_EGRESS, TRACE_MISS, TRACE_KIND_EGRESS, REASON_EGRESS_NO_PORT, port, 0, 0)
    return drop(REASON_EGRESS_NO_PORT)
  }
  const where = <i32>load<u8>(v)
  if (where == EGRESS_UPLINK) return toUplink(port)
  if (where == EGRESS_LOCAL) {
    step(STAGE_EGRESS, TRACE_HIT, TRACE_KIND_EGRESS, 0, port, load<u32>(v, 4), 0)
    return output(load<u32>(v, 4))
  }
  step(STAGE_EGRESS, TRACE_HIT, TRACE_KIND_EGRESS, 0, port, 0, load<u32>(v, 8))
  return tunnel(load<u32>(v, 8), port)
}

/** Out of the uplink of the packet's network (a provider network port on another chassis). */
function toUplink(port: u32): bool {
  const uplink = uplinkOf(pkt.network)
  if (uplink == 0) {
    step(STAGE_EGRESS, TRACE_MISS, TRACE_KIND_EGRESS, REASON_EGRESS_NO_PORT, port, 0, 0)
    return drop(REASON_EGRESS_NO_PORT)
  }
  const ofport = load<u32>(uplink + UPLINK_OFPORT)
  const vid = load<u32>(uplink + UPLINK_VLAN)
  step(STAGE_EGRESS, TRACE_HIT, TRACE_KIND_EGRESS, 0, port, ofport, 0)
  if (vid != 0) pushVlan(vid)
  return output(ofport)
}
