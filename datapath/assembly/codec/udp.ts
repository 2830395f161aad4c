// UDP header (RFC 768) and the well-known ports the pipeline consumes.

export const UDP_SRC_PORT: usize = 0
export const UDP_DST_PORT: usize = 2
export const UDP_LEN: usize = 4
export const UDP_CHECKSUM: usize = 6
export const UDP_HEADER_BYTES: i32 = 8

/** BOOTP/DHCP server and client ports (RFC 2131 4.1). */
export const UDP_PORT_DHCP_SERVER: u32 = 67
export const UDP_PORT_DHCP_CLIENT: u32 = 68
/** IANA-assigned VXLAN port (RFC 7348 5). */
export const UDP_PORT_VXLAN: u32 = 4789
/** IANA-assigned Geneve port (RFC 8926 3.3). */
export const UDP_PORT_GENEVE: u32 = 6081
