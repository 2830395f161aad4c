// ls_out_dispatch: a local OpenFlow port, or the remote chassis hosting the port (BEHAVIOUR.md step 10).
import { STAGE_EGRESS } from '../../spec/stages'
import { TRACE_HIT, TRACE_KIND_EGRESS, TRACE_MISS } from '../../spec/trace'
import { REASON_EGRESS_NO_PORT } from '../../spec/verdicts'
import { pkt } from '../pipeline/packet'
import { step } from '../pipeline/trace'
import { drop, output, tunnel } from '../pipeline/verdict'
import { ExactTable, clearKey, key } from '../tables/exact-table'

/** port u32 -> local u8 @0, ofport u32 @4, remote IPv4 (network order) @8 */
const ports = new ExactTable(12, 1024)

@inline function portKey(port: u32): void {
  clearKey()
  store<u32>(key, port)
}

export function addEgress(port: u32, local: bool, ofport: u32, remote: u32): void {
  portKey(port)
  const v = ports.upsert()
  store<u8>(v, local ? 1 : 0)
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
  if (load<u8>(v) != 0) {
    step(STAGE_EGRESS, TRACE_HIT, TRACE_KIND_EGRESS, 0, port, load<u32>(v, 4), 0)
    return output(load<u32>(v, 4))
  }
  step(STAGE_EGRESS, TRACE_HIT, TRACE_KIND_EGRESS, 0, port, 0, load<u32>(v, 8))
  return tunnel(load<u32>(v, 8), port)
}
