// Security group and security group rule attributes.
import { type AttributeMap, bool, int, nameAttr, nullable, oneOf, prefix, standardAttributes, str, uuid } from '../attributes.js'

export const SECURITY_GROUP_ATTRIBUTES: AttributeMap = {
  ...standardAttributes(),
  name: nameAttr,
  stateful: { post: true, put: true, default: true, convert: bool, filter: 'bool' },
  shared: { filter: 'bool' },
  security_group_rules: { filter: 'none' },
}

/** Protocol names Neutron accepts besides the numbers 0-255. */
export const PROTOCOL_NUMBERS: Record<string, number> = {
  ah: 51,
  dccp: 33,
  egp: 8,
  esp: 50,
  gre: 47,
  hopopt: 0,
  icmp: 1,
  icmpv6: 58,
  igmp: 2,
  ipip: 4,
  ipv6: 41,
  'ipv6-encap': 41,
  'ipv6-frag': 44,
  'ipv6-icmp': 58,
  'ipv6-nonxt': 59,
  'ipv6-opts': 60,
  'ipv6-route': 43,
  ospf: 89,
  pgm: 113,
  rsvp: 46,
  sctp: 132,
  tcp: 6,
  udp: 17,
  udplite: 136,
  vrrp: 112,
}

export const SECURITY_GROUP_RULE_ATTRIBUTES: AttributeMap = {
  ...standardAttributes(),
  security_group_id: { post: true, required: true, convert: uuid, filter: 'string' },
  direction: { post: true, required: true, convert: oneOf(['ingress', 'egress']), filter: 'string' },
  ethertype: { post: true, default: 'IPv4', convert: oneOf(['IPv4', 'IPv6']), filter: 'string' },
  // Validated in the rule service (names or numbers, the error names the allowed values).
  protocol: { post: true, default: null, convert: nullable(str(40)), filter: 'string' },
  port_range_min: { post: true, default: null, convert: int({ min: 0, max: 65535, nullable: true }), filter: 'int' },
  port_range_max: { post: true, default: null, convert: int({ min: 0, max: 65535, nullable: true }), filter: 'int' },
  remote_ip_prefix: { post: true, default: null, convert: nullable(prefix), filter: 'string' },
  remote_group_id: { post: true, default: null, convert: nullable(uuid), filter: 'string' },
  remote_address_group_id: { post: true, default: null, convert: nullable(uuid), filter: 'string' },
  normalized_cidr: { filter: 'string' },
  belongs_to_default_sg: { filter: 'bool' },
}
