// IPv4 header (RFC 791 3.1), offsets from the start of the IP header.

export const IPV4_VER_IHL: usize = 0
export const IPV4_TOTAL_LEN: usize = 2
export const IPV4_ID: usize = 4
export const IPV4_FLAGS_FRAG: usize = 6
export const IPV4_TTL: usize = 8
export const IPV4_PROTO: usize = 9
export const IPV4_CHECKSUM: usize = 10
export const IPV4_SRC: usize = 12
export const IPV4_DST: usize = 16
export const IPV4_MIN_HEADER_BYTES: i32 = 20

/** Flags and fragment offset word: MF bit and the 13-bit offset (RFC 791 3.1). */
export const IPV4_FLAG_MF: u32 = 0x2000
export const IPV4_FLAG_DF: u32 = 0x4000
export const IPV4_FRAG_OFFSET_MASK: u32 = 0x1fff

// Assigned Internet Protocol Numbers (IANA).
export const IPPROTO_HOPOPTS: u32 = 0
export const IPPROTO_ICMP: u32 = 1
export const IPPROTO_TCP: u32 = 6
export const IPPROTO_UDP: u32 = 17
export const IPPROTO_ROUTING: u32 = 43
export const IPPROTO_FRAGMENT: u32 = 44
export const IPPROTO_ICMPV6: u32 = 58
export const IPPROTO_NONE: u32 = 59
export const IPPROTO_DSTOPTS: u32 = 60
/** SCTP (RFC 9260) and UDP-Lite (RFC 3828): ports where TCP and UDP have them. */
export const IPPROTO_SCTP: u32 = 132
export const IPPROTO_UDPLITE: u32 = 136

/** TTL for packets the datapath originates (echo replies, ICMP errors), as Linux's default (RFC 1700). */
export const ORIGINATED_TTL: u32 = 64

/** 224.0.0.0/4 (RFC 5771) or the limited broadcast 255.255.255.255 (RFC 919). `a` is in host order. */
@inline export function isIpv4MulticastOrBroadcast(a: u32): bool {
  return (a >> 28) == 0xe || a == 0xffffffff
}
