// Security groups and their rules. Every project gets a group named "default" on first use, with Neutron's
// default rules (all egress; ingress only from members of the same group), created in one transaction with a
// marker record keyed by the project so that concurrent first uses create exactly one.
// Groups and rules carry a datapath `key` (store.allocateKey, as networks and ports do), never shown by the API.
import { PROTOCOL_NUMBERS, SECURITY_GROUP_ATTRIBUTES, SECURITY_GROUP_RULE_ATTRIBUTES } from '../../model/attributes/security-groups.js'
import { ApiError } from '../../model/errors.js'
import { fitsQuota } from '../../model/quotas.js'
import { Cidr } from '../../datapath/host/addresses.js'
import { KEY_SPACES, TABLES, projectTopic, topicsFor } from '../../model/tables.js'
import type { Port, SecurityGroup, SecurityGroupRule } from '../../model/types.js'
import type { StoredObject, TxOp } from '../../store/types.js'
import { isStoreError, now } from '../db.js'
import type { Neutron } from '../neutron.js'
import { findVisible } from '../policy/access.js'
import type { Item } from '../query.js'
import type { Input, Resource } from '../resource.js'

interface DefaultMarker {
  security_group_id: string
}

/** A new (non-default) group starts with an egress rule per ethertype. */
const NEW_GROUP_RULES = 2

/** Key spaces of the datapath keys of groups and rules (acl_port/acl_rule/acl_member). */
const SG_KEY_SPACE = KEY_SPACES.securityGroup
const RULE_KEY_SPACE = KEY_SPACES.securityGroupRule

function ruleValue(nb: Neutron, project: string, sg: string, key: number, r: Partial<SecurityGroupRule>): SecurityGroupRule {
  return {
    ...(nb.stamp(project) as Pick<SecurityGroupRule, 'id' | 'project_id' | 'description' | 'tags' | 'created_at' | 'updated_at'>),
    security_group_id: sg,
    direction: 'ingress',
    ethertype: 'IPv4',
    protocol: null,
    port_range_min: null,
    port_range_max: null,
    remote_ip_prefix: null,
    remote_group_id: null,
    remote_address_group_id: null,
    ...r,
    key,
  }
}

/** `n` fresh rule keys (a lost race for the default group only wastes them: keys are never reused anyway). */
async function ruleKeys(nb: Neutron, n: number): Promise<number[]> {
  const keys: number[] = []
  for (let i = 0; i < n; i++) keys.push(await nb.db.allocateKey(RULE_KEY_SPACE))
  return keys
}

/** The rule keys of a batch, handed out in order. */
function nextOf(keys: number[]): () => number {
  let i = 0
  return () => keys[i++] as number
}

