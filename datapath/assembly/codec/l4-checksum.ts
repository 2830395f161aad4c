// Checksums that cover a pseudo-header: UDP and TCP over IPv4 (RFC 768, RFC 9293 3.1), UDP and ICMPv6 over
// IPv6 (RFC 8200 8.1). `ip` is the IP header, `l4` the L4 header of `len` bytes, `field` the checksum offset.
import { st16 } from './bytes'
import { finish, sumBytes } from './checksum'
import { IPPROTO_UDP, IPV4_SRC } from './ipv4'
import { IPV6_SRC } from './ipv6'

function pseudoSum(family: u32, ip: usize, proto: u32, len: i32): u32 {
  // source and destination are adjacent in both headers: 8 bytes for IPv4, 32 for IPv6
  const sum = family == 4 ? sumBytes(ip + IPV4_SRC, 8, 0) : sumBytes(ip + IPV6_SRC, 32, 0)
  return sum + proto + <u32>len
}

/** The checksum the L4 segment carries verifies (its own checksum included). */
export function l4ChecksumValid(family: u32, ip: usize, proto: u32, l4: usize, len: i32): bool {
  return finish(sumBytes(l4, len, pseudoSum(family, ip, proto, len))) == 0
}

/** Computes and stores the checksum at l4 + field (zeroed first). */
export function writeL4Checksum(family: u32, ip: usize, proto: u32, l4: usize, len: i32, field: usize): void {
  st16(l4 + field, 0)
  let c = finish(sumBytes(l4, len, pseudoSum(family, ip, proto, len)))
  // UDP sends an all-ones checksum for a computed zero, since zero means "none" (RFC 768, RFC 8200 8.1).
  if (c == 0 && proto == IPPROTO_UDP) c = 0xffff
  st16(l4 + field, c)
}
