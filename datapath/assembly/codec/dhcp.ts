// DHCPv4 message format (RFC 2131 2) and options (RFC 2132), offsets from the start of the UDP payload.

export const DHCP_OP: usize = 0
export const DHCP_HTYPE: usize = 1
export const DHCP_HLEN: usize = 2
export const DHCP_HOPS: usize = 3
export const DHCP_XID: usize = 4
export const DHCP_SECS: usize = 8
export const DHCP_FLAGS: usize = 10
export const DHCP_CIADDR: usize = 12
export const DHCP_YIADDR: usize = 16
export const DHCP_SIADDR: usize = 20
export const DHCP_GIADDR: usize = 24
export const DHCP_CHADDR: usize = 28
/** sname (64) and file (128) follow chaddr (16); the magic cookie starts the options (RFC 2131 3). */
export const DHCP_COOKIE: usize = 236
export const DHCP_OPTIONS: usize = 240
export const DHCP_FIXED_BYTES: i32 = 240
export const DHCP_MAGIC_COOKIE: u32 = 0x63825363

export const BOOTREQUEST: u32 = 1
export const BOOTREPLY: u32 = 2
/** The broadcast bit of `flags` (RFC 2131 2, figure 2). */
export const DHCP_FLAG_BROADCAST: u32 = 0x8000

// Option codes (RFC 2132 unless noted).
export const OPT_PAD: u32 = 0
export const OPT_SUBNET_MASK: u32 = 1
export const OPT_REQUESTED_IP: u32 = 50
export const OPT_LEASE_TIME: u32 = 51
export const OPT_MESSAGE_TYPE: u32 = 53
export const OPT_SERVER_ID: u32 = 54
export const OPT_RENEWAL_TIME: u32 = 58
export const OPT_REBINDING_TIME: u32 = 59
export const OPT_END: u32 = 255

// DHCP message types (RFC 2132 9.6).
export const DHCPDISCOVER: u32 = 1
export const DHCPOFFER: u32 = 2
export const DHCPREQUEST: u32 = 3
export const DHCPDECLINE: u32 = 4
export const DHCPACK: u32 = 5
export const DHCPNAK: u32 = 6
export const DHCPRELEASE: u32 = 7
export const DHCPINFORM: u32 = 8
