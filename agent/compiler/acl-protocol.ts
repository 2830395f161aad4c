// A security group rule's `protocol` as the IP protocol number an acl_rule carries, read the way Neutron reads it
// (neutron/db/securitygroups_db.py _get_ip_proto_number): a name Neutron knows, or a number 0-255 (as text, the
// way Neutron stores it, or as a number), 'any', '' or null for any protocol. In an IPv6 rule 'icmp' and '1' mean
// ICMPv6 (Neutron rewrites them to 'ipv6-icmp' / '58' on create: _make_canonical_ipv6_icmp_protocol).
import { PROTOCOL_NUMBERS } from '../../model/attributes/security-groups.js'

/** IANA protocol numbers the datapath treats specially (BEHAVIOUR.md "Security groups"). */
export const PROTO_ICMP = 1
export const PROTO_TCP = 6
export const PROTO_UDP = 17
export const PROTO_DCCP = 33
export const PROTO_ICMPV6 = 58
export const PROTO_SCTP = 132
export const PROTO_UDPLITE = 136

/** Protocols whose rules carry a destination port range the datapath checks. */
export const PORT_PROTOCOLS: ReadonlySet<number> = new Set([PROTO_TCP, PROTO_UDP, PROTO_SCTP, PROTO_UDPLITE])
/** Protocols whose rules carry an ICMP type (port_range_min) and code (port_range_max). */
export const ICMP_PROTOCOLS: ReadonlySet<number> = new Set([PROTO_ICMP, PROTO_ICMPV6])

/** The protocol number; undefined = any protocol; null = not a protocol Neutron accepts. */
export function ipProtocol(value: unknown, family: 4 | 6): number | undefined | null {
  if (value === null || value === undefined) return undefined
  let n: number | undefined
  if (typeof value === 'number') n = value
  else if (typeof value === 'string') {
    const lower = value.toLowerCase()
    if (lower === '' || lower === 'any') return undefined
    n = PROTOCOL_NUMBERS[lower] ?? (/^\d{1,3}$/.test(lower) ? Number(lower) : undefined)
  }
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > 255) return null
  return family === 6 && n === PROTO_ICMP ? PROTO_ICMPV6 : n
}
