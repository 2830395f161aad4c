// Members of security groups named as remote_group: per group and family, the set of member prefixes (fixed IPs
// as /32 and /128, allowed address pairs as given). Membership is "some member prefix contains the address",
// probed once per distinct prefix length of the group (acl-prefix.ts), so a group of thousands of /32
// members costs one hash probe.
import { ExactTable, clearKey, key } from './exact-table'
import { PLEN_BITMAP_BYTES, prefixKey, prefixWord0, prefixWord1, prefixWord2, setPlenBit } from './acl-prefix'

/** (group, plen, family, masked addr) -> 1 */
const members = new ExactTable(4, 1024)
/** (group u32, family u8 @4) -> bitmap of the lengths present (3 x u64), then count per length (129 x u32) */
const LENGTHS_BYTES: i32 = <i32>PLEN_BITMAP_BYTES + 129 * 4
const lengths = new ExactTable(LENGTHS_BYTES, 64)

@inline function lengthsKey(group: u32, family: u32): void {
  clearKey()
  store<u32>(key, group)
  store<u8>(key, <u8>family, 4)
}

/** Adds the member prefix (already validated); adding it again changes nothing. */
export function addMember(group: u32, family: u32, addr: usize, plen: i32): void {
  prefixKey(group, family, addr, plen)
  if (members.find() != 0) return
  store<u32>(members.upsert(), 1)
  lengthsKey(group, family)
  const row = lengths.upsert()
  const count = row + PLEN_BITMAP_BYTES + (<usize>plen << 2)
  store<u32>(count, load<u32>(count) + 1)
  setPlenBit(row, plen, true)
}

export function removeMember(group: u32, family: u32, addr: usize, plen: i32): bool {
  prefixKey(group, family, addr, plen)
  if (!members.remove()) return false
  lengthsKey(group, family)
  const row = lengths.find()
  if (row == 0) return true
  const count = row + PLEN_BITMAP_BYTES + (<usize>plen << 2)
  const left = load<u32>(count) - 1
  store<u32>(count, left)
  if (left == 0) {
    setPlenBit(row, plen, false)
    if (load<u64>(row) == 0 && load<u64>(row, 8) == 0 && load<u64>(row, 16) == 0) {
      lengthsKey(group, family)
      lengths.remove()
    }
  }
  return true
}

export function clearMembers(): void {
  members.clear()
  lengths.clear()
}

/** Whether some member prefix of `group` contains the address at `addr` (packet path). */
export function isMember(group: u32, family: u32, addr: usize): bool {
  const row = lengths.findWords(<u64>group | (<u64>family << 32))
  if (row == 0) return false
  for (let w = 0; w < 3; w++) {
    let bits = load<u64>(row + (<usize>w << 3))
    while (bits != 0) {
      const plen = (w << 6) + <i32>ctz<u64>(bits)
      bits &= bits - 1
      if (members.findWords(prefixWord0(group, plen, family), prefixWord1(family, addr, plen),
        prefixWord2(family, addr, plen)) != 0) return true
    }
  }
  return false
}
