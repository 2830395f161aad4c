// Security groups and their rules. Every project gets a group named "default" on first use, with Neutron's
// default rules (all egress; ingress only from members of the same group), created in one transaction with a
// marker record keyed by the project so that concurrent first uses create exactly one.
import { PROTOCOL_NUMBERS, SECURITY_GROUP_ATTRIBUTES, SECURITY_GROUP_RULE_ATTRIBUTES } from '../../model/attributes/security-groups.js'
import { ApiError } from '../../model/errors.js'
import { parseCidr } from '../../model/ip.js'
import { TABLES, projectTopic, topicsFor } from '../../model/tables.js'
import type { Port, SecurityGroup, SecurityGroupRule } from '../../model/types.js'
import type { TxOp } from '../../store/types.js'
import { type Row, isStoreError, now } from '../db.js'
import type { Neutron } from '../neutron.js'
import type { Item } from '../query.js'
import type { Input, Resource } from '../resource.js'

interface DefaultMarker { security_group_id: string }

function ruleValue(nb: Neutron, project: string, sg: string, r: Partial<SecurityGroupRule>): SecurityGroupRule {
  return {
    ...(nb.stamp(project) as Pick<SecurityGroupRule, 'id' | 'project_id' | 'description' | 'tags' | 'created_at' | 'updated_at'>),
    security_group_id: sg, direction: 'ingress', ethertype: 'IPv4', protocol: null, port_range_min: null, port_range_max: null,
    remote_ip_prefix: null, remote_group_id: null, remote_address_group_id: null, ...r,
  }
}

/** The project's default group id, creating it (with its rules) when this is the project's first use. */
export async function ensureDefaultSecurityGroup(nb: Neutron, projectId: string): Promise<string> {
  const marker = await nb.db.get<DefaultMarker>(TABLES.defaultSecurityGroups, projectId)
  if (marker) return marker.value.security_group_id
  const sg: SecurityGroup = { ...(nb.stamp(projectId) as unknown as SecurityGroup), name: 'default', description: 'Default security group', stateful: true }
  const rules = (['IPv4', 'IPv6'] as const).flatMap(ethertype => [
    ruleValue(nb, projectId, sg.id, { direction: 'egress', ethertype }),
    ruleValue(nb, projectId, sg.id, { direction: 'ingress', ethertype, remote_group_id: sg.id }),
  ])
  const topics = topicsFor(projectId)
  const ops: TxOp[] = [
    { op: 'create', table: TABLES.defaultSecurityGroups, id: projectId, topics, value: { security_group_id: sg.id } },
    { op: 'create', table: TABLES.securityGroups, id: sg.id, topics, value: sg as unknown as Record<string, unknown> },
    ...rules.map(r => ({ op: 'create' as const, table: TABLES.securityGroupRules, id: r.id, topics, value: r as unknown as Record<string, unknown> })),
  ]
  try {
    await nb.db.transact(ops)
    return sg.id
  } catch (err) {
    if (!isStoreError(err, 'already_exists')) throw err
    const again = await nb.db.get<DefaultMarker>(TABLES.defaultSecurityGroups, projectId)
    if (!again) throw err
    return again.value.security_group_id
  }
}

