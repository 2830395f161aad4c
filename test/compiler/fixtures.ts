// Model objects shaped as the northbound stores them (model/types.ts), with defaults, for compiler tests.
import type { Chassis, Network, Port, Router, Subnet } from '../../model/types.js'
import type { Change } from '../../store/types.js'

const standard = (id: string) => ({ id, project_id: 'p1', description: '', tags: [], created_at: '', updated_at: '' })

export function network(id: string, key: number, over: Partial<Network> = {}): Network {
  return {
    ...standard(id), name: id, admin_state_up: true, status: 'ACTIVE', shared: false, mtu: 1450, 'router:external': false,
    'provider:network_type': 'vxlan', 'provider:physical_network': null, 'provider:segmentation_id': key,
    port_security_enabled: true, availability_zone_hints: [], is_default: false, key, ...over,
  }
}

export function subnet(id: string, networkId: string, cidr: string, over: Partial<Subnet> = {}): Subnet {
  const v6 = cidr.includes(':')
  return {
    ...standard(id), name: id, network_id: networkId, ip_version: v6 ? 6 : 4, cidr,
    gateway_ip: v6 ? cidr.replace(/::\/\d+$/, '::1') : cidr.replace(/\.0\/\d+$/, '.1'),
    allocation_pools: [], enable_dhcp: !v6, dns_nameservers: [], host_routes: [], ipv6_ra_mode: null, ipv6_address_mode: null,
    subnetpool_id: null, service_types: [], segment_id: null, ...over,
  }
}

export function port(id: string, key: number, over: Partial<Port> & { network_id: string }): Port {
  return {
    ...standard(id), name: id, admin_state_up: true, mac_address: `fa:16:3e:00:${(key >> 8).toString(16).padStart(2, '0')}:${(key & 0xff).toString(16).padStart(2, '0')}`,
    fixed_ips: [], device_id: '', device_owner: 'compute:nova', status: 'ACTIVE', security_groups: [], port_security_enabled: true,
    allowed_address_pairs: [], extra_dhcp_opts: [], 'binding:host_id': '', 'binding:vnic_type': 'normal', 'binding:profile': {},
    dns_name: '', propagate_uplink_status: false, key, ...over,
  }
}

export function router(id: string, key: number, over: Partial<Router> = {}): Router {
  return {
    ...standard(id), name: id, admin_state_up: true, status: 'ACTIVE', external_gateway_info: null, routes: [], distributed: false,
    ha: false, availability_zone_hints: [], flavor_id: null, interfaces: [], gw_port_id: null, key, ...over,
  }
}

export function chassis(id: string, tunnelIp: string, over: Partial<Chassis> = {}): Chassis {
  return { id, hostname: id, tunnel_ip: tunnelIp, tunnel_types: ['vxlan'], external_ids: {}, updated_at: '', ...over }
}

/** A create (version 1) or update change carrying `value`; no store revision, so versions alone order it. */
export function put<T extends { id: string }>(table: string, value: T, version = 1): Change {
  return { table, id: value.id, version, action: version === 1 ? 'create' : 'update', topics: [], value: value as unknown as Record<string, unknown> }
}

export function del(table: string, id: string, version = 1): Change {
  return { table, id, version, action: 'delete', topics: [] }
}
