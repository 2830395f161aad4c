// Security-group entries (acl_port, acl_rule, acl_member) to their bytes (datapath/spec/entry-kinds.ts).
// Rules are normalized here as BEHAVIOUR.md "Security groups" reads them: protocol number or ACL_PROTO_ANY,
// one l4 interval (destination ports for TCP/UDP/SCTP/UDP-Lite, type << 8 | code for ICMP/ICMPv6), a masked
// remote prefix. Contradictions (ports on a protocol without ports, min > max, both remotes, a prefix of the
// other family) are refused with an EntryError before anything reaches the datapath.
import {
  ACL_DIR_EGRESS,
  ACL_DIR_INGRESS,
  ACL_PORT_MAX_GROUPS,
  ACL_PROTO_ANY,
  ACL_REMOTE_ANY,
  ACL_REMOTE_GROUP,
  ACL_REMOTE_PREFIX,
  ENTRY_ACL_MEMBER,
  ENTRY_ACL_PORT,
  ENTRY_ACL_RULE,
} from '../spec/entry-kinds.js'
import type { AclMemberEntry, AclPortEntry, AclRuleEntry } from './entries.js'
import { maskPrefix, parseCidr } from './entry-addresses.js'
import { Writer, required, u32 } from './entry-codec.js'
import { EntryError } from './entry-error.js'

/** IP protocols whose rules take a destination port range (IANA: TCP, UDP, SCTP, UDP-Lite). */
const PORT_PROTOCOLS = new Set([6, 17, 132, 136])
/** ICMP (1) and ICMPv6 (58): rules take a type and a code. */
const ICMP_PROTOCOLS = new Set([1, 58])
const FULL: readonly [number, number] = [0, 0xffff]

export function aclPort(e: AclPortEntry): Uint8Array {
  const groups = required(e.groups, 'groups')
  if (!Array.isArray(groups)) throw new EntryError('missing_field', 'groups must be a list of group keys', 'groups')
  if (groups.length > ACL_PORT_MAX_GROUPS) {
    throw new EntryError('too_many', `at most ${ACL_PORT_MAX_GROUPS} security groups per port, got ${groups.length}`, 'groups')
  }
  if (e.stateful !== undefined && typeof e.stateful !== 'boolean') {
    throw new EntryError('bad_number', `stateful must be true or false, got ${String(e.stateful)}`, 'stateful')
  }
  const w = new Writer()
    .u32(u32(e.port, 'port'))
    .u8(e.stateful === false ? 0 : 1)
    .u8(groups.length)
  groups.forEach((g, i) => w.u32(u32(g, `groups[${i}]`)))
  return w.finish(ENTRY_ACL_PORT)
}

/** The rule's l4 interval, or an EntryError naming the field that does not fit its protocol. */
function l4Interval(e: AclRuleEntry, protocol: number): readonly [number, number] {
  const hasPorts = e.port_min !== undefined || e.port_max !== undefined
  const hasIcmp = e.icmp_type !== undefined || e.icmp_code !== undefined
  if (PORT_PROTOCOLS.has(protocol)) {
    if (hasIcmp) throw new EntryError('bad_rule', `protocol ${protocol} has no ICMP type or code`, 'icmp_type')
    if (!hasPorts) return FULL
    // one bound alone is a single port
    const min = u32(e.port_min ?? e.port_max, 'port_min', { max: 0xffff })
    const max = u32(e.port_max ?? e.port_min, 'port_max', { max: 0xffff })
    if (min > max) throw new EntryError('bad_rule', `port_min ${min} is above port_max ${max}`, 'port_min')
    return [min, max]
  }
  if (hasPorts) {
    throw new EntryError(
      'bad_rule',
      `ports need protocol TCP, UDP, SCTP or UDP-Lite, not ${protocol === ACL_PROTO_ANY ? 'any' : protocol}`,
      'port_min',
    )
  }
  if (!ICMP_PROTOCOLS.has(protocol)) {
    if (hasIcmp) throw new EntryError('bad_rule', `an ICMP type or code needs protocol 1 or 58`, 'icmp_type')
    return FULL
  }
  if (e.icmp_type === undefined) {
    if (e.icmp_code !== undefined) throw new EntryError('bad_rule', 'an ICMP code needs an ICMP type', 'icmp_code')
    return FULL
  }
  const type = u32(e.icmp_type, 'icmp_type', { max: 0xff })
  if (e.icmp_code === undefined) return [type << 8, (type << 8) | 0xff]
  const code = u32(e.icmp_code, 'icmp_code', { max: 0xff })
  return [(type << 8) | code, (type << 8) | code]
}

export function aclRule(e: AclRuleEntry): Uint8Array {
  const direction = e.direction === 'ingress' ? ACL_DIR_INGRESS : e.direction === 'egress' ? ACL_DIR_EGRESS : undefined
  if (direction === undefined) {
    throw new EntryError('missing_field', `direction must be 'ingress' or 'egress', got ${String(e.direction)}`, 'direction')
  }
  if (e.family !== 4 && e.family !== 6) {
    throw new EntryError('bad_family', `family must be 4 or 6, got ${String(e.family)}`, 'family')
  }
  const protocol = e.protocol === undefined ? ACL_PROTO_ANY : u32(e.protocol, 'protocol', { max: 255 })
  const [lo, hi] = l4Interval(e, protocol)
  if (e.remote_prefix !== undefined && e.remote_group !== undefined) {
    throw new EntryError('bad_rule', 'a rule has remote_prefix or remote_group, not both', 'remote_prefix')
  }
  const w = new Writer().u32(u32(e.group, 'group')).u32(u32(e.rule, 'rule')).u8(direction).u8(e.family).u16(protocol).u16(lo).u16(hi)
  if (e.remote_prefix !== undefined) {
    const prefix = maskPrefix(parseCidr(e.remote_prefix, 'remote_prefix', true))
    if (prefix.family !== e.family) {
      throw new EntryError('bad_family', `remote_prefix ${e.remote_prefix} is not IPv${e.family}`, 'remote_prefix')
    }
    return w.u8(ACL_REMOTE_PREFIX).u8(prefix.plen).u32(0).raw(prefix.bytes).finish(ENTRY_ACL_RULE)
  }
  if (e.remote_group !== undefined) {
    return w.u8(ACL_REMOTE_GROUP).u8(0).u32(u32(e.remote_group, 'remote_group')).raw(new Uint8Array(16)).finish(ENTRY_ACL_RULE)
  }
  return w.u8(ACL_REMOTE_ANY).u8(0).u32(0).raw(new Uint8Array(16)).finish(ENTRY_ACL_RULE)
}

export function aclMember(e: AclMemberEntry): Uint8Array {
  const prefix = maskPrefix(parseCidr(required(e.prefix, 'prefix'), 'prefix', true))
  return new Writer().u32(u32(e.group, 'group')).u8(prefix.family).u8(prefix.plen).raw(prefix.bytes).finish(ENTRY_ACL_MEMBER)
}
