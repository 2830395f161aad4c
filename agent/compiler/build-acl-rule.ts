// The acl_rule row of one security group rule (Neutron semantics, BEHAVIOUR.md "Security groups"): the family from
// the ethertype, the protocol as a number (acl-protocol.ts), a destination port range for TCP/UDP/SCTP/UDP-Lite,
// ICMP type = port_range_min and code = port_range_max for ICMP/ICMPv6, the remote prefix normalized to its
// network address, or the remote group's key.
// A rule the datapath cannot enforce exactly is left out (and reported), never widened: rules only allow, so a
// missing rule allows less. Left out: remote address groups (not modelled yet), DCCP port ranges (the datapath
// checks ports for the four protocols above only), and stored rules the API would have refused.
import type { AclRuleEntry } from '../../datapath/host/entries.js'
import type { SecurityGroup, SecurityGroupRule } from '../../model/types.js'
import { ICMP_PROTOCOLS, PORT_PROTOCOLS, PROTO_DCCP, ipProtocol } from './acl-protocol.js'
import { anyPrefix } from './addresses.js'
import type { CompileProblem } from './problems.js'

export interface AclRuleInput {
  rule: SecurityGroupRule
  /** The rule's own group (known, with a key). */
  group: SecurityGroup
  /** The remote group when the rule names one (known, with a key). */
  remote?: SecurityGroup | undefined
}

const MAX_L4_PORT = 65535
const MAX_ICMP_FIELD = 255

export function buildAclRule(input: AclRuleInput, problems: CompileProblem[]): AclRuleEntry | undefined {
  const { rule, group, remote } = input
  const object = `security_group_rules/${rule.id}`
  const refuse = (code: 'bad_object' | 'acl_unsupported', detail: string): undefined => {
    problems.push({ code, object, detail: `${detail}: the rule is not enforced (it allows nothing)` })
    return undefined
  }
  if (rule.remote_address_group_id) return refuse('acl_unsupported', `remote address group ${rule.remote_address_group_id}`)
  if (rule.direction !== 'ingress' && rule.direction !== 'egress') return refuse('bad_object', `direction ${String(rule.direction)}`)
  const family = rule.ethertype === 'IPv6' ? 6 : rule.ethertype === 'IPv4' || rule.ethertype == null ? 4 : undefined
  if (family === undefined) return refuse('bad_object', `ethertype ${String(rule.ethertype)}`)
  const protocol = ipProtocol(rule.protocol, family)
  if (protocol === null) return refuse('bad_object', `protocol ${String(rule.protocol)}`)
  const entry: AclRuleEntry = { stage: 'acl_rule', group: group.key, rule: rule.key, direction: rule.direction, family }
  if (protocol !== undefined) entry.protocol = protocol
  const min = rule.port_range_min ?? null
  const max = rule.port_range_max ?? null
  if (min !== null || max !== null) {
    if (protocol !== undefined && PORT_PROTOCOLS.has(protocol)) {
      if (!inRange(min, MAX_L4_PORT) || !inRange(max, MAX_L4_PORT) || (min as number) > (max as number))
        return refuse('bad_object', `port range ${String(min)}-${String(max)}`)
      entry.port_min = min as number
      entry.port_max = max as number
    } else if (protocol !== undefined && ICMP_PROTOCOLS.has(protocol)) {
      // a code needs a type (Neutron: SecurityGroupMissingIcmpType)
      if (!inRange(min, MAX_ICMP_FIELD) || (max !== null && !inRange(max, MAX_ICMP_FIELD)))
        return refuse('bad_object', `ICMP type ${String(min)} code ${String(max)}`)
      entry.icmp_type = min as number
      if (max !== null) entry.icmp_code = max
    } else if (protocol === PROTO_DCCP) {
      return refuse('acl_unsupported', `DCCP port range ${String(min)}-${String(max)}`)
    } else {
      return refuse('bad_object', `port range on protocol ${String(rule.protocol)}`)
    }
  }
  if (rule.remote_ip_prefix && remote) return refuse('bad_object', 'both remote_ip_prefix and remote_group_id')
  if (rule.remote_ip_prefix) {
    const prefix = anyPrefix(rule.remote_ip_prefix)
    if (!prefix || (prefix.includes(':') ? 6 : 4) !== family)
      return refuse('bad_object', `remote_ip_prefix ${rule.remote_ip_prefix} for ${String(rule.ethertype)}`)
    // 0.0.0.0/0 and ::/0 are "any address of the family", as Neutron treats them: one spelling per meaning
    if (!prefix.endsWith('/0')) entry.remote_prefix = prefix
  } else if (remote) {
    entry.remote_group = remote.key
  }
  return entry
}

function inRange(v: number | null, max: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max
}
