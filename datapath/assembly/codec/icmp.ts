// ICMP for IPv4 (RFC 792) and ICMPv6 (RFC 4443) with Neighbor Discovery (RFC 4861).

export const ICMP_TYPE: usize = 0
export const ICMP_CODE: usize = 1
export const ICMP_CHECKSUM: usize = 2
export const ICMP_HEADER_BYTES: i32 = 8

// ICMPv4 types (RFC 792).
export const ICMP_ECHO_REPLY: u32 = 0
export const ICMP_DEST_UNREACH: u32 = 3
export const ICMP_SOURCE_QUENCH: u32 = 4
export const ICMP_REDIRECT: u32 = 5
export const ICMP_ECHO_REQUEST: u32 = 8
export const ICMP_TIME_EXCEEDED: u32 = 11
export const ICMP_PARAM_PROBLEM: u32 = 12
/** Code 0 of destination unreachable: net unreachable; of time exceeded: TTL exceeded in transit. */
export const ICMP_CODE_NET_UNREACH: u32 = 0
export const ICMP_CODE_TTL_EXCEEDED: u32 = 0
/** Bytes of the offending datagram's data quoted after its IP header (RFC 792: 64 bits). */
export const ICMP_QUOTE_DATA_BYTES: i32 = 8

/** An ICMPv4 error message: never answered with another error (RFC 1122 3.2.2). */
@inline export function isIcmpError(type: u32): bool {
  return type == ICMP_DEST_UNREACH || type == ICMP_SOURCE_QUENCH || type == ICMP_REDIRECT ||
    type == ICMP_TIME_EXCEEDED || type == ICMP_PARAM_PROBLEM
}

// ICMPv6 types (RFC 4443 2.1, RFC 4861 4).
export const ICMPV6_DEST_UNREACH: u32 = 1
export const ICMPV6_TIME_EXCEEDED: u32 = 3
export const ICMPV6_ECHO_REQUEST: u32 = 128
export const ICMPV6_ECHO_REPLY: u32 = 129
export const ND_ROUTER_SOLICIT: u32 = 133
export const ND_ROUTER_ADVERT: u32 = 134
export const ND_NEIGHBOR_SOLICIT: u32 = 135
export const ND_NEIGHBOR_ADVERT: u32 = 136
/** ICMPv6 types below 128 are errors (RFC 4443 2.1). */
export const ICMPV6_ERROR_MAX: u32 = 127
export const ICMPV6_CODE_NO_ROUTE: u32 = 0
export const ICMPV6_CODE_HOP_LIMIT: u32 = 0

// Neighbor solicitation / advertisement (RFC 4861 4.3, 4.4): type, code, checksum, 4 bytes, target.
export const ND_FLAGS: usize = 4
export const ND_TARGET: usize = 8
export const ND_MESSAGE_BYTES: i32 = 24
/** NA flags in the first byte of the reserved word: Router, Solicited, Override (RFC 4861 4.4). */
export const ND_FLAG_ROUTER: u32 = 0x80
export const ND_FLAG_SOLICITED: u32 = 0x40
export const ND_FLAG_OVERRIDE: u32 = 0x20
/** Link-layer address options (RFC 4861 4.6.1): type, length in 8-byte units, MAC. */
export const ND_OPT_SOURCE_LLADDR: u32 = 1
export const ND_OPT_TARGET_LLADDR: u32 = 2
export const ND_OPT_LLADDR_BYTES: i32 = 8
/** ND messages must arrive with hop limit 255 (RFC 4861 7.1.1). */
export const ND_HOP_LIMIT: u32 = 255
