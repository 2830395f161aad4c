// Every packet leaves the pipeline with one verdict and one reason, from this single enum shared by the
// WASM datapath (AssemblyScript) and the TypeScript side (host, trace, emitters, metrics), as Cilium shares
// its drop reasons. Codes are stable: append, never renumber.

export const VERDICT_DROP: i32 = 0
/** Forward to a local OpenFlow port (arg: ofport). */
export const VERDICT_OUTPUT: i32 = 1
/** A reply was built in place and goes back out of the ingress port (ARP reply, NA, echo reply). */
export const VERDICT_IN_PORT: i32 = 2
/** Forward to a remote chassis: tunnel endpoint IPv4, network key (tunnel id) and destination port key. */
export const VERDICT_TUNNEL: i32 = 3
/** Flood to the network's ports (arg: network key); the ingress port is excluded by the target. */
export const VERDICT_FLOOD: i32 = 4
/** Hand to the software slow path (packet-in) with a reason. */
export const VERDICT_PUNT: i32 = 5

export const VERDICT_NAMES: string[] = ['drop', 'output', 'in_port', 'tunnel', 'flood', 'punt']

export const REASON_NONE: i32 = 0
// malformed input
export const REASON_TRUNCATED: i32 = 1
export const REASON_BAD_ETH: i32 = 2
export const REASON_BAD_VLAN: i32 = 3
export const REASON_BAD_ARP: i32 = 4
export const REASON_BAD_IPV4_HEADER: i32 = 5
export const REASON_BAD_IPV4_CHECKSUM: i32 = 6
export const REASON_BAD_IPV6_HEADER: i32 = 7
export const REASON_BAD_IPV6_EXT: i32 = 8
export const REASON_BAD_L4_CHECKSUM: i32 = 9
export const REASON_BAD_ICMP: i32 = 10
export const REASON_BAD_DHCP: i32 = 11
export const REASON_BAD_TUNNEL: i32 = 12
// policy
export const REASON_UNKNOWN_IN_PORT: i32 = 13
export const REASON_UNKNOWN_TUNNEL_KEY: i32 = 14
export const REASON_PORT_SEC_MAC: i32 = 15
export const REASON_PORT_SEC_IP: i32 = 16
export const REASON_PORT_SEC_ARP: i32 = 17
export const REASON_DHCP_UNKNOWN_PORT: i32 = 18
export const REASON_DHCP_RATE_LIMIT: i32 = 19
export const REASON_NO_ROUTE: i32 = 20
export const REASON_TTL_EXPIRED: i32 = 21
export const REASON_EGRESS_NO_PORT: i32 = 22
export const REASON_SRC_MAC_MULTICAST: i32 = 23
export const REASON_ICMP_RATE_LIMIT: i32 = 24
export const REASON_HAIRPIN: i32 = 25
export const REASON_UNSUPPORTED: i32 = 26
// slow path
export const REASON_PUNT_DHCP: i32 = 27
export const REASON_PUNT_NEXTHOP_MISS: i32 = 28
export const REASON_PUNT_ICMP_ERROR: i32 = 29
export const REASON_PUNT_ROUTER_LOCAL: i32 = 30
// security groups and connection tracking (appended: codes are stable)
/** No rule of the port's security groups allows the packet (new connection, or an established one re-checked). */
export const REASON_ACL_DENY: i32 = 31
/** Conntrack says invalid (a TCP packet outside the window, a bad flag combination, an orphan ICMP error). */
export const REASON_CT_INVALID: i32 = 32
/** A reply of a connection that the rules stopped allowing (the connection is marked blocked). */
export const REASON_CT_BLOCKED: i32 = 33
/** The connection table is full: a new connection that would be committed is dropped. */
export const REASON_CT_FULL: i32 = 34
// north-south (BEHAVIOUR.md "Ways in and out"; appended: codes are stable)
/** An ARP reply or neighbour advertisement addressed to a router port MAC: the slow path learns the next hop. */
export const REASON_PUNT_NEIGHBOUR: i32 = 35
/** Routed out of a gateway with SNAT on, from an address without a floating IP: port translation is not
 * available on this node (BEHAVIOUR.md "Ways in and out"). */
export const REASON_NO_SNAT: i32 = 36
/** Addressed to a router gateway MAC from the physical network on a chassis that is not the gateway chassis. */
export const REASON_GATEWAY_ELSEWHERE: i32 = 37
// IPv6 autoconfiguration (BEHAVIOUR.md step 5; appended: codes are stable)
/** A router solicitation on a network whose router port sends router advertisements: the slow path answers it. */
export const REASON_PUNT_ROUTER_SOLICIT: i32 = 38
/** More router solicitations from one port than its bucket allows (BEHAVIOUR.md 5): dropped unanswered. */
export const REASON_ROUTER_SOLICIT_RATE_LIMIT: i32 = 39
// DHCPv6 (BEHAVIOUR.md step 6; appended: codes are stable)
/** A DHCPv6 message that breaks RFC 8415 (truncated options, no client id, a server id where none may be). */
export const REASON_BAD_DHCPV6: i32 = 40
/** A Relay-forward message from a port: the server answers only clients on the link (BEHAVIOUR.md 6). */
export const REASON_DHCPV6_RELAY: i32 = 41
/** A DHCPv6 message naming another server's DUID: ignored (RFC 8415 16.2). */
export const REASON_DHCPV6_OTHER_SERVER: i32 = 42
export const REASON_COUNT: i32 = 43

/** Index = reason code. Names are what trace, metrics and conformance vectors print and match. */
export const REASON_NAMES: string[] = [
  'none',
  'truncated',
  'bad_eth',
  'bad_vlan',
  'bad_arp',
  'bad_ipv4_header',
  'bad_ipv4_checksum',
  'bad_ipv6_header',
  'bad_ipv6_ext',
  'bad_l4_checksum',
  'bad_icmp',
  'bad_dhcp',
  'bad_tunnel',
  'unknown_in_port',
  'unknown_tunnel_key',
  'port_sec_mac',
  'port_sec_ip',
  'port_sec_arp',
  'dhcp_unknown_port',
  'dhcp_rate_limit',
  'no_route',
  'ttl_expired',
  'egress_no_port',
  'src_mac_multicast',
  'icmp_rate_limit',
  'hairpin',
  'unsupported',
  'punt_dhcp',
  'punt_nexthop_miss',
  'punt_icmp_error',
  'punt_router_local',
  'acl_deny',
  'ct_invalid',
  'ct_blocked',
  'ct_full',
  'punt_neighbour',
  'no_snat',
  'gateway_elsewhere',
  'punt_router_solicit',
  'router_solicit_rate_limit',
  'bad_dhcpv6',
  'dhcpv6_relay',
  'dhcpv6_other_server',
]
