// ARP for IPv4 over Ethernet (RFC 826), offsets from the start of the ARP payload.

export const ARP_HTYPE: usize = 0
export const ARP_PTYPE: usize = 2
export const ARP_HLEN: usize = 4
export const ARP_PLEN: usize = 5
export const ARP_OP: usize = 6
export const ARP_SHA: usize = 8
export const ARP_SPA: usize = 14
export const ARP_THA: usize = 18
export const ARP_TPA: usize = 24
export const ARP_BYTES: i32 = 28

/** ar$hrd for Ethernet (IANA ARP parameters, hardware type 1). */
export const ARP_HTYPE_ETHERNET: u32 = 1
export const ARP_OP_REQUEST: u32 = 1
export const ARP_OP_REPLY: u32 = 2