export const securityGroupRules: Resource<SecurityGroupRule> = {
  collection: 'security_group_rules',
  member: 'security_group_rule',
  table: TABLES.securityGroupRules,
  attributes: SECURITY_GROUP_RULE_ATTRIBUTES,
  notFound: 'SecurityGroupRuleNotFound',
  quota: 'security_group_rule',

  async create(nb, ctx, input) {
    const sg = await nb.findOwned(securityGroups, ctx, input.security_group_id as string, 'create_security_group_rule_on')
    const r = checkRule(input)
    if (r.remote_group_id) await nb.find(securityGroups, ctx, r.remote_group_id)
    const existing = (await nb.db.list<SecurityGroupRule>(TABLES.securityGroupRules, projectTopic(sg.value.project_id)))
      .find(x => x.value.security_group_id === sg.id && sameRule(x.value, r))
    if (existing) throw new ApiError('SecurityGroupRuleExists', { rule_id: existing.id })
    const value = ruleValue(nb, sg.value.project_id, sg.id, r)
    if (input.project_id !== sg.value.project_id && ctx.isAdmin) value.project_id = input.project_id as string
    return nb.db.create<SecurityGroupRule>(TABLES.securityGroupRules, value.id, value, topicsFor(sg.value.project_id))
  },

  async update(nb, _ctx, row, changes) {
    return nb.db.mutate<SecurityGroupRule>(TABLES.securityGroupRules, row.id, cur => ({ ...cur.value, ...(changes as Partial<SecurityGroupRule>), updated_at: now() }),
      () => new ApiError('SecurityGroupRuleNotFound', { id: row.id }))
  },

  async remove(nb, _ctx, row) {
    await nb.db.transact([{ op: 'delete', table: TABLES.securityGroupRules, id: row.id }])
  },
}

/** Neutron's checks on a rule, in its order; returns the rule with its protocol spelled as given. */
export function checkRule(input: Input): Partial<SecurityGroupRule> {
  const r = input as Partial<SecurityGroupRule>
  let protocol = r.protocol ?? null
  if (protocol !== null) {
    const lower = protocol.toLowerCase()
    if (lower === 'any' || lower === '') protocol = null
    else if (lower in PROTOCOL_NUMBERS) protocol = lower
    else if (!/^\d+$/.test(protocol) || Number(protocol) > 255) {
      throw new ApiError('SecurityGroupRuleInvalidProtocol', { protocol, values: `[None, ${Object.keys(PROTOCOL_NUMBERS).map(p => `'${p}'`).join(', ')}]` })
    }
  }
  const min = r.port_range_min ?? null, max = r.port_range_max ?? null
  if ((min !== null || max !== null) && protocol === null) throw new ApiError('SecurityGroupProtocolRequiredWithPorts')
  const icmp = protocol === 'icmp' || protocol === 'icmpv6' || protocol === 'ipv6-icmp' || protocol === '1' || protocol === '58'
  if (icmp) {
    if (min !== null && min > 255) throw new ApiError('SecurityGroupInvalidIcmpValue', { field: 'type', attr: 'port_range_min', value: min })
    if (max !== null && max > 255) throw new ApiError('SecurityGroupInvalidIcmpValue', { field: 'code', attr: 'port_range_max', value: max })
    if (min === null && max !== null) throw new ApiError('InvalidInput', { detail: `ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing` })
  } else if (min !== null || max !== null) {
    if (min === null || max === null || min > max) throw new ApiError('SecurityGroupInvalidPortRange')
  }
  if (r.remote_ip_prefix && r.remote_group_id) throw new ApiError('SecurityGroupRemoteGroupAndRemoteIpPrefix')
  if (r.remote_ip_prefix) {
    const c = parseCidr(r.remote_ip_prefix)
    if (c && `IPv${c.version}` !== (r.ethertype ?? 'IPv4')) throw new ApiError('SecurityGroupConflictingEthertype', { ethertype: r.ethertype, cidr: r.remote_ip_prefix })
  }
  return { ...r, protocol }
}

/** Duplicate detection treats the any-address prefix as no prefix, as Neutron does. */
function sameRule(a: Partial<SecurityGroupRule>, b: Partial<SecurityGroupRule>): boolean {
  const prefix = (p: string | null | undefined): string | null => (p === '0.0.0.0/0' || p === '::/0' ? null : p ?? null)
  const proto = (p: string | null | undefined): string | null => (p == null ? null : String(PROTOCOL_NUMBERS[p] ?? p))
  return a.direction === b.direction && (a.ethertype ?? 'IPv4') === (b.ethertype ?? 'IPv4') && proto(a.protocol) === proto(b.protocol) &&
    (a.port_range_min ?? null) === (b.port_range_min ?? null) && (a.port_range_max ?? null) === (b.port_range_max ?? null) &&
    prefix(a.remote_ip_prefix) === prefix(b.remote_ip_prefix) && (a.remote_group_id ?? null) === (b.remote_group_id ?? null) &&
    (a.remote_address_group_id ?? null) === (b.remote_address_group_id ?? null)
}

