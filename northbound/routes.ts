// URL dispatch for the Neutron v2.0 API: version discovery, extensions, quotas, and the collections, members,
// member actions and /tags of every resource.
import { ApiError } from '../model/errors.js'
import type { RequestContext } from './context.js'
import { actionResource, createResource, deleteResource, listResource, showResource, tagsResource, updateResource } from './controller.js'
import { type ApiRequest, type Reply, header, json } from './http.js'
import type { Neutron } from './neutron.js'
import { policyContext } from './policy/access.js'
import type { Resource } from './resource.js'
import { agents } from './resources/agents.js'
import { listExtensions, showExtension } from './resources/extensions.js'
import { floatingips } from './resources/floatingips.js'
import { networks } from './resources/networks.js'
import { ports } from './resources/ports.js'
import { defaultQuota, deleteQuota, listQuotas, quotaDetails, showQuota, updateQuota } from './resources/quotas.js'
import { rbacPolicies } from './resources/rbac-policies.js'
import { routers } from './resources/routers.js'
import { securityGroupRules, securityGroups } from './resources/security-groups.js'
import { listServiceProviders } from './resources/service-providers.js'
import { subnetpools } from './resources/subnetpools.js'
import { subnets } from './resources/subnets.js'

// The registry holds resources of different model types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- heterogeneous registry
type AnyResource = Resource<any>
const RESOURCES = new Map<string, AnyResource>(
  [networks, subnets, ports, routers, floatingips, securityGroups, securityGroupRules, subnetpools, agents, rbacPolicies].map(r => [
    r.collection,
    r,
  ]),
)

export function versions(baseUrl: string): Reply {
  return json(200, { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${baseUrl}/v2.0/`, rel: 'self' }] }] })
}

function methodNotAllowed(method: string): never {
  throw new ApiError('HTTPMethodNotAllowed', { method })
}

export async function routeNeutron(nb: Neutron, authenticated: RequestContext, req: ApiRequest): Promise<Reply> {
  // Whether the caller is an admin is the policy's context_is_admin rule, for every decision below.
  const ctx = policyContext(nb, authenticated)
  // segments[0] is 'v2.0'; a '.json' suffix on the last segment is accepted as old clients send it.
  const segs = req.segments.slice(1).map((s, i, a) => (i === a.length - 1 ? s.replace(/\.json$/, '') : s))
  // Paths spell multi-word collections with '-' (security-groups), bodies with '_' (security_groups).
  const collection = segs[0]?.replace(/-/g, '_')
  const [, id, sub, subId] = segs
  const m = req.method
  if (collection === undefined) {
    if (m !== 'GET') methodNotAllowed(m)
    return json(200, {
      resources: [...RESOURCES.values()].map(r => ({
        name: r.member,
        collection: r.collection,
        links: [{ href: `${req.baseUrl}/v2.0/${r.collection.replace(/_/g, '-')}`, rel: 'self' }],
      })),
    })
  }
  if (collection === 'extensions') {
    if (m !== 'GET') methodNotAllowed(m)
    return id === undefined ? listExtensions() : showExtension(id)
  }
  if (collection === 'quotas') return routeQuotas(nb, ctx, req, segs)
  if (collection === 'service_providers')
    return listServiceProviders({ method: m, hasId: id !== undefined, params: req.params, baseUrl: req.baseUrl })
  const res = RESOURCES.get(collection)
  if (!res || segs.length > 4) throw new ApiError('HTTPNotFound')
  if (id === undefined) {
    if (m === 'GET') return listResource(nb, res, ctx, { params: req.params, baseUrl: req.baseUrl })
    if (m === 'POST') return createResource(nb, res, ctx, req.body)
    methodNotAllowed(m)
  }
  if (sub === undefined) {
    if (m === 'GET') return showResource(nb, res, ctx, { id, params: req.params })
    if (m === 'PUT') return updateResource(nb, res, ctx, { id, body: req.body, ifMatch: header(req, 'if-match') })
    if (m === 'DELETE') return deleteResource(nb, res, ctx, id, { ifMatch: header(req, 'if-match') })
    methodNotAllowed(m)
  }
  if (sub === 'tags' && 'tags' in res.attributes) return tagsResource(nb, res, ctx, { id, method: m, tag: subId, body: req.body })
  if (res.actions?.[sub] && subId === undefined) {
    if (m !== 'PUT') methodNotAllowed(m)
    return actionResource(nb, res, ctx, { id, action: sub, body: req.body })
  }
  throw new ApiError('HTTPNotFound')
}

async function routeQuotas(nb: Neutron, ctx: RequestContext, req: ApiRequest, segs: string[]): Promise<Reply> {
  const [, project, sub] = segs
  const m = req.method
  if (project === undefined) {
    if (m !== 'GET') methodNotAllowed(m)
    return listQuotas(nb, ctx)
  }
  // GET /v2.0/quotas/tenant tells a client its own project id.
  if (project === 'tenant' || project === 'project') return json(200, { [project]: { [`${project}_id`]: ctx.projectId } })
  if (sub === 'details' && m === 'GET') return quotaDetails(nb, ctx, project)
  if (sub === 'default' && m === 'GET') return defaultQuota(nb, ctx, project)
  if (sub !== undefined) throw new ApiError('HTTPNotFound')
  if (m === 'GET') return showQuota(nb, ctx, project)
  if (m === 'PUT') return updateQuota(nb, ctx, { projectId: project, body: req.body })
  if (m === 'DELETE') return deleteQuota(nb, ctx, project)
  methodNotAllowed(m)
}
