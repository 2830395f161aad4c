// The logical model as stored: each object's `value` in the store. Standard attributes (revision_number) come
// from the store's version; `key` is the small unique integer the datapath uses (tunnel key, port key, router
// key), taken from store.allocateKey and never shown through the API.
import type { Pool } from './ipam.js'
import type { TunnelType } from './tunnel-types.js'

export interface Standard {
  id: string
  project_id: string
  description: string
  tags: string[]
  created_at: string
  updated_at: string
}

export interface Network extends Standard {
  name: string
  admin_state_up: boolean
  status: string
  shared: boolean
  mtu: number
  'router:external': boolean
  'provider:network_type': string
  'provider:physical_network': string | null
  'provider:segmentation_id': number | null
  port_security_enabled: boolean
  availability_zone_hints: string[]
  is_default: boolean
  /** Datapath tunnel key. */
  key: number
}

export interface HostRoute {
  destination: string
  nexthop: string
}

export interface Subnet extends Standard {
  name: string
  network_id: string
  ip_version: 4 | 6
  cidr: string
  gateway_ip: string | null
  allocation_pools: Pool[]
  enable_dhcp: boolean
  dns_nameservers: string[]
  host_routes: HostRoute[]
  ipv6_ra_mode: string | null
  ipv6_address_mode: string | null
  subnetpool_id: string | null
  service_types: string[]
  segment_id: string | null
}

export interface FixedIp {
  subnet_id: string
  ip_address: string
}
export interface AddressPair {
  ip_address: string
  mac_address?: string
}
export interface DhcpOpt {
  opt_name: string
  opt_value: string | null
  ip_version?: number
}

export interface Port extends Standard {
  name: string
  network_id: string
  admin_state_up: boolean
  mac_address: string
  fixed_ips: FixedIp[]
  device_id: string
  device_owner: string
  status: string
  security_groups: string[]
  port_security_enabled: boolean
  allowed_address_pairs: AddressPair[]
  extra_dhcp_opts: DhcpOpt[]
  'binding:host_id': string
  'binding:vnic_type': string
  'binding:profile': Record<string, unknown>
  dns_name: string
  propagate_uplink_status: boolean
  /** Datapath port key. */
  key: number
}

export interface GatewayInfo {
  network_id: string
  enable_snat: boolean
  external_fixed_ips: FixedIp[]
}

export interface RouterInterface {
  port_id: string
  subnet_id: string
  network_id: string
}

export interface Router extends Standard {
  name: string
  admin_state_up: boolean
  status: string
  external_gateway_info: GatewayInfo | null
  routes: HostRoute[]
  distributed: boolean
  ha: boolean
  availability_zone_hints: string[]
  flavor_id: string | null
  /** The router's interface ports (device_owner network:router_interface), kept with the router for the agent. */
  interfaces: RouterInterface[]
  /** Id of the gateway port, when there is a gateway. */
  gw_port_id: string | null
  /** Datapath router key. */
  key: number
}

export interface FloatingIp extends Standard {
  floating_ip_address: string
  floating_network_id: string
  port_id: string | null
  fixed_ip_address: string | null
  router_id: string | null
  status: string
  /** The port on the external network that holds the address. */
  floating_port_id: string
}

export interface SecurityGroup extends Standard {
  name: string
  stateful: boolean
  /** Datapath security group key (acl_port groups, acl_rule and acl_member group). */
  key: number
}

export interface SecurityGroupRule extends Standard {
  security_group_id: string
  direction: 'ingress' | 'egress'
  ethertype: 'IPv4' | 'IPv6'
  protocol: string | null
  port_range_min: number | null
  port_range_max: number | null
  remote_ip_prefix: string | null
  remote_group_id: string | null
  remote_address_group_id: string | null
  /** Datapath rule key (acl_rule rule). */
  key: number
}

export interface SubnetPool extends Standard {
  name: string
  prefixes: string[]
  default_prefixlen: number
  min_prefixlen: number
  max_prefixlen: number
  ip_version: 4 | 6
  shared: boolean
  is_default: boolean
  default_quota: number | null
  address_scope_id: string | null
}

/** A node running the local controller; written by the agent, read by the API for port binding. */
export interface Chassis {
  id: string
  hostname: string
  tunnel_ip: string
  tunnel_types: TunnelType[]
  external_ids: Record<string, string>
  updated_at: string
}

/** What marks an IP as used: one record per (subnet, address), created with its port. */
export interface IpAllocation {
  subnet_id: string
  network_id: string
  ip_address: string
  port_id: string
}
export interface MacAllocation {
  network_id: string
  mac_address: string
  port_id: string
}
