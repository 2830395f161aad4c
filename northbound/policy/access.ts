// Where the API asks the policy engine, with Neutron's answers: 404 when the caller may not see the object
// (its existence is not revealed), 403 PolicyNotAuthorized for an action refused on an object it sees (and
// for every refused create), attributes it may not read left out of what it is shown. Targets are built as
// Neutron's policy module resolves them: the object's own attributes and, through network_id and
// security_group_id, its network and security group (read with admin rights, as Neutron's OwnerCheck does).
import { ApiError } from '../../model/errors.js'
import { RBAC_WILDCARD, type RbacPolicy } from '../../model/attributes/rbac-policies.js'
import { TABLES } from '../../model/tables.js'
import type { Network } from '../../model/types.js'
import type { RequestContext } from '../context.js'
import type { Row } from '../db.js'
import type { Neutron } from '../neutron.js'
import type { Item } from '../query.js'
import type { Resource } from '../resource.js'
import { credentialsOf } from './credentials.js'
import { type Credentials, TARGET_PARENTS, type Target, type TargetParent } from './engine.js'

// Resources of every model type pass through here.
type AnyResource = Pick<Resource<any>, 'collection' | 'member' | 'table' | 'notFound'> // eslint-disable-line @typescript-eslint/no-explicit-any -- heterogeneous registry
type Obj = Record<string, unknown>

const PARENT_TABLES: Record<TargetParent, string> = { network: TABLES.networks, security_group: TABLES.securityGroups }

/** A network's RBAC policies, by network id (read once per request). */
export type NetworkGrants = Map<string, RbacPolicy[]>

export async function networkGrants(nb: Neutron): Promise<NetworkGrants> {
  const grants: NetworkGrants = new Map()
  for (const r of await nb.db.list<RbacPolicy>(TABLES.rbacPolicies)) {
    if (r.value.object_type !== 'network') continue
    grants.set(r.value.object_id, [...(grants.get(r.value.object_id) ?? []), r.value])
  }
  return grants
}

/** Whether a policy of `action` on the network names the project or '*'. */
export function isGranted(grants: NetworkGrants, opts: { networkId: string; action: string; projectId: string }): boolean {
  return (grants.get(opts.networkId) ?? []).some(
    p => p.action === opts.action && (p.target_tenant === RBAC_WILDCARD || p.target_tenant === opts.projectId),
  )
}

/**
 * The network as one project's requests see it, the way Neutron's RBAC query and _make_network_dict decide:
 * `shared` is true where an access_as_shared policy names the project or '*'; `router:external` is true for the
 * policy checks only where an access_as_external policy does (rule:external then reveals the network to exactly
 * those projects; the rendered router:external stays the network's own flag).
 */
export function networkSeenBy(net: Obj, grants: NetworkGrants, projectId: string): Obj {
  const id = net.id as string
  return {
    ...net,
    shared: net.shared === true || isGranted(grants, { networkId: id, action: 'access_as_shared', projectId }),
    'router:external': isGranted(grants, { networkId: id, action: 'access_as_external', projectId }) || legacyExternal(net, grants),
  }
}

/** An external network stored before RBAC policies existed has none: it stays external to everyone. */
function legacyExternal(net: Obj, grants: NetworkGrants): boolean {
  return net['router:external'] === true && !(grants.get(net.id as string) ?? []).some(p => p.action === 'access_as_external')
}

/** Subnets carry their network's router:external (Neutron's subnet-external-network extension): rule:external_network reads it. */
function withComputed(res: AnyResource, obj: Obj, parents: Target['parents']): Obj {
  if (res.collection !== 'subnets' || parents.network === undefined) return obj
  return { ...obj, 'router:external': parents.network['router:external'] === true }
}

/** The target of one object: its parents read from the store. */
export async function targetOf(nb: Neutron, res: AnyResource, obj: Obj, creds: Credentials): Promise<Target> {
  const parents: Target['parents'] = {}
  for (const [parent, key] of Object.entries(TARGET_PARENTS) as [TargetParent, string][]) {
    const id = obj[key]
    if (typeof id !== 'string' || !id) continue
    const row = await nb.db.get<Obj>(PARENT_TABLES[parent], id)
    if (row) parents[parent] = row.value
  }
  return seenThroughGrants(res, { object: obj, parents }, { grants: await networkGrants(nb), creds })
}

/** The network (the object or the parent) as the caller sees it through RBAC, then the computed attributes. */
function seenThroughGrants(res: AnyResource, t: Target, opts: { grants: NetworkGrants; creds: Credentials }): Target {
  const { grants, creds } = opts
  const parents = { ...t.parents }
  if (parents.network) parents.network = networkSeenBy(parents.network, grants, creds.projectId)
  const object = res.collection === 'networks' ? networkSeenBy(t.object, grants, creds.projectId) : t.object
  return { object: withComputed(res, object, parents), parents }
}

/** Targets of many objects (lists): each parent table is read once per request. */
async function targetsOf(nb: Neutron, res: AnyResource, sample: Obj[], creds: Credentials): Promise<(obj: Obj) => Target> {
  const grants = await networkGrants(nb)
  const maps: Partial<Record<TargetParent, Map<string, Obj>>> = {}
  for (const [parent, key] of Object.entries(TARGET_PARENTS) as [TargetParent, string][]) {
    if (!sample.some(o => typeof o[key] === 'string')) continue
    maps[parent] = new Map((await nb.db.list<Obj>(PARENT_TABLES[parent])).map(r => [r.id, r.value]))
  }
  return obj => {
    const parents: Target['parents'] = {}
    for (const [parent, key] of Object.entries(TARGET_PARENTS) as [TargetParent, string][]) {
      const p = maps[parent]?.get(obj[key] as string)
      if (p) parents[parent] = p
    }
    return seenThroughGrants(res, { object: obj, parents }, { grants, creds })
  }
}