/** The project's default group id, creating it (with its rules) when this is the project's first use. */
export async function ensureDefaultSecurityGroup(nb: Neutron, projectId: string): Promise<string> {
  const marker = await nb.db.get<DefaultMarker>(TABLES.defaultSecurityGroups, projectId)
  if (marker) return marker.value.security_group_id
  const key = await nb.db.allocateKey(SG_KEY_SPACE)
  const sg: SecurityGroup = {
    ...(nb.stamp(projectId) as unknown as SecurityGroup),
    name: 'default',
    description: 'Default security group',
    stateful: true,
    key,
  }
  const next = nextOf(await ruleKeys(nb, 4))
  const rules = (['IPv4', 'IPv6'] as const).flatMap(ethertype => [
    ruleValue(nb, projectId, sg.id, next(), { direction: 'egress', ethertype }),
    ruleValue(nb, projectId, sg.id, next(), { direction: 'ingress', ethertype, remote_group_id: sg.id }),
  ])
  const topics = topicsFor(projectId)
  const ops: TxOp[] = [
    { op: 'create', table: TABLES.defaultSecurityGroups, id: projectId, topics, value: { security_group_id: sg.id } },
    { op: 'create', table: TABLES.securityGroups, id: sg.id, topics, value: sg as unknown as Record<string, unknown> },
    ...rules.map(r => ({
      op: 'create' as const,
      table: TABLES.securityGroupRules,
      id: r.id,
      topics,
      value: r as unknown as Record<string, unknown>,
    })),
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
    // visible and the caller's to change: policy/access.ts authorizeCreate (404, create_security_group_rule)
    const sg = await findVisible<SecurityGroup>(nb, securityGroups, ctx, input.security_group_id as string)
    const r = checkRule(input)
    if (r.remote_group_id) await findVisible(nb, securityGroups, ctx, r.remote_group_id)
    const existing = (await nb.db.list<SecurityGroupRule>(TABLES.securityGroupRules, projectTopic(sg.value.project_id))).find(
      x => x.value.security_group_id === sg.id && sameRule(x.value, r),
    )
    if (existing) throw new ApiError('SecurityGroupRuleExists', { rule_id: existing.id })
    const value = ruleValue(nb, sg.value.project_id, sg.id, await nb.db.allocateKey(RULE_KEY_SPACE), r)
    if (input.project_id !== sg.value.project_id && ctx.isAdmin) value.project_id = input.project_id as string
    const topics = topicsFor(sg.value.project_id)
    const written = await withGroupRevisionBump(nb, sg.id, [
      { op: 'create', table: TABLES.securityGroupRules, id: value.id, topics, value: value as unknown as Record<string, unknown> },
    ])
    const o = written.find(w => w.id === value.id)
    return { id: value.id, version: o?.version ?? 1, topics, value }
  },

  async update(nb, _ctx, row, changes) {
    return nb.db.mutate<SecurityGroupRule>(
      TABLES.securityGroupRules,
      row.id,
      cur => ({ ...cur.value, ...(changes as Partial<SecurityGroupRule>), updated_at: now() }),
      () => new ApiError('SecurityGroupRuleNotFound', { id: row.id }),
    )
  },

  async remove(nb, _ctx, row) {
    await withGroupRevisionBump(nb, row.value.security_group_id, [{ op: 'delete', table: TABLES.securityGroupRules, id: row.id }])
  },
}

/** A change of a group's rules gives the group a new revision_number, as in Neutron. */
function withGroupRevisionBump(nb: Neutron, sgId: string, ops: TxOp[]): Promise<StoredObject[]> {
  return nb.db.transactWithRevisionBump(
    ops,
    { table: TABLES.securityGroups, id: sgId },
    () => new ApiError('SecurityGroupNotFound', { id: sgId }),
  )
}

/** Protocols whose rules may name ports (neutron/common/_constants.py SG_PORT_PROTO_NUMS: DCCP, SCTP, TCP, UDP, UDP-Lite). */
const PORT_PROTOCOLS = new Set([33, 132, 6, 17, 136])
const PORT_PROTOCOL_NAMES = 'DCCP, SCTP, TCP, UDP, UDPLITE'
/** Protocols an IPv4 rule may not name (Neutron's _validate_ethertype_and_protocol), names and numbers as given. */
const IPV6_ONLY_PROTOCOLS = new Set([
  'ipv6-encap',
  'ipv6-frag',
  'ipv6-icmp',
  'icmpv6',
  'ipv6-nonxt',
  'ipv6-opts',
  'ipv6-route',
  '41',
  '44',
  '58',
  '59',
  '60',
  '43',
])

