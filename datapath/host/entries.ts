// Pipeline entries: the typed rows that the agent produces and that the WASM datapath and every offload
// target consume. `stage` names the entry table (see `tables` in datapath/spec/stages.ts).
// Keys are small integers allocated by the store (network key = tunnel id, port key, router key).
// Addresses are text here (JSON topologies, vectors, trace); the host encodes them to bytes for WASM.

/** "fa:16:3e:00:00:01" */
export type Mac = string
/** "10.0.0.5" or "2001:db8::5" */
export type Ip = string
/** "10.0.0.0/24" or "2001:db8::/64" */
export type Cidr = string

/** A local port (in_port + optional VLAN) -> network and source port; drop unknown_in_port on miss. */
export interface ClassifyPortEntry {
  stage: 'classify'
  in_port: number
  /** 802.1Q VID; absent or 0 = untagged. A tagged frame on an untagged entry is dropped bad_vlan. */
  vlan?: number
  network: number
  port: number
}

/** A tunnel key (VXLAN VNI / Geneve VNI) -> network, for frames arriving encapsulated (decap classification). */
export interface ClassifyTunnelEntry {
  stage: 'classify'
  tunnel_key: number
  network: number
}

/**
 * Allowed source addresses for a port: one row per MAC (the port's own, or an allowed-address-pair MAC),
 * with the IPv4/IPv6 prefixes allowed with that MAC (fixed IPs as /32 or /128, CIDR pairs as they are).
 * A port with port security off has one row { port, disabled: true }. A port with no row at all drops
 * everything with port_sec_mac. DHCP client traffic (0.0.0.0 -> 255.255.255.255 UDP 68->67) and IPv6 DAD
 * (:: source) are allowed from the port's MACs before an address exists.
 */
export interface PortSecEntry {
  stage: 'port_sec'
  port: number
  mac?: Mac
  ips?: Cidr[]
  disabled?: boolean
}

/** The ARP / ND responder answers for `ip` with `mac` on `network` (reply built in place, verdict in_port). */
export interface ArpNdEntry {
  stage: 'arp_nd'
  network: number
  ip: Ip
  mac: Mac
}

/** DHCPv4 server configuration for one port (its MAC and the one address it gets). */
export interface DhcpEntry {
  stage: 'dhcp'
  port: number
  mac: Mac
  ip: Ip
  prefix_len: number
  server_ip: Ip
  server_mac: Mac
  router?: Ip
  dns?: Ip[]
  domain?: string
  /** seconds; default 86400 */
  lease?: number
  /** T1 seconds; default lease/2 */
  renewal?: number
  /** T2 seconds; default lease*7/8 */
  rebind?: number
  mtu?: number
  /** Classless static routes (option 121); the router is added as 0.0.0.0/0 when present (RFC 3442 3). */
  routes?: { destination: Cidr; nexthop: Ip }[]
  /** Extra options, raw: code 1..254, value as hex. */
  options?: { code: number; hex: string }[]
  /** Packet-ins per second allowed from this port (token bucket, burst = rate); default 10. */
  rate?: number
}

/** (network, MAC) -> port key. */
export interface L2Entry {
  stage: 'l2'
  network: number
  mac: Mac
  port: number
}

/** A router port: frames to `mac` on `network` enter router `router`; its `ips` (with prefix) are the router's. */
export interface RouterPortEntry {
  stage: 'router_port'
  port: number
  router: number
  network: number
  mac: Mac
  ips: Cidr[]
}

/** A route of `router`: prefix -> out router port, via `nexthop` (absent = directly connected: nexthop = ip_dst). */
export interface RouteEntry {
  stage: 'route'
  router: number
  prefix: Cidr
  port: number
  nexthop?: Ip
}

/** Next-hop resolution on the out network: IP -> MAC. Miss = punt punt_nexthop_miss. */
export interface NexthopEntry {
  stage: 'nexthop'
  network: number
  ip: Ip
  mac: Mac
}

