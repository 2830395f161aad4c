// Port attributes (core, binding, port-security, allowed-address-pairs, extra_dhcp_opt, security groups).
import {
  type AttributeMap,
  type Converter,
  adminStateAttr,
  bool,
  dict,
  int,
  ip,
  list,
  mac,
  nameAttr,
  noneIsEmptyList,
  nullable,
  oneOf,
  prefix,
  shape,
  standardAttributes,
  str,
  uniqueList,
  uuid,
} from '../attributes.js'

export const VNIC_TYPES = [
  'normal',
  'direct',
  'macvtap',
  'baremetal',
  'direct-physical',
  'virtio-forwarder',
  'smart-nic',
  'remote-managed',
  'vdpa',
] as const

const EXTRA_DHCP_OPT_SHAPE = shape(
  { opt_name: str(255), opt_value: nullable(str(255)), ip_version: (v, f) => oneOf([4, 6])(int()(v, f), f) },
  ['opt_name'],
)

/** One extra DHCP option; an option given without ip_version is a DHCPv4 one, as Neutron stores it. */
export const EXTRA_DHCP_OPT: Converter = (v, f) => ({ ip_version: 4, ...(EXTRA_DHCP_OPT_SHAPE(v, f) as Record<string, unknown>) })

export const PORT_ATTRIBUTES: AttributeMap = {
  ...standardAttributes(),
  name: nameAttr,
  network_id: { post: true, required: true, convert: uuid, filter: 'string' },
  admin_state_up: adminStateAttr,
  mac_address: { post: true, put: true, convert: mac, filter: 'string' },
  fixed_ips: { post: true, put: true, convert: list(shape({ subnet_id: uuid, ip_address: ip })), filter: 'none' },
  device_id: { post: true, put: true, default: '', convert: str(255), filter: 'string' },
  device_owner: { post: true, put: true, default: '', convert: str(255), filter: 'string' },
  status: { filter: 'string' },
  // Neutron's uuid_list: no id twice (400 Duplicate items).
  security_groups: { post: true, put: true, convert: noneIsEmptyList(uniqueList(uuid)), filter: 'none' },
  port_security_enabled: { post: true, put: true, convert: bool, filter: 'bool' },
  // The address is kept as written (an IP or a CIDR), as Neutron returns it; the port's MAC fills a missing mac_address.
  allowed_address_pairs: {
    post: true,
    put: true,
    default: [],
    convert: noneIsEmptyList(
      list(
        shape(
          {
            ip_address: (v, f) => {
              prefix(v, f)
              return v
            },
            mac_address: mac,
          },
          ['ip_address'],
        ),
      ),
    ),
    filter: 'none',
  },
  extra_dhcp_opts: { post: true, put: true, default: [], convert: list(EXTRA_DHCP_OPT), filter: 'none' },
  'binding:host_id': { post: true, put: true, default: '', convert: str(255), filter: 'string' },
  'binding:vnic_type': { post: true, put: true, default: 'normal', convert: oneOf(VNIC_TYPES), filter: 'string' },
  'binding:profile': { post: true, put: true, default: {}, convert: dict, filter: 'none' },
  'binding:vif_type': { filter: 'string' },
  'binding:vif_details': { filter: 'none' },
  dns_name: { post: true, put: true, default: '', convert: str(255), filter: 'string' },
  dns_assignment: { filter: 'none' },
  propagate_uplink_status: { post: true, put: true, default: false, convert: bool, filter: 'bool' },
  ip_allocation: { filter: 'string' },
}

/** Owners whose ports Neutron manages itself (no default security group, no quota check on IP changes). */
export const DEVICE_OWNER_DHCP = 'network:dhcp'
export const DEVICE_OWNER_ROUTER_INTF = 'network:router_interface'
export const DEVICE_OWNER_ROUTER_GW = 'network:router_gateway'
export const DEVICE_OWNER_FLOATINGIP = 'network:floatingip'

export function isNetworkOwned(deviceOwner: unknown): boolean {
  return typeof deviceOwner === 'string' && deviceOwner.startsWith('network:')
}
