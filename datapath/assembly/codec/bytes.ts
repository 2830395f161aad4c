// Network-order (big-endian) loads and stores: wire formats are big-endian (RFC 1700), WASM is little-endian.

@inline export function ld16(p: usize): u32 {
  return <u32>bswap<u16>(load<u16>(p))
}

@inline export function ld32(p: usize): u32 {
  return bswap<u32>(load<u32>(p))
}

@inline export function st16(p: usize, v: u32): void {
  store<u16>(p, bswap<u16>(<u16>v))
}

@inline export function st32(p: usize, v: u32): void {
  store<u32>(p, bswap<u32>(v))
}

/** Copy a 6-byte MAC. */
@inline export function copyMac(dst: usize, src: usize): void {
  store<u32>(dst, load<u32>(src))
  store<u16>(dst + 4, load<u16>(src + 4))
}

@inline export function macEquals(a: usize, b: usize): bool {
  return load<u32>(a) == load<u32>(b) && load<u16>(a + 4) == load<u16>(b + 4)
}

/** Copy a 16-byte IPv6 address. */
@inline export function copy16(dst: usize, src: usize): void {
  store<u64>(dst, load<u64>(src))
  store<u64>(dst + 8, load<u64>(src + 8))
}

@inline export function equals16(a: usize, b: usize): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a + 8) == load<u64>(b + 8)
}

/**
 * Copies `len` bytes between non-overlapping buffers. Frames are short, and a bulk-memory call costs more than
 * the copy below a few hundred bytes, so small copies are done 8 bytes at a time.
 */
export function copyBytes(dst: usize, src: usize, len: usize): void {
  if (len > 256) {
    memory.copy(dst, src, len)
    return
  }
  let i: usize = 0
  for (; i + 8 <= len; i += 8) store<u64>(dst + i, load<u64>(src + i))
  for (; i < len; i++) store<u8>(dst + i, load<u8>(src + i))
}