/** Where a port is: a local OpenFlow port, a remote chassis reached through a tunnel, or the network's uplink.
 * Exactly one of local, remote, uplink (the codec checks it; an undefined one counts as absent). */
export interface EgressEntry {
  stage: 'egress'
  port: number
  /** ofport on this node */
  local?: number | undefined
  /** the remote chassis' tunnel endpoint (IPv4) */
  remote?: Ip | undefined
  /** reached through the uplink of the packet's network (a port of a provider network on another chassis):
   * the frame leaves through the uplink's ofport, tagged with its VLAN */
  uplink?: true
}

/**
 * A provider (flat or VLAN) network's way onto the physical network: the patch port to the operator's bridge
 * that `--bridge-mappings` names for the network's physical network. One per network. Frames from `ofport` with
 * VLAN `vlan` (absent or 0: untagged, a flat network) are classified to `network` with no source port, as
 * tunnel traffic is: no port security, no DHCP, no egress security group (they come from outside the cloud).
 * Frames flooded on the network and frames to an `egress uplink` port leave through `ofport` with the tag
 * pushed; a reply built in place for a frame from the uplink goes back tagged.
 */
export interface UplinkEntry {
  stage: 'uplink'
  network: number
  ofport: number
  vlan?: number
}

/**
 * A floating IP, on the chassis that hosts its port (Dragonflow's distributed DNAT): `external_ip` on the
 * external network `network` (with `mac`, the floating IP port's MAC, which the ARP responder answers with) is
 * `internal_ip` (the port's fixed IP) behind `router`, whose gateway port is `gateway_port` (a router port key).
 * lr_in_dnat rewrites the destination external -> internal on the way in, lr_out_snat the source internal ->
 * external (and the source MAC to `mac`) on the way out of the gateway port. 1:1, no connection state.
 */
export interface NatEntry {
  stage: 'nat'
  router: number
  network: number
  gateway_port: number
  mac: Mac
  external_ip: Ip
  internal_ip: Ip
}

/**
 * A router's gateway: `port` is its router port on the external network (it also has a router_port entry).
 * `snat`: Neutron's enable_snat. `local`: this chassis is the router's gateway chassis, which alone answers ARP
 * for the gateway IP, alone accepts frames addressed to the gateway MAC from the physical network, and alone
 * translates sources without a floating IP to the gateway IP (port translation, with its connection table).
 */
export interface RouterGatewayEntry {
  stage: 'router_gateway'
  router: number
  port: number
  snat: boolean
  local: boolean
  /** not local: the gateway chassis' tunnel endpoint (IPv4), where traffic leaving through the gateway port
   * without a floating IP is sent as it entered the router (BEHAVIOUR.md "SNAT for ports without a floating
   * IP"); absent: such traffic drops gateway_elsewhere */
  redirect?: Ip
}

/**
 * A local port whose security groups are enforced here (port security on). `groups` are security group keys
 * (union of their rules); `stateful` false = every packet is checked against the rules, no connection tracking
 * (Neutron does not allow a port to mix stateful and stateless groups). No entry for a port = not enforced on
 * this chassis (port security off, or the port is remote: its own chassis enforces its ingress rules).
 * An entry with no groups passes only what is always allowed (BEHAVIOUR.md "Security groups").
 */
export interface AclPortEntry {
  stage: 'acl_port'
  port: number
  stateful: boolean
  groups: number[]
}

/**
 * One rule of a security group (Neutron security_group_rule; allow-only, so order and overlap do not matter).
 * direction 'egress' applies to packets from the group's ports (remote = the destination), 'ingress' to packets
 * to them (remote = the source). protocol: IP protocol number (Neutron names resolved by the compiler; icmp
 * with family 6 is 58); absent = any protocol. port_min/port_max: destination port range (TCP, UDP, SCTP,
 * UDP-Lite). icmp_type/icmp_code: ICMP or ICMPv6 type and code (absent = any). remote_prefix or remote_group
 * (the group's members, see AclMemberEntry); neither = any address of the family.
 */
