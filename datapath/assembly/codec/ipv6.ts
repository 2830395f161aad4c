// IPv6 header (RFC 8200 3) and the extension headers the datapath walks (RFC 8200 4).

export const IPV6_VER_TC_FLOW: usize = 0
export const IPV6_PAYLOAD_LEN: usize = 4
export const IPV6_NEXT_HEADER: usize = 6
export const IPV6_HOP_LIMIT: usize = 7
export const IPV6_SRC: usize = 8
export const IPV6_DST: usize = 24
export const IPV6_HEADER_BYTES: i32 = 40
export const IPV6_ADDR_BYTES: i32 = 16

/** Extension headers walked before giving up (BEHAVIOUR.md: more than 8 is bad_ipv6_ext). */
export const IPV6_MAX_EXT_HEADERS: i32 = 8
/** Fragment header: offset word at 2, offset in the upper 13 bits (RFC 8200 4.5). */
export const IPV6_FRAG_OFFSET_WORD: usize = 2
export const IPV6_FRAG_OFFSET_MASK: u32 = 0xfff8
export const IPV6_FRAG_M: u32 = 1
export const IPV6_FRAG_HEADER_BYTES: i32 = 8

/** The IPv6 minimum MTU: an ICMPv6 error must fit in it (RFC 4443 2.4 (c)). */
export const IPV6_MIN_MTU: i32 = 1280

/** ff00::/8 (RFC 4291 2.7). */
@inline export function isIpv6Multicast(p: usize): bool {
  return load<u8>(p) == 0xff
}

/** fe80::/10 (RFC 4291 2.5.6). */
@inline export function isIpv6LinkLocal(p: usize): bool {
  return load<u8>(p) == 0xfe && (load<u8>(p + 1) & 0xc0) == 0x80
}

/** ff02::1:ff00:0/104, the solicited-node multicast prefix (RFC 4291 2.7.1). */
@inline export function isIpv6SolicitedNode(p: usize): bool {
  // bytes 0..7 = ff02:0000:0000:0000, 8..11 = 0000:0001, byte 12 = ff (little-endian loads)
  return load<u64>(p) == 0x02ff && load<u32>(p + 8) == 0x01000000 && load<u8>(p + 12) == 0xff
}

/** :: (RFC 4291 2.5.2). */
@inline export function isIpv6Unspecified(p: usize): bool {
  return load<u64>(p) == 0 && load<u64>(p + 8) == 0
}
