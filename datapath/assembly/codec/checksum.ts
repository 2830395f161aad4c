// The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
import { ld16 } from './bytes'

/** Adds `len` bytes at `p` as big-endian 16-bit words to a running sum (odd tail padded with zero). */
export function sumBytes(p: usize, len: i32, sum: u32): u32 {
  let wide: u64 = 0
  let i: i32 = 0
  // 8 bytes at a time in host order; the swapped 16-bit sum is the swap of the sum (RFC 1071 2(B)).
  for (; i + 8 <= len; i += 8) {
    const w = load<u64>(p + <usize>i)
    wide += (w & 0xffffffff) + (w >> 32)
  }
  let host = foldTo32(wide)
  host = (host & 0xffff) + (host >> 16)
  host = (host & 0xffff) + (host >> 16)
  let acc: u64 = <u64>bswap<u16>(<u16>host) + <u64>sum
  for (; i + 2 <= len; i += 2) acc += ld16(p + <usize>i)
  if (i < len) acc += <u64>load<u8>(p + <usize>i) << 8
  return foldTo32(acc)
}

@inline function foldTo32(v: u64): u32 {
  v = (v & 0xffffffff) + (v >> 32)
  v = (v & 0xffffffff) + (v >> 32)
  return <u32>v
}

/** Folds a 32-bit sum to 16 bits and complements it: the value that goes in the header. */
export function finish(sum: u32): u32 {
  sum = (sum & 0xffff) + (sum >> 16)
  sum = (sum & 0xffff) + (sum >> 16)
  return ~sum & 0xffff
}

/** Checksum of a buffer that contains its own checksum field: 0 when valid. */
export function checksumOf(p: usize, len: i32): u32 {
  if (len == 20) return finish(sumIpv4Header(p))
  return finish(sumBytes(p, len, 0))
}

/** The common case of a 20-byte IPv4 header, unrolled (every forwarded packet pays for it). */
@inline function sumIpv4Header(p: usize): u32 {
  let wide: u64 = <u64>load<u32>(p) + <u64>load<u32>(p, 4) + <u64>load<u32>(p, 8) + <u64>load<u32>(p, 12) +
    <u64>load<u32>(p, 16)
  let host = foldTo32(wide)
  host = (host & 0xffff) + (host >> 16)
  host = (host & 0xffff) + (host >> 16)
  return <u32>bswap<u16>(<u16>host)
}

/** RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one 16-bit word changing from m to m'. */
export function updateChecksum16(hc: u32, m: u32, m2: u32): u32 {
  let sum: u32 = (~hc & 0xffff) + (~m & 0xffff) + (m2 & 0xffff)
  sum = (sum & 0xffff) + (sum >> 16)
  sum = (sum & 0xffff) + (sum >> 16)
  return ~sum & 0xffff
}

/** RFC 1624 eqn. 3 over `bytes` bytes (even) changing from what is at `old` to what is at `now`. */
export function updateChecksumBytes(hc: u32, old: usize, now: usize, bytes: i32): u32 {
  let sum: u32 = ~hc & 0xffff
  for (let i = 0; i < bytes; i += 2) {
    sum += (~ld16(old + <usize>i) & 0xffff) + ld16(now + <usize>i)
    sum = (sum & 0xffff) + (sum >> 16)
  }
  sum = (sum & 0xffff) + (sum >> 16)
  return ~sum & 0xffff
}
