// RBAC policies of networks (Neutron's rbac-policies extension): access_as_shared lets a project use another's
// network (see it, its subnets, put ports on it), access_as_external lets it use the network as external
// (router gateways, floating IPs). A network's `shared` is the '*' access_as_shared policy and its
// router:external is "some access_as_external policy exists": every change of a network's policies rewrites
// those flags and bumps the network's revision in the same transaction (network version CAS, retried), so two
// racing creates of one policy cannot both pass the duplicate check. What a caller sees through the policies is
// decided in policy/access.ts (networkSeenBy), the one visibility rule.
import { randomUUID } from 'node:crypto'
import { RBAC_ACTIONS, RBAC_POLICY_ATTRIBUTES, RBAC_WILDCARD, type RbacPolicy } from '../../model/attributes/rbac-policies.js'
import { ApiError } from '../../model/errors.js'
import { TABLES, networkTopic, topicsFor } from '../../model/tables.js'
import type { FloatingIp, Network, Port, Router } from '../../model/types.js'
import type { TxOp } from '../../store/types.js'
import type { RequestContext } from '../context.js'
import { type Row, now } from '../db.js'
import type { Neutron } from '../neutron.js'
import type { Input, Resource } from '../resource.js'

const SHARED = 'access_as_shared'
const EXTERNAL = 'access_as_external'

/** One change of a network's policies: the policies to add and the ids to remove. */
export interface PolicyChange {
  add?: RbacPolicy[]
  remove?: string[]
}

/** A new policy granting `action` on the network to `target`, owned by `projectId`. */
export function newPolicy(opts: { networkId: string; action: string; target: string; projectId: string }): RbacPolicy {
  return {
    id: randomUUID(),
    project_id: opts.projectId,
    object_type: 'network',
    object_id: opts.networkId,
    action: opts.action,
    target_tenant: opts.target,
  }
}

/** The ops that store a network's first policies ('*' shared / external) with the network itself. */
export function initialPolicyOps(net: Network): TxOp[] {
  const ops: TxOp[] = []
  const add = (action: string): void => {
    const p = newPolicy({ networkId: net.id, action, target: RBAC_WILDCARD, projectId: net.project_id })
    ops.push({
      op: 'create',
      table: TABLES.rbacPolicies,
      id: p.id,
      topics: topicsFor(net.project_id, net.id),
      value: p as unknown as Record<string, unknown>,
    })
  }
  if (net.shared) add(SHARED)
  if (net['router:external']) add(EXTERNAL)
  return ops
}

async function policyRowsOf(nb: Neutron, networkId: string): Promise<Row<RbacPolicy>[]> {
  return (await nb.db.list<RbacPolicy>(TABLES.rbacPolicies, networkTopic(networkId))).filter(r => r.value.object_id === networkId)
}

const granted = (policies: RbacPolicy[], action: string, project: string): boolean =>
  policies.some(p => p.action === action && (p.target_tenant === RBAC_WILDCARD || p.target_tenant === project))

/**
 * 409 RbacPolicyInUse when, after the change, a project other than the owner would lose an access it uses: ports
 * on the network (shared), router gateways and floating IPs on it (external); a default external network must
 * stay external to everyone ('*').
 */
async function checkStillUsable(nb: Neutron, net: Network, opts: { before: RbacPolicy[]; after: RbacPolicy[] }): Promise<void> {
  const { before, after } = opts
  const lost = (action: string, project: string): boolean =>
    project !== '' && project !== net.project_id && granted(before, action, project) && !granted(after, action, project)
  const inUse = (project: string): ApiError => new ApiError('RbacPolicyInUse', { object_id: net.id, details: `tenant_id=${project}` })
  const removed = before.filter(p => !after.some(q => q.id === p.id && q.target_tenant === p.target_tenant))
  if (removed.some(p => p.action === SHARED)) {
    const ports = (await nb.db.list<Port>(TABLES.ports, networkTopic(net.id))).filter(p => p.value.network_id === net.id)
    const p = ports.find(x => lost(SHARED, x.value.project_id))
    if (p) throw inUse(p.value.project_id)
  }
  if (removed.some(p => p.action === EXTERNAL)) {
    if (
      net.is_default &&
      removed.some(p => p.action === EXTERNAL && p.target_tenant === RBAC_WILDCARD) &&
      !granted(
        after.filter(p => p.target_tenant === RBAC_WILDCARD),
        EXTERNAL,
        RBAC_WILDCARD,
      )
    ) {
      throw new ApiError('RbacPolicyInUse', { object_id: net.id, details: 'Default external networks must be shared to everyone.' })
    }
    const routers = (await nb.db.list<Router>(TABLES.routers)).filter(r => r.value.external_gateway_info?.network_id === net.id)
    const fips = (await nb.db.list<FloatingIp>(TABLES.floatingips)).filter(f => f.value.floating_network_id === net.id)
    for (const project of [...routers, ...fips].map(o => o.value.project_id)) if (lost(EXTERNAL, project)) throw inUse(project)
  }
}

