// Prefix keys for the ACL tables (acl-members.ts, acl-index.ts): an owner id, a prefix length, the family and
// the address cut to the length, as the three little-endian words ExactTable.findWords takes, so that the
// packet path builds them in registers (no store, no allocation) exactly as the entry path stores them.
//
//   0          4      5        8                                24
//   +----------+------+--------+--------------------------------+
//   | owner    | plen | family | address masked to plen (16)    |   (IPv4: 4 bytes, the rest 0)
//   +----------+------+--------+--------------------------------+
//
// A set of prefixes is probed once per distinct length it holds (a bitmap of lengths, 3 words for 0..128):
// lengths are few in practice (/32 and /128 for fixed IPs, a handful of CIDRs), and unlike a longest-prefix
// structure this finds every prefix that contains the address, which allow-only rules need.
import { key } from './exact-table'

export const PLEN_BITMAP_BYTES: usize = 24

@inline export function prefixWord0(owner: u32, plen: i32, family: u32): u64 {
  return <u64>owner | (<u64>plen << 32) | (<u64>family << 40)
}

/** Bytes 0..7 of the address (IPv4: its 4 bytes) kept to `plen` bits, as a little-endian read. */
@inline export function prefixWord1(family: u32, addr: usize, plen: i32): u64 {
  if (family == 4) {
    const m: u32 = plen <= 0 ? 0 : plen >= 32 ? 0xffffffff : <u32>0xffffffff << <u32>(32 - plen)
    return <u64>(load<u32>(addr) & bswap<u32>(m))
  }
  const p = min(plen, 64)
  const m: u64 = p <= 0 ? 0 : p >= 64 ? 0xffffffffffffffff : <u64>0xffffffffffffffff << <u64>(64 - p)
  return load<u64>(addr) & bswap<u64>(m)
}

/** Bytes 8..15 of an IPv6 address kept to `plen` bits (IPv4: 0). */
@inline export function prefixWord2(family: u32, addr: usize, plen: i32): u64 {
  if (family == 4) return 0
  const p = plen - 64
  const m: u64 = p <= 0 ? 0 : p >= 64 ? 0xffffffffffffffff : <u64>0xffffffffffffffff << <u64>(64 - p)
  return load<u64>(addr, 8) & bswap<u64>(m)
}

/** Writes the key of (owner, family, addr/plen) into the scratch key, for the ExactTable calls that take it. */
export function prefixKey(owner: u32, family: u32, addr: usize, plen: i32): void {
  const w1 = prefixWord1(family, addr, plen)
  const w2 = prefixWord2(family, addr, plen)
  store<u64>(key, prefixWord0(owner, plen, family))
  store<u64>(key, w1, 8)
  store<u64>(key, w2, 16)
}

@inline export function setPlenBit(bitmap: usize, plen: i32, on: bool): void {
  const w = bitmap + (<usize>(plen >> 6) << 3)
  const bit = <u64>1 << <u64>(plen & 63)
  store<u64>(w, on ? load<u64>(w) | bit : load<u64>(w) & ~bit)
}