/** The context the resource logic sees: isAdmin is Neutron's context_is_admin rule, as policy.check_is_admin. */
export function policyContext(nb: Neutron, ctx: RequestContext): RequestContext {
  const isAdmin = nb.policy.allows('context_is_admin', { object: {}, parents: {} }, credentialsOf(ctx))
  return { ...ctx, isAdmin }
}

function refused(match: string): ApiError {
  return new ApiError('PolicyNotAuthorized', { action: match })
}

/** A predicate over many stored objects: may the caller see each (get_<member>)? */
export async function visibleFilter(nb: Neutron, res: AnyResource, ctx: RequestContext, objects: Obj[]): Promise<(obj: Obj) => boolean> {
  const policy = nb.policy,
    creds = credentialsOf(ctx)
  const target = await targetsOf(nb, res, objects, creds)
  return obj => policy.allows(`get_${res.member}`, target(obj), creds)
}

export async function canSee(nb: Neutron, res: AnyResource, ctx: RequestContext, obj: Obj): Promise<boolean> {
  const creds = credentialsOf(ctx)
  return nb.policy.allows(`get_${res.member}`, await targetOf(nb, res, obj, creds), creds)
}

/** The object if the caller may see it; otherwise the resource's 404. */
export async function findVisible<T>(nb: Neutron, res: AnyResource, ctx: RequestContext, id: string): Promise<Row<T>> {
  const row = await nb.db.get<T>(res.table, id)
  if (!row || !(await canSee(nb, res, ctx, row.value as Obj))) throw new ApiError(res.notFound, { id })
  return row
}

/**
 * The object for an update, delete or member action: 404 unless the caller sees it, then the action's rule on
 * the object as it would be after `changes` (with a rule per attribute changed), 403 when refused.
 */
export async function findAuthorized<T>(
  nb: Neutron,
  res: AnyResource,
  ctx: RequestContext,
  opts: { id: string; action: string; changes?: Obj },
): Promise<Row<T>> {
  const row = await findVisible<T>(nb, res, ctx, opts.id)
  const after = { ...(row.value as Obj), ...(opts.changes ?? {}) }
  const creds = credentialsOf(ctx)
  const match = nb.policy.enforce(opts.action, await targetOf(nb, res, after, creds), creds, opts.changes ?? {})
  if (match !== undefined) throw refused(match)
  return row
}

/** A rule with no request attributes (tags, quotas): 403 when refused. */
export async function enforceRule(nb: Neutron, ctx: RequestContext, opts: { rule: string; res?: AnyResource; object: Obj }): Promise<void> {
  const creds = credentialsOf(ctx)
  const target = opts.res ? await targetOf(nb, opts.res, opts.object, creds) : { object: opts.object, parents: {} }
  const match = nb.policy.enforce(opts.rule, target, creds)
  if (match !== undefined) throw refused(match)
}

/**
 * A create: the parent it is made in must be visible (404 NetworkNotFound / SecurityGroupNotFound), a port or
 * subnet goes on another project's network only if that network is shared (Neutron's ownership hook, 403 HTTPForbidden),
 * then create_<member> with a rule per attribute set explicitly (403).
 */
export async function authorizeCreate(
  nb: Neutron,
  res: AnyResource,
  ctx: RequestContext,
  opts: { input: Obj; explicit: Obj },
): Promise<void> {
  const policy = nb.policy,
    creds = credentialsOf(ctx)
  const netId = opts.input.network_id
  if ((res.collection === 'ports' || res.collection === 'subnets') && typeof netId === 'string') {
    const net = await findVisible<Network>(
      nb,
      { collection: 'networks', member: 'network', table: TABLES.networks, notFound: 'NetworkNotFound' },
      ctx,
      netId,
    )
    // The hook's bypass is Neutron's context.is_admin or is_service_role.
    const bypass = ctx.isAdmin || creds.roles.has('service')
    const shared = networkSeenBy(net.value as unknown as Obj, await networkGrants(nb), String(opts.input.project_id)).shared === true
    if (!bypass && !shared && net.value.project_id !== opts.input.project_id) {
      // Neutron raises webob's HTTPForbidden with these words (pecan_wsgi/hooks/ownership_validation.py).
      throw new ApiError('HTTPForbidden', {
        detail: `Tenant ${String(opts.input.project_id)} not allowed to create ${res.member} on this network`,
      })
    }
  }
  const sgId = opts.input.security_group_id
  if (res.collection === 'security_group_rules' && typeof sgId === 'string') {
    await findVisible(
      nb,
      { collection: 'security_groups', member: 'security_group', table: TABLES.securityGroups, notFound: 'SecurityGroupNotFound' },
      ctx,
      sgId,
    )
  }
  const match = policy.enforce(`create_${res.member}`, await targetOf(nb, res, opts.input, creds), creds, opts.explicit)
  if (match !== undefined) throw refused(match)
}

/** Leaves out of each rendered object the attributes whose get_<member>:<attribute> rule refuses the caller. */
export async function hideAttributes(nb: Neutron, res: AnyResource, ctx: RequestContext, items: Item[]): Promise<void> {
  const policy = nb.policy,
    creds = credentialsOf(ctx)
  const guarded = (item: Item): string[] =>
    Object.keys(item).filter(k => k !== 'project_id' && k !== 'tenant_id' && policy.has(`get_${res.member}:${k}`))
  if (!items.some(i => guarded(i).length > 0)) return
  const target = await targetsOf(nb, res, items, creds)
  for (const item of items) {
    const t = target(item)
    for (const k of guarded(item)) if (!policy.allows(`get_${res.member}:${k}`, t, creds)) delete item[k]
  }
}
