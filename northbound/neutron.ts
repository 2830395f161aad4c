// The services shared by the resource modules: typed store access, ownership checks, quotas and rendering of stored objects into API dictionaries.
import { randomUUID } from 'node:crypto'
import { ApiError } from '../model/errors.js'
import { DEFAULT_QUOTAS } from '../model/quotas.js'
import { TABLES, projectTopic } from '../model/tables.js'
import type { Store } from '../store/types.js'
import { type RequestContext, owns } from './context.js'
import { Db, type Row, now } from './db.js'
import type { Item } from './query.js'
import type { Resource } from './resource.js'

export class Neutron {
  readonly db: Db

  constructor(readonly store: Store) {
    this.db = new Db(store)
  }

  /** The object if the caller may see it; otherwise Neutron's 404 (existence is not revealed). */
  async find<T>(res: Pick<Resource<T>, 'table' | 'notFound' | 'visible' | 'visibility'>, ctx: RequestContext, id: string): Promise<Row<T>> {
    const row = await this.db.get<T>(res.table, id)
    if (!row || !(await this.canSee(res, ctx, row.value))) throw new ApiError(res.notFound, { id })
    return row
  }

  async canSee<T>(res: Pick<Resource<T>, 'visible' | 'visibility'>, ctx: RequestContext, value: T): Promise<boolean> {
    if (owns(ctx, value as { project_id?: unknown }) || res.visible?.(ctx, value)) return true
    return res.visibility ? (await res.visibility(this, ctx))(value) : false
  }

  /** A predicate for many objects at once (lists): loads what `visibility` needs only once. */
  async seer<T>(res: Pick<Resource<T>, 'visible' | 'visibility'>, ctx: RequestContext): Promise<(value: T) => boolean> {
    const extra = res.visibility && !ctx.isAdmin ? await res.visibility(this, ctx) : undefined
    return v => owns(ctx, v as { project_id?: unknown }) || !!res.visible?.(ctx, v) || !!extra?.(v)
  }

  /** Like find, but the caller must own it: a visible object of another project is a 403, as Neutron's policy. */
  async findOwned<T>(res: Pick<Resource<T>, 'table' | 'notFound' | 'visible' | 'visibility' | 'member'>, ctx: RequestContext, id: string, action: string): Promise<Row<T>> {
    const row = await this.find(res, ctx, id)
    if (!owns(ctx, row.value as { project_id?: unknown })) {
      throw new ApiError('PolicyNotAuthorized', { action: `rule:${action}_${res.member}` })
    }
    return row
  }

  async quotaLimits(projectId: string): Promise<Record<string, number>> {
    const row = await this.db.get<Record<string, number>>(TABLES.quotas, projectId)
    return { ...DEFAULT_QUOTAS, ...(row?.value ?? {}) }
  }

  async usage(projectId: string, table: string): Promise<number> {
    const rows = await this.db.list<{ project_id: string }>(table, projectTopic(projectId))
    return rows.filter(r => r.value.project_id === projectId).length
  }

  /** 409 OverQuota when `adding` more objects would pass the project's limit (-1: unlimited). */
  async checkQuota(projectId: string, opts: { resource: string; table: string; adding?: number }): Promise<void> {
    const limit = (await this.quotaLimits(projectId))[opts.resource]
    if (limit === undefined || limit < 0) return
    const used = await this.usage(projectId, opts.table)
    if (used + (opts.adding ?? 1) > limit) throw new ApiError('OverQuota', { resource: opts.resource })
  }

  /** Standard attributes of a new object. */
  stamp(projectId: string, extra: { id?: string } = {}): Item {
    const t = now()
    return { id: extra.id ?? randomUUID(), project_id: projectId, description: '', tags: [], created_at: t, updated_at: t }
  }

  /** The API dictionary of a stored object: revision_number from the store version, tenant_id alias. */
  render<T>(res: Pick<Resource<T>, 'attributes' | 'hidden'>, ctx: RequestContext, row: Row<T>): Item {
    const v = row.value as unknown as Item
    const out: Item = {}
    for (const [k, val] of Object.entries(v)) {
      if (res.hidden?.includes(k) || k === 'key') continue
      if (res.attributes[k]?.adminVisible && !ctx.isAdmin) continue
      out[k] = val
    }
    out.tenant_id = v.project_id
    out.revision_number = row.version
    return out
  }
}
