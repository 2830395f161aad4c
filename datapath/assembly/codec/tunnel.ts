// Overlay headers the datapath decapsulates: VXLAN (RFC 7348 5) and Geneve (RFC 8926 3.4),
// offsets from the start of the UDP payload.

export const VXLAN_FLAGS: usize = 0
export const VXLAN_VNI: usize = 4
export const VXLAN_HEADER_BYTES: i32 = 8
/** The I flag: the VNI is valid (RFC 7348 5). */
export const VXLAN_FLAG_I: u32 = 0x08

/** Ver (2 bits) and Opt Len (6 bits, in 4-byte words). */
export const GENEVE_VER_OPTLEN: usize = 0
export const GENEVE_PROTOCOL: usize = 2
export const GENEVE_VNI: usize = 4
export const GENEVE_HEADER_BYTES: i32 = 8
export const GENEVE_VERSION: u32 = 0