/** Neutron's checks on a rule, in its order; returns the rule with its protocol spelled as given. */
export function checkRule(input: Input): Partial<SecurityGroupRule> {
  const r = input as Partial<SecurityGroupRule>
  let protocol = r.protocol ?? null
  if (protocol !== null) {
    const lower = protocol.toLowerCase()
    if (lower === 'any' || lower === '') protocol = null
    else if (lower in PROTOCOL_NUMBERS) protocol = lower
    else if (!/^\d+$/.test(protocol) || Number(protocol) > 255) {
      throw new ApiError('SecurityGroupRuleInvalidProtocol', {
        protocol,
        values: `[None, ${Object.keys(PROTOCOL_NUMBERS)
          .map(p => `'${p}'`)
          .join(', ')}]`,
      })
    }
  }
  const min = r.port_range_min ?? null,
    max = r.port_range_max ?? null
  if ((min !== null || max !== null) && protocol === null) throw new ApiError('SecurityGroupProtocolRequiredWithPorts')
  const icmp = protocol === 'icmp' || protocol === 'icmpv6' || protocol === 'ipv6-icmp' || protocol === '1' || protocol === '58'
  if (icmp) {
    if (min !== null && min > 255)
      throw new ApiError('SecurityGroupInvalidIcmpValue', { field: 'type', attr: 'port_range_min', value: min })
    if (max !== null && max > 255)
      throw new ApiError('SecurityGroupInvalidIcmpValue', { field: 'code', attr: 'port_range_max', value: max })
    if (min === null && max !== null)
      throw new ApiError('InvalidInput', {
        detail: `ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing`,
      })
  } else if (min !== null || max !== null) {
    // protocol is a known name or a number here (checked above)
    const number = PROTOCOL_NUMBERS[protocol as string] ?? Number(protocol)
    if (!PORT_PROTOCOLS.has(number)) {
      throw new ApiError('HTTPBadRequest', {
        detail: `Ports cannot be specified for protocol ${number}. Ports are only supported for ${PORT_PROTOCOL_NAMES}.`,
      })
    }
    if (min === 0 || max === 0) throw new ApiError('HTTPBadRequest', { detail: 'Invalid value for port 0' })
    if (min === null || max === null || min > max) throw new ApiError('SecurityGroupInvalidPortRange')
  }
  if (r.remote_ip_prefix && r.remote_group_id) throw new ApiError('SecurityGroupRemoteGroupAndRemoteIpPrefix')
  if (r.remote_ip_prefix) {
    const c = Cidr.tryParse(r.remote_ip_prefix, { bareIsHost: true })
    if (c && `IPv${c.family}` !== (r.ethertype ?? 'IPv4'))
      throw new ApiError('SecurityGroupConflictingEthertype', { ethertype: r.ethertype, cidr: r.remote_ip_prefix })
  }
  if (protocol !== null && IPV6_ONLY_PROTOCOLS.has(protocol) && (r.ethertype ?? 'IPv4') === 'IPv4') {
    throw new ApiError('HTTPBadRequest', { detail: `Invalid ethertype IPv4 for protocol ${protocol}.` })
  }
  return { ...r, protocol }
}

