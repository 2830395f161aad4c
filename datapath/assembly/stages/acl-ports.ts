// acl_port entries: the local ports whose security groups are enforced here, stateful or not, with their
// groups (BEHAVIOUR.md "Security groups"). Read by both pairs of stages (ct.ts, acl.ts).
import { ACL_PORT_MAX_GROUPS } from '../../spec/entry-kinds'
import { ExactTable, clearKey, key } from '../tables/exact-table'

// Row: stateful u8 @0, group count u8 @1, group keys u32 @4 (ACL_PORT_MAX_GROUPS)
const ROW_STATEFUL: usize = 0
const ROW_COUNT: usize = 1
const ROW_GROUPS: usize = 4
const ROW_BYTES: i32 = 4 + ACL_PORT_MAX_GROUPS * 4

/** port u32 -> row */
const ports = new ExactTable(ROW_BYTES, 256)

@inline function portKey(port: u32): void {
  clearKey()
  store<u32>(key, port)
}

/** Adds or replaces the port's row from `n` group keys (u32, little-endian) at `groups` (n already checked). */
export function addAclPort(port: u32, stateful: bool, n: i32, groups: usize): void {
  portKey(port)
  const row = ports.upsert()
  store<u8>(row + ROW_STATEFUL, stateful ? 1 : 0)
  store<u8>(row + ROW_COUNT, <u8>n)
  memory.copy(row + ROW_GROUPS, groups, <usize>(n << 2))
}

export function removeAclPort(port: u32): bool {
  portKey(port)
  return ports.remove()
}

export function clearAclPorts(): void {
  ports.clear()
}

/** The row of `port`, 0 when its security groups are not enforced here (packet path). */
@inline export function aclPortRow(port: u32): usize {
  return ports.findWords(<u64>port)
}

@inline export function aclPortStateful(row: usize): bool {
  return load<u8>(row + ROW_STATEFUL) != 0
}

@inline export function aclPortGroupCount(row: usize): i32 {
  return <i32>load<u8>(row + ROW_COUNT)
}

@inline export function aclPortGroup(row: usize, i: i32): u32 {
  return load<u32>(row + ROW_GROUPS + (<usize>i << 2))
}
