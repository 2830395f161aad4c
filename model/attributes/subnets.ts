// Subnet attributes (core, IPv6 modes, subnet_allocation, host routes).
import {
  type AttributeMap,
  bool,
  int,
  ip,
  list,
  nameAttr,
  noneIsEmptyList,
  nullable,
  oneOf,
  shape,
  standardAttributes,
  str,
  subnetCidr,
  uuid,
  prefix,
} from '../attributes.js'

export const IPV6_MODES = ['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac'] as const

export const SUBNET_ATTRIBUTES: AttributeMap = {
  ...standardAttributes(),
  name: nameAttr,
  network_id: { post: true, required: true, convert: uuid, filter: 'string' },
  ip_version: { post: true, required: true, convert: (v, f) => oneOf([4, 6])(int()(v, f), f), filter: 'int' },
  cidr: { post: true, convert: subnetCidr, filter: 'string' },
  prefixlen: { post: true, convert: int({ min: 0, max: 128 }), filter: 'none' },
  subnetpool_id: { post: true, convert: nullable(uuid), filter: 'string' },
  use_default_subnetpool: { post: true, convert: bool, filter: 'none' },
  gateway_ip: { post: true, put: true, convert: nullable(ip), filter: 'string' },
  allocation_pools: { post: true, put: true, convert: list(shape({ start: ip, end: ip }, ['start', 'end'])), filter: 'none' },
  enable_dhcp: { post: true, put: true, default: true, convert: bool, filter: 'bool' },
  dns_nameservers: { post: true, put: true, default: [], convert: noneIsEmptyList(list(ip, { max: 5 })), filter: 'none' },
  host_routes: {
    post: true,
    put: true,
    default: [],
    convert: noneIsEmptyList(list(shape({ destination: prefix, nexthop: ip }, ['destination', 'nexthop']), { max: 20 })),
    filter: 'none',
  },
  ipv6_ra_mode: { post: true, convert: nullable(oneOf(IPV6_MODES)), default: null, filter: 'string' },
  ipv6_address_mode: { post: true, convert: nullable(oneOf(IPV6_MODES)), default: null, filter: 'string' },
  service_types: { post: true, put: true, default: [], convert: list(str(255)), filter: 'none' },
  segment_id: { post: true, convert: nullable(uuid), default: null, filter: 'string' },
  dns_publish_fixed_ip: { post: true, put: true, convert: bool, filter: 'bool' },
  // Its network's `shared`, as Neutron filters subnets (shared=True lists the subnets of shared networks).
  shared: { filter: 'bool', filterOnly: true },
}