/**
 * Applies `change` to the network's policies: checks duplicates and what still depends on them, then writes the
 * policies and the network (shared, router:external, revision) in one transaction.
 */
export async function changeNetworkPolicies(nb: Neutron, networkId: string, change: PolicyChange): Promise<void> {
  const parent = { table: TABLES.networks, id: networkId }
  await nb.db.transactOnParent<Network>(
    parent,
    () => new ApiError('NetworkNotFound', { id: networkId }),
    async net => {
      const rows = await policyRowsOf(nb, networkId)
      const before = rows.map(r => r.value)
      const removeIds = new Set(change.remove ?? [])
      const added = change.add ?? []
      const kept = before.filter(p => !removeIds.has(p.id) && !added.some(a => a.id === p.id))
      for (const a of added) {
        if (kept.some(p => p.action === a.action && p.target_tenant === a.target_tenant)) throw new ApiError('DuplicateRbacPolicy')
      }
      const after = [...kept, ...added]
      await checkStillUsable(nb, net.value, { before, after })
      const ops: TxOp[] = []
      for (const id of removeIds) if (before.some(p => p.id === id)) ops.push({ op: 'delete', table: TABLES.rbacPolicies, id })
      for (const a of added) {
        const old = rows.find(r => r.id === a.id)
        const value = a as unknown as Record<string, unknown>
        ops.push(
          old
            ? { op: 'update', table: TABLES.rbacPolicies, id: a.id, version: old.version, topics: old.topics, value }
            : { op: 'create', table: TABLES.rbacPolicies, id: a.id, topics: topicsFor(a.project_id, networkId), value },
        )
      }
      const value: Network = {
        ...net.value,
        shared: after.some(p => p.action === SHARED && p.target_tenant === RBAC_WILDCARD),
        'router:external': after.some(p => p.action === EXTERNAL),
        updated_at: now(),
      }
      return { ops, value }
    },
  )
}

/** The network a policy names; a non-admin may manage only policies of networks it owns (Neutron: 400). */
async function ownedNetwork(nb: Neutron, ctx: RequestContext, networkId: string): Promise<Network> {
  const net = await nb.db.get<Network>(TABLES.networks, networkId)
  if (!net) throw new ApiError('NetworkNotFound', { id: networkId })
  if (!ctx.isAdmin && net.value.project_id !== ctx.projectId) {
    throw new ApiError('InvalidInput', { detail: 'Only admins can manipulate policies on networks they do not own' })
  }
  return net.value
}

async function reread(nb: Neutron, id: string, objectType: string): Promise<Row<RbacPolicy>> {
  const row = await nb.db.get<RbacPolicy>(TABLES.rbacPolicies, id)
  if (!row) throw new ApiError('RbacPolicyNotFound', { id, object_type: objectType })
  return row
}

export const rbacPolicies: Resource<RbacPolicy> = {
  collection: 'rbac_policies',
  member: 'rbac_policy',
  table: TABLES.rbacPolicies,
  attributes: RBAC_POLICY_ATTRIBUTES,
  notFound: 'RbacPolicyNotFound',
  quota: 'rbac_policy',

  async create(nb, ctx, input: Input) {
    const objectType = input.object_type as string
    const valid = RBAC_ACTIONS[objectType] ?? []
    if (!valid.includes(input.action as string)) {
      throw new ApiError('InvalidActionForType', {
        action: input.action,
        object_type: objectType,
        valid_actions: `[${valid.map(a => `'${a}'`).join(', ')}]`,
      })
    }
    const net = await ownedNetwork(nb, ctx, input.object_id as string)
    const policy = newPolicy({
      networkId: net.id,
      action: input.action as string,
      target: input.target_tenant as string,
      projectId: input.project_id as string,
    })
    await changeNetworkPolicies(nb, net.id, { add: [policy] })
    return reread(nb, policy.id, objectType)
  },

  async update(nb, ctx, row, changes) {
    if (changes.target_tenant === undefined || changes.target_tenant === row.value.target_tenant) return row
    await ownedNetwork(nb, ctx, row.value.object_id)
    await changeNetworkPolicies(nb, row.value.object_id, { add: [{ ...row.value, target_tenant: changes.target_tenant as string }] })
    return reread(nb, row.id, row.value.object_type)
  },

  async remove(nb, _ctx, row) {
    await changeNetworkPolicies(nb, row.value.object_id, { remove: [row.id] })
  },

  async decorate(_nb, _ctx, items) {
    // Neutron's RBAC policies have no standard attributes: no revision_number to show.
    for (const i of items) delete i.revision_number
  },
}
