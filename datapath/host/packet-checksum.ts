// The Internet checksum (RFC 1071) and the pseudo headers that TCP, UDP (RFC 768) and ICMPv6 (RFC 8200 8.1)
// fold into theirs. IPv4 ICMP has no pseudo header (RFC 792).
import type { IpAddress } from './addresses.js'

/** One's complement sum of 16-bit big-endian words, folded, not yet inverted. */
export function onesSum(bytes: Uint8Array, start = 0): number {
  let sum = start
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += ((bytes[i] as number) << 8) | (bytes[i + 1] as number)
  if (bytes.length % 2 === 1) sum += (bytes[bytes.length - 1] as number) << 8
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16)
  return sum
}

/** The checksum to store: the complement of the one's complement sum. */
export function internetChecksum(bytes: Uint8Array, start = 0): number {
  return ~onesSum(bytes, start) & 0xffff
}

/** Sum of the pseudo header for an upper-layer packet of `length` bytes carrying protocol `protocol`. */
export function pseudoHeaderSum(src: IpAddress, dst: IpAddress, protocol: number, length: number): number {
  const words =
    src.family === 4
      ? // RFC 768: src, dst, zero, protocol, UDP length
        Uint8Array.of(...src.bytes, ...dst.bytes, 0, protocol, length >> 8, length & 0xff)
      : // RFC 8200 8.1: src, dst, 32-bit upper-layer length, 3 zero bytes, next header
        Uint8Array.of(
          ...src.bytes,
          ...dst.bytes,
          length >>> 24,
          (length >> 16) & 0xff,
          (length >> 8) & 0xff,
          length & 0xff,
          0,
          0,
          0,
          protocol,
        )
  return onesSum(words)
}

/** True when `bytes` (a header or a segment with its checksum field filled) sums to 0xffff. */
export function checksumValid(bytes: Uint8Array, start = 0): boolean {
  return onesSum(bytes, start) === 0xffff
}
