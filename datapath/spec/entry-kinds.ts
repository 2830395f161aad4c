// Binary entry encoding shared by the host (datapath/host/entry-codec.ts) and the WASM loader
// (datapath/assembly/pipeline/entry-loader.ts). Codes are stable: append, never renumber.
// Keep this file free of imports (it is compiled by AssemblyScript and TypeScript).
//
// Every entry is little-endian and starts with a 4-byte header:
//
//   0       1       2               4
//   +-------+-------+---------------+------------------------------+
//   | kind  |  0    | body length   | body (layout per kind below) |
//   +-------+-------+---------------+------------------------------+
//
// Addresses travel as 16 bytes (IPv4 in the first 4, network order) preceded by a family byte (4 or 6).
// Bodies (offsets from the body start):
//   CLASSIFY_PORT   in_port u32 @0, vlan u32 @4, network u32 @8, port u32 @12
//   CLASSIFY_TUNNEL tunnel_key u32 @0, network u32 @4
//   PORT_SEC        port u32 @0, disabled u8 @4, mac[6] @5, n4 u8 @11, n6 u8 @12, then n4+n6 prefixes
//                   (family u8, plen u8, addr[16]) of 18 bytes each
//   ARP_ND          network u32 @0, family u8 @4, ip[16] @5, mac[6] @21
//   DHCP            port u32 @0, mac[6] @4, ip[4] @10, plen u8 @14, server_ip[4] @15, server_mac[6] @19,
//                   lease u32 @25, t1 u32 @29, t2 u32 @33, mtu u16 @37, rate u16 @39,
//                   options length u16 @41, options @43 (ready-made TLVs for 3, 6, 15, 26, 121, extras)
//   L2              network u32 @0, mac[6] @4, port u32 @10
//   ROUTER_PORT     port u32 @0, router u32 @4, network u32 @8, mac[6] @12, n u8 @18, then n prefixes
//   ROUTE           router u32 @0, port u32 @4, family u8 @8, plen u8 @9, has_nexthop u8 @10,
//                   prefix[16] @11, nexthop[16] @27
//   NEXTHOP         network u32 @0, family u8 @4, ip[16] @5, mac[6] @21
//   EGRESS          port u32 @0, local u8 @4 (EGRESS_*), ofport u32 @5, remote[4] @9
//   ACL_PORT        port u32 @0, stateful u8 @4, n u8 @5, then n group keys u32 (n <= ACL_PORT_MAX_GROUPS)
//   ACL_RULE        group u32 @0, rule u32 @4, direction u8 @8 (ACL_DIR_*), family u8 @9,
//                   protocol u16 @10 (ACL_PROTO_ANY = any), l4_min u16 @12, l4_max u16 @14,
//                   remote kind u8 @16 (ACL_REMOTE_*), plen u8 @17, remote group u32 @18, prefix[16] @22
//                   l4 is the destination port for TCP/UDP/SCTP/UDP-Lite and (type << 8 | code) for ICMP/ICMPv6;
//                   a rule without ports / type covers 0..65535
//   ACL_MEMBER      group u32 @0, family u8 @4, plen u8 @5, addr[16] @6 (an address of a member of the group)
//   UPLINK          network u32 @0, ofport u32 @4, vlan u32 @8 (0 = untagged)
//   NAT             router u32 @0, network u32 @4, gateway_port u32 @8, mac[6] @12, family u8 @18,
//                   external_ip[16] @19, internal_ip[16] @35
//   ROUTER_GATEWAY  router u32 @0, port u32 @4, snat u8 @8, local u8 @9, redirect[4] @10 (0.0.0.0 = none: the
//                   gateway chassis' tunnel endpoint)
//   ROUTER_ADVERT   network u32 @0, port u32 @4, mac[6] @8, mtu u32 @14 (0 = no MTU option), n u8 @18,
//                   n_dns u8 @19, then n prefixes (mode u8 (RA_MODE_*), plen u8, addr[16]) of 18 bytes each,
//                   then n_dns addresses[16] (n <= RA_MAX_PREFIXES, n_dns <= RA_MAX_DNS)
//   DHCPV6          port u32 @0, mac[6] @4, stateful u8 @10, plen u8 @11, ip[16] @12 (zero when stateless),
//                   server_mac[6] @28, preferred u32 @34, valid u32 @38, t1 u32 @42, t2 u32 @46, rate u16 @50,
//                   options length u16 @52, options @54 (ready-made DHCPv6 TLVs: 23, 24)
// A remove carries the same bytes; only the key fields are read.

