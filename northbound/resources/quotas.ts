// Quotas (the `quotas` and `quota_details` extensions): per-project limits over Neutron's defaults, usage
// counted from the store, enforced at create time by the controller (409 OverQuota).
import { int } from '../../model/attributes.js'
import { ApiError } from '../../model/errors.js'
import { DEFAULT_QUOTAS, QUOTA_RESOURCES } from '../../model/quotas.js'
import { TABLES, topicsFor } from '../../model/tables.js'
import type { RequestContext } from '../context.js'
import { type Reply, json, noContent } from '../http.js'
import type { Neutron } from '../neutron.js'
import { enforceRule } from '../policy/access.js'

/** The table whose objects a quota resource counts. */
export const QUOTA_TABLES: Record<string, string> = {
  network: TABLES.networks,
  subnet: TABLES.subnets,
  port: TABLES.ports,
  router: TABLES.routers,
  floatingip: TABLES.floatingips,
  security_group: TABLES.securityGroups,
  security_group_rule: TABLES.securityGroupRules,
  subnetpool: TABLES.subnetpools,
}

/**
 * Neutron's quotasv2.py: a project reads its own quotas freely; another project's, the list, and every change
 * ask the rule (get_quota, update_quota, delete_quota) with the caller's own project as the target.
 */
async function checkAccess(nb: Neutron, ctx: RequestContext, projectId: string | undefined, rule: string): Promise<void> {
  if (projectId !== undefined && projectId === ctx.projectId && rule === 'get_quota') return
  await enforceRule(nb, ctx, { rule, object: { project_id: ctx.projectId } })
}

export async function listQuotas(nb: Neutron, ctx: RequestContext): Promise<Reply> {
  await checkAccess(nb, ctx, undefined, 'get_quota')
  const rows = await nb.db.list<Record<string, number>>(TABLES.quotas)
  const quotas = rows.map(r => ({ ...DEFAULT_QUOTAS, ...r.value, project_id: r.id, tenant_id: r.id }))
  return json(200, { quotas })
}

export async function showQuota(nb: Neutron, ctx: RequestContext, projectId: string): Promise<Reply> {
  await checkAccess(nb, ctx, projectId, 'get_quota')
  return json(200, { quota: await nb.quotaLimits(projectId) })
}

export async function defaultQuota(nb: Neutron, ctx: RequestContext, projectId: string): Promise<Reply> {
  await checkAccess(nb, ctx, projectId, 'get_quota')
  return json(200, { quota: { ...DEFAULT_QUOTAS } })
}

export async function quotaDetails(nb: Neutron, ctx: RequestContext, projectId: string): Promise<Reply> {
  await checkAccess(nb, ctx, projectId, 'get_quota')
  const limits = await nb.quotaLimits(projectId)
  const quota: Record<string, { limit: number; used: number; reserved: number }> = {}
  for (const r of QUOTA_RESOURCES) {
    quota[r] = {
      limit: limits[r] ?? -1,
      used: await nb.usage(projectId, QUOTA_TABLES[r] as string),
      reserved: nb.reserved(projectId, QUOTA_TABLES[r] as string),
    }
  }
  return json(200, { quota })
}

export async function updateQuota(nb: Neutron, ctx: RequestContext, opts: { projectId: string; body: unknown }): Promise<Reply> {
  await checkAccess(nb, ctx, opts.projectId, 'update_quota')
  const b = (typeof opts.body === 'object' && opts.body !== null ? opts.body : {}) as Record<string, unknown>
  const q = b.quota
  if (typeof q !== 'object' || q === null) throw new ApiError('HTTPBadRequest', { detail: "Unable to find 'quota' in request body" })
  const changes: Record<string, number> = {}
  for (const [k, v] of Object.entries(q as Record<string, unknown>)) {
    if (k === 'force' || k === 'check_limit') continue
    if (!QUOTA_RESOURCES.includes(k)) throw new ApiError('HTTPBadRequest', { detail: `Unrecognized attribute(s) '${k}'` })
    changes[k] = int({ min: -1, max: 2147483647 })(v, k) as number
  }
  const existing = await nb.db.get<Record<string, number>>(TABLES.quotas, opts.projectId)
  if (existing)
    await nb.db.mutate<Record<string, number>>(
      TABLES.quotas,
      opts.projectId,
      cur => ({ ...cur.value, ...changes }),
      () => new ApiError('HTTPNotFound'),
    )
  else await nb.db.create(TABLES.quotas, opts.projectId, changes, topicsFor(opts.projectId))
  return json(200, { quota: await nb.quotaLimits(opts.projectId) })
}

export async function deleteQuota(nb: Neutron, ctx: RequestContext, projectId: string): Promise<Reply> {
  await checkAccess(nb, ctx, projectId, 'delete_quota')
  if (await nb.db.get(TABLES.quotas, projectId)) await nb.db.transact([{ op: 'delete', table: TABLES.quotas, id: projectId }])
  return noContent
}