export const securityGroups: Resource<SecurityGroup> = {
  collection: 'security_groups',
  member: 'security_group',
  table: TABLES.securityGroups,
  attributes: SECURITY_GROUP_ATTRIBUTES,
  notFound: 'SecurityGroupNotFound',
  quota: 'security_group',

  async beforeRead(nb, ctx) {
    await ensureDefaultSecurityGroup(nb, ctx.projectId)
  },

  async create(nb, _ctx, input) {
    const project = input.project_id as string
    await ensureDefaultSecurityGroup(nb, project)
    if (input.name === 'default') throw new ApiError('Conflict', { detail: "Default security group already exists." })
    const sg = { ...nb.stamp(project), ...input } as unknown as SecurityGroup
    // New groups get the two egress rules, as in Neutron.
    const rules = (['IPv4', 'IPv6'] as const).map(ethertype => ruleValue(nb, project, sg.id, { direction: 'egress', ethertype }))
    const topics = topicsFor(project)
    const written = await nb.db.transact([
      { op: 'create', table: TABLES.securityGroups, id: sg.id, topics, value: sg as unknown as Record<string, unknown> },
      ...rules.map(r => ({ op: 'create' as const, table: TABLES.securityGroupRules, id: r.id, topics, value: r as unknown as Record<string, unknown> })),
    ])
    const o = written.find(w => w.id === sg.id)
    return { id: sg.id, version: o?.version ?? 1, topics, value: sg }
  },

  async update(nb, _ctx, row, changes) {
    if (row.value.name === 'default' && changes.name !== undefined && changes.name !== 'default') {
      throw new ApiError('Conflict', { detail: 'Updating default security group not allowed.' })
    }
    return nb.db.mutate<SecurityGroup>(TABLES.securityGroups, row.id, cur => ({ ...cur.value, ...(changes as Partial<SecurityGroup>), updated_at: now() }),
      () => new ApiError('SecurityGroupNotFound', { id: row.id }))
  },

  async remove(nb, ctx, row) {
    const marker = await nb.db.get<DefaultMarker>(TABLES.defaultSecurityGroups, row.value.project_id)
    const isDefault = marker?.value.security_group_id === row.id
    if (isDefault && !ctx.isAdmin) throw new ApiError('SecurityGroupCannotRemoveDefault')
    const ports = await nb.db.list<Port>(TABLES.ports)
    if (ports.some(p => p.value.security_groups?.includes(row.id))) throw new ApiError('SecurityGroupInUse', { id: row.id })
    const rules = (await nb.db.list<SecurityGroupRule>(TABLES.securityGroupRules)).filter(r => r.value.security_group_id === row.id || r.value.remote_group_id === row.id)
    const others = rules.filter(r => r.value.security_group_id !== row.id)
    if (others.length) throw new ApiError('SecurityGroupInUse', { id: row.id })
    const ops: TxOp[] = rules.map(r => ({ op: 'delete', table: TABLES.securityGroupRules, id: r.id }))
    ops.push({ op: 'delete', table: TABLES.securityGroups, id: row.id })
    if (isDefault) ops.push({ op: 'delete', table: TABLES.defaultSecurityGroups, id: row.value.project_id })
    await nb.db.transact(ops)
  },

  async decorate(nb, ctx, items) {
    const rules = await nb.db.list<SecurityGroupRule>(TABLES.securityGroupRules)
    const bySg = new Map<string, Item[]>()
    for (const r of rules) bySg.set(r.value.security_group_id, [...(bySg.get(r.value.security_group_id) ?? []), nb.render(securityGroupRules, ctx, r as Row<SecurityGroupRule>)])
    for (const i of items) {
      i.security_group_rules = bySg.get(i.id as string) ?? []
      i.shared = false
    }
  },
}

