// Network attributes (core + net-mtu, provider, external-net, port-security, availability zones).
import { type AttributeMap, adminStateAttr, bool, int, list, nameAttr, nullable, oneOf, standardAttributes, str } from '../attributes.js'

export const NETWORK_TYPES = ['vxlan', 'geneve', 'gre', 'vlan', 'flat', 'local'] as const

/** The largest segmentation id of any type (a GRE key, 32 bits); each type's own range is checked on create. */
export const MAX_SEGMENTATION_ID = 0xffffffff

export const NETWORK_ATTRIBUTES: AttributeMap = {
  ...standardAttributes(),
  name: nameAttr,
  admin_state_up: adminStateAttr,
  status: { filter: 'string' },
  subnets: { filter: 'none' },
  shared: { post: true, put: true, default: false, convert: bool, filter: 'bool' },
  // 68 is the IPv4 minimum (RFC 791); the default depends on the network type and is set on create.
  mtu: { post: true, put: true, convert: int({ min: 68, max: 65535 }), filter: 'int' },
  'router:external': { post: true, put: true, default: false, convert: bool, filter: 'bool' },
  'provider:network_type': { post: true, convert: oneOf(NETWORK_TYPES), filter: 'string' },
  'provider:physical_network': { post: true, convert: nullable(str(64)), filter: 'string' },
  'provider:segmentation_id': { post: true, convert: nullable(int({ min: 0, max: MAX_SEGMENTATION_ID })), filter: 'int' },
  port_security_enabled: { post: true, put: true, default: true, convert: bool, filter: 'bool' },
  availability_zone_hints: { post: true, default: [], convert: list(str(255)), filter: 'none' },
  availability_zones: { filter: 'none' },
  ipv4_address_scope: { filter: 'string' },
  ipv6_address_scope: { filter: 'string' },
  l2_adjacency: { filter: 'bool' },
  is_default: { post: true, put: true, default: false, convert: bool, filter: 'bool' },
}