export const ENTRY_HEADER_BYTES: i32 = 4
export const ENTRY_CLASSIFY_PORT: i32 = 1
export const ENTRY_CLASSIFY_TUNNEL: i32 = 2
export const ENTRY_PORT_SEC: i32 = 3
export const ENTRY_ARP_ND: i32 = 4
export const ENTRY_DHCP: i32 = 5
export const ENTRY_L2: i32 = 6
export const ENTRY_ROUTER_PORT: i32 = 7
export const ENTRY_ROUTE: i32 = 8
export const ENTRY_NEXTHOP: i32 = 9
export const ENTRY_EGRESS: i32 = 10
export const ENTRY_ACL_PORT: i32 = 11
export const ENTRY_ACL_RULE: i32 = 12
export const ENTRY_ACL_MEMBER: i32 = 13
export const ENTRY_UPLINK: i32 = 14
export const ENTRY_NAT: i32 = 15
export const ENTRY_ROUTER_GATEWAY: i32 = 16
export const ENTRY_ROUTER_ADVERT: i32 = 17
export const ENTRY_DHCPV6: i32 = 18

/** ROUTER_ADVERT prefix mode: Neutron's ipv6_ra_mode of the subnet the prefix is (M/O/A flags, RFC 4861 4.2, 4.6.2). */
export const RA_MODE_SLAAC: i32 = 1
export const RA_MODE_DHCPV6_STATEFUL: i32 = 2
export const RA_MODE_DHCPV6_STATELESS: i32 = 3
/** IPv6 subnets one router port advertises on a network. */
export const RA_MAX_PREFIXES: i32 = 4
/** DNS servers one advertisement carries (RDNSS, RFC 8106 5.1). */
export const RA_MAX_DNS: i32 = 3

/** EGRESS local byte: where the port is. */
export const EGRESS_REMOTE: i32 = 0
export const EGRESS_LOCAL: i32 = 1
/** Reached through the uplink of the packet's network (a provider network port hosted elsewhere). */
export const EGRESS_UPLINK: i32 = 2

/** Security groups one port may have (Neutron has no limit; the compiler reports and refuses more). */
export const ACL_PORT_MAX_GROUPS: i32 = 16
export const ACL_DIR_INGRESS: i32 = 0
export const ACL_DIR_EGRESS: i32 = 1
/** ACL_RULE protocol: any IP protocol. */
export const ACL_PROTO_ANY: i32 = 0xffff
export const ACL_REMOTE_ANY: i32 = 0
export const ACL_REMOTE_PREFIX: i32 = 1
export const ACL_REMOTE_GROUP: i32 = 2

/** Bytes of one encoded prefix: family u8, plen u8, addr[16]. */
export const ENTRY_PREFIX_BYTES: i32 = 18
/** Per-MAC prefixes a port_sec row holds, per family (fixed IPs plus allowed address pairs). */
export const PORT_SEC_MAX_PREFIXES: i32 = 16
/** Addresses a router port holds (both families together). */
export const ROUTER_PORT_MAX_PREFIXES: i32 = 8
/** Bytes of ready-made DHCP options a port may carry. */
export const DHCP_MAX_OPTION_BYTES: i32 = 512

// Results of add/remove, as returned by the WASM loader. 0 = done.
export const ENTRY_OK: i32 = 0
export const ENTRY_ERR_TRUNCATED: i32 = 1
export const ENTRY_ERR_KIND: i32 = 2
export const ENTRY_ERR_FAMILY: i32 = 3
export const ENTRY_ERR_PREFIX_LEN: i32 = 4
export const ENTRY_ERR_TOO_MANY: i32 = 5
export const ENTRY_ERR_NOT_FOUND: i32 = 6
export const ENTRY_ERR_UNKNOWN_REF: i32 = 7
/** A field holds a value its kind does not allow (an ACL rule's direction, protocol, range or remote kind). */
export const ENTRY_ERR_BAD_VALUE: i32 = 8

/** Index = result code; EntryError.code on the host is one of these names (or a host-side one). */
export const ENTRY_RESULT_NAMES: string[] = [
  'ok',
  'truncated',
  'bad_kind',
  'bad_family',
  'bad_prefix_len',
  'too_many',
  'not_found',
  'unknown_ref',
  'bad_value',
]