export interface AclRuleEntry {
  stage: 'acl_rule'
  group: number
  /** the rule's key, unique within its group (the store allocates rule keys from one space, so its keys are
   * unique cloud-wide; targets must not rely on that: topologies may number rules per group) */
  rule: number
  direction: 'ingress' | 'egress'
  family: 4 | 6
  protocol?: number
  port_min?: number
  port_max?: number
  icmp_type?: number
  icmp_code?: number
  remote_prefix?: Cidr
  remote_group?: number
}

/** Neutron's ipv6_ra_mode: what a router advertisement says about a prefix (RFC 4861 4.2 M/O, 4.6.2 A). */
export type Ipv6RaMode = 'slaac' | 'dhcpv6-stateful' | 'dhcpv6-stateless'

/**
 * What the router port `port` (MAC `mac`) on `network` advertises (RFC 4861 6.2.3): its IPv6 subnets that have
 * an ipv6_ra_mode, each as its /64 with that mode, the network's MTU and the subnets' DNS servers (RDNSS,
 * RFC 8106). One per network. A router solicitation from a local port on the network is punted and the slow path
 * answers it with an advertisement from fe80::/64 + the modified EUI-64 of `mac` (BEHAVIOUR.md step 5).
 */
export interface RouterAdvertEntry {
  stage: 'router_advert'
  network: number
  port: number
  mac: Mac
  prefixes: { prefix: Cidr; mode: Ipv6RaMode }[]
  /** the network's MTU; absent or 0 = no MTU option */
  mtu?: number
  dns?: Ip[]
}

/**
 * DHCPv6 server configuration for one port (RFC 8415; BEHAVIOUR.md step 6): a port on a subnet with
 * ipv6_address_mode dhcpv6-stateful (gets `ip`, its fixed IPv6 address, in an IA_NA) or dhcpv6-stateless (gets
 * only DNS servers and the domain search list). The server's DUID is DUID-LL of `server_mac` (the DHCP port's
 * MAC) and it answers from fe80::/64 + the modified EUI-64 of that MAC.
 */
export interface Dhcp6Entry {
  stage: 'dhcp6'
  port: number
  mac: Mac
  mode: 'dhcpv6-stateful' | 'dhcpv6-stateless'
  /** stateful: the port's fixed IPv6 address and its subnet's prefix length (Confirm checks on-link) */
  ip?: Ip
  prefix_len?: number
  server_mac: Mac
  /** option 23 (RFC 3646 3) */
  dns?: Ip[]
  /** option 24 (RFC 3646 4) */
  domains?: string[]
  /** seconds; valid default 86400, preferred default = valid, T1 default preferred/2, T2 default preferred*4/5
   * (RFC 8415 21.4 recommends 0.5 and 0.8) */
  valid?: number
  preferred?: number
  renewal?: number
  rebind?: number
  /** Packet-ins per second allowed from this port (token bucket, burst = rate); default 10, as DHCPv4's. */
  rate?: number
}

/** An address of a port that is a member of security group `group`: its fixed IPs (/32, /128) and its allowed
 * address pairs (as given, possibly wider prefixes). Only groups that some rule names as remote_group get them. */
export interface AclMemberEntry {
  stage: 'acl_member'
  group: number
  prefix: Cidr
}

export type Entry =
  | ClassifyPortEntry
  | ClassifyTunnelEntry
  | PortSecEntry
  | ArpNdEntry
  | DhcpEntry
  | L2Entry
  | RouterPortEntry
  | RouteEntry
  | NexthopEntry
  | EgressEntry
  | AclPortEntry
  | AclRuleEntry
  | AclMemberEntry
  | UplinkEntry
  | NatEntry
  | RouterGatewayEntry
  | RouterAdvertEntry
  | Dhcp6Entry

/** A topology file: the entries of one node's pipeline (test/conformance/topologies/, examples/). */
export interface Topology {
  description?: string
  entries: Entry[]
}