/** Duplicate detection treats the any-address prefix as no prefix, as Neutron does. */
function sameRule(a: Partial<SecurityGroupRule>, b: Partial<SecurityGroupRule>): boolean {
  const prefix = (p: string | null | undefined): string | null => (p === '0.0.0.0/0' || p === '::/0' ? null : (p ?? null))
  const proto = (p: string | null | undefined): string | null => (p == null ? null : String(PROTOCOL_NUMBERS[p] ?? p))
  return (
    a.direction === b.direction &&
    (a.ethertype ?? 'IPv4') === (b.ethertype ?? 'IPv4') &&
    proto(a.protocol) === proto(b.protocol) &&
    (a.port_range_min ?? null) === (b.port_range_min ?? null) &&
    (a.port_range_max ?? null) === (b.port_range_max ?? null) &&
    prefix(a.remote_ip_prefix) === prefix(b.remote_ip_prefix) &&
    (a.remote_group_id ?? null) === (b.remote_group_id ?? null) &&
    (a.remote_address_group_id ?? null) === (b.remote_address_group_id ?? null)
  )
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
    if (input.name === 'default') throw new ApiError('Conflict', { detail: 'Default security group already exists.' })
    // The group's egress rules count against the rule quota: refused whole when they do not fit (Neutron: OverQuota).
    const ruleLimit = (await nb.quotaLimits(project)).security_group_rule
    if (!fitsQuota(ruleLimit, await nb.usage(project, TABLES.securityGroupRules), NEW_GROUP_RULES))
      throw new ApiError('OverQuota', { resource: 'security_group_rule' })
    const sg = { ...nb.stamp(project), ...input, key: await nb.db.allocateKey(SG_KEY_SPACE) } as unknown as SecurityGroup
    // New groups get the two egress rules, as in Neutron.
    const next = nextOf(await ruleKeys(nb, NEW_GROUP_RULES))
    const rules = (['IPv4', 'IPv6'] as const).map(ethertype => ruleValue(nb, project, sg.id, next(), { direction: 'egress', ethertype }))
    const topics = topicsFor(project)
    const written = await nb.db.transact([
      { op: 'create', table: TABLES.securityGroups, id: sg.id, topics, value: sg as unknown as Record<string, unknown> },
      ...rules.map(r => ({
        op: 'create' as const,
        table: TABLES.securityGroupRules,
        id: r.id,
        topics,
        value: r as unknown as Record<string, unknown>,
      })),
    ])
    const o = written.find(w => w.id === sg.id)
    return { id: sg.id, version: o?.version ?? 1, topics, value: sg }
  },

  async update(nb, _ctx, row, changes) {
    if (row.value.name === 'default' && changes.name !== undefined && changes.name !== 'default') {
      throw new ApiError('Conflict', { detail: 'Updating default security group not allowed.' })
    }
    // Neutron refuses to flip `stateful` while a port uses the group: a port would then mix both kinds.
    if (changes.stateful !== undefined && changes.stateful !== (row.value.stateful ?? true)) {
      const ports = await nb.db.list<Port>(TABLES.ports)
      if (ports.some(p => p.value.security_groups?.includes(row.id))) throw new ApiError('SecurityGroupInUse', { id: row.id })
    }
    return nb.db.mutate<SecurityGroup>(
      TABLES.securityGroups,
      row.id,
      cur => ({ ...cur.value, ...(changes as Partial<SecurityGroup>), updated_at: now() }),
      () => new ApiError('SecurityGroupNotFound', { id: row.id }),
    )
  },

  async remove(nb, ctx, row) {
    const marker = await nb.db.get<DefaultMarker>(TABLES.defaultSecurityGroups, row.value.project_id)
    const isDefault = marker?.value.security_group_id === row.id
    if (isDefault && !ctx.isAdmin) throw new ApiError('SecurityGroupCannotRemoveDefault')
    const ports = await nb.db.list<Port>(TABLES.ports)
    if (ports.some(p => p.value.security_groups?.includes(row.id))) throw new ApiError('SecurityGroupInUse', { id: row.id })
    const rules = (await nb.db.list<SecurityGroupRule>(TABLES.securityGroupRules)).filter(
      r => r.value.security_group_id === row.id || r.value.remote_group_id === row.id,
    )
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
    for (const r of rules)
      bySg.set(r.value.security_group_id, [...(bySg.get(r.value.security_group_id) ?? []), nb.render(securityGroupRules, r)])
    for (const i of items) {
      i.security_group_rules = bySg.get(i.id as string) ?? []
      i.shared = false
    }
  },
}

/**
 * Groups and rules stored before they had datapath keys (a data directory from an older release) get one now,
 * once, at API start: without a key the agent cannot compile them, and a port would lose what its groups allow.
 * Returns how many records it keyed. A record another API server keyed in between is left as it is.
 */
export async function backfillSecurityGroupKeys(nb: Neutron): Promise<number> {
  let keyed = 0
  for (const [table, space] of [
    [TABLES.securityGroups, SG_KEY_SPACE],
    [TABLES.securityGroupRules, RULE_KEY_SPACE],
  ] as const) {
    for (const row of await nb.db.list<{ key?: number }>(table)) {
      if (typeof row.value.key === 'number') continue
      // a record deleted meanwhile needs no key
      const gone = (): ApiError => new ApiError('HTTPNotFound')
      const done = await nb.db
        .mutate<{ key?: number }>(
          table,
          row.id,
          async cur => (typeof cur.value.key === 'number' ? undefined : { ...cur.value, key: await nb.db.allocateKey(space) }),
          gone,
        )
        .then(
          () => true,
          (err: unknown) => {
            if (err instanceof ApiError) return false
            throw err
          },
        )
      if (done) keyed++
    }
  }
  return keyed
}
