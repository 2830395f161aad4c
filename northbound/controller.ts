// The generic Neutron collection/member controller: list with filters, sorting and paging, show with fields,
// create (single or bulk), partial update, delete and the /tags subresource, for any Resource module.
// Who may do what, and see which attributes, is asked of the policy engine (policy/access.ts) and only there.
import { ApiError } from '../model/errors.js'
import { list as listOf, str } from '../model/attributes.js'
import { validateCreate, validateUpdate } from '../model/validate.js'
import type { RequestContext } from './context.js'
import { type Row, now } from './db.js'
import { type Reply, json, noContent } from './http.js'
import type { Neutron } from './neutron.js'
import { type Item, applyListQuery, dropFilterOnly, parseListQuery, selectFields } from './query.js'
import { authorizeCreate, enforceRule, findAuthorized, findVisible, hideAttributes, visibleFilter } from './policy/access.js'
import type { Input, Resource } from './resource.js'

const MAX_TAGS = 50

// Resource modules are typed by their own model interface; the controller handles them uniformly.
type AnyResource = Resource<any> // eslint-disable-line @typescript-eslint/no-explicit-any -- heterogeneous registry

/**
 * Rendered objects with what the caller may not read (get_<member>:<attribute>) left out; a list keeps the
 * filter-only attributes until it has filtered (listResource drops them then).
 */
export async function renderRows(
  nb: Neutron,
  res: AnyResource,
  ctx: RequestContext,
  rows: Row<unknown>[],
  opts: { forFilter?: boolean } = {},
): Promise<Item[]> {
  const items = rows.map(r => nb.render(res, r))
  if (res.decorate) await res.decorate(nb, ctx, items)
  await hideAttributes(nb, res, ctx, items)
  if (!opts.forFilter) dropFilterOnly(items, res.attributes)
  return items
}

export async function renderOne(nb: Neutron, res: AnyResource, ctx: RequestContext, row: Row<unknown>): Promise<Item> {
  return (await renderRows(nb, res, ctx, [row]))[0] as Item
}

export async function listResource(
  nb: Neutron,
  res: AnyResource,
  ctx: RequestContext,
  opts: { params: URLSearchParams; baseUrl: string },
): Promise<Reply> {
  const q = parseListQuery(opts.params, res.attributes)
  await res.beforeRead?.(nb, ctx)
  const all = await nb.db.list<Item>(res.table)
  const see = await visibleFilter(
    nb,
    res,
    ctx,
    all.map(r => r.value),
  )
  const rows = all.filter(r => see(r.value))
  const items = await renderRows(nb, res, ctx, rows, { forFilter: true })
  const page = applyListQuery(items, q, {
    attributes: res.attributes,
    base: opts.params,
    link: p => `${opts.baseUrl}/v2.0/${res.collection.replace(/_/g, '-')}?${p.toString()}`,
  })
  dropFilterOnly(page.items, res.attributes)
  const body: Item = { [res.collection]: page.items }
  if (page.links.length) body[`${res.collection}_links`] = page.links
  return json(200, body)
}

export async function showResource(
  nb: Neutron,
  res: AnyResource,
  ctx: RequestContext,
  opts: { id: string; params: URLSearchParams },
): Promise<Reply> {
  await res.beforeRead?.(nb, ctx)
  const row = await findVisible(nb, res, ctx, opts.id)
  const fields = opts.params
    .getAll('fields')
    .flatMap(f => f.split(','))
    .filter(Boolean)
  return json(200, { [res.member]: selectFields(await renderOne(nb, res, ctx, row), fields) })
}

/** project_id/tenant_id: default the caller's; another project's needs admin (Neutron: 400). */
function resolveProject(ctx: RequestContext, input: Input): string {
  const p = input.project_id,
    t = input.tenant_id
  if (p !== undefined && t !== undefined && p !== t) {
    throw new ApiError('HTTPBadRequest', { detail: "'project_id' and 'tenant_id' do not match" })
  }
  const project = (p ?? t ?? ctx.projectId) as string
  if (!ctx.isAdmin && project !== ctx.projectId) {
    throw new ApiError('HTTPBadRequest', {
      detail: "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges",
    })
  }
  delete input.tenant_id
  input.project_id = project
  return project
}

/** The attributes a create sets explicitly: given, and not just the default (Neutron's _is_attribute_explicitly_set). */
function explicitlySet(res: AnyResource, raw: unknown, input: Input): Input {
  const given = typeof raw === 'object' && raw !== null ? Object.keys(raw) : []
  const out: Input = {}
  for (const k of given) {
    if (!(k in input)) continue
    const d = res.attributes[k]?.default
    if (d !== undefined && typeof d !== 'function' && JSON.stringify(d) === JSON.stringify(input[k])) continue
    out[k] = input[k]
  }
  return out
}

async function createOne(nb: Neutron, res: AnyResource, ctx: RequestContext, raw: unknown): Promise<Row<unknown>> {
  const input = validateCreate(res.attributes, raw, { member: res.member })
  const project = resolveProject(ctx, input)
  await authorizeCreate(nb, res, ctx, { input, explicit: explicitlySet(res, raw, input) })
  if (input.tags !== undefined && (input.tags as unknown[]).length > MAX_TAGS) throw new ApiError('TagLimitExceeded', { limit: MAX_TAGS })
  if (res.quota) return nb.withinQuota(project, { resource: res.quota, table: res.table }, () => res.create(nb, ctx, input))
  return res.create(nb, ctx, input)
}

/** A bulk item may come wrapped in its member name ({"security_groups": [{"security_group": {...}}]}), as Neutron accepts. */
function unwrapBulkItem(res: AnyResource, item: unknown): unknown {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return item
  const o = item as Item
  return Object.keys(o).length === 1 && res.member in o ? o[res.member] : item
}

export async function createResource(nb: Neutron, res: AnyResource, ctx: RequestContext, body: unknown): Promise<Reply> {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Item
  if (Array.isArray(b[res.collection])) {
    // Bulk create is all or nothing: what was created before a failure is removed again.
    const created: Row<unknown>[] = []
    try {
      for (const one of b[res.collection] as unknown[]) created.push(await createOne(nb, res, ctx, unwrapBulkItem(res, one)))
    } catch (err) {
      for (const row of created.reverse()) await res.remove(nb, ctx, row).catch(() => undefined)
      throw err
    }
    return json(201, { [res.collection]: await renderRows(nb, res, ctx, created) })
  }
  if (!(res.member in b) || Object.keys(b).length !== 1) {
    throw new ApiError('HTTPBadRequest', { detail: `Unable to find '${res.member}' in request body` })
  }
  const row = await createOne(nb, res, ctx, b[res.member])
  return json(201, { [res.member]: await renderOne(nb, res, ctx, row) })
}

/**
 * The revision an If-Match header constrains a write to (`If-Match: revision_number=N`, Neutron's
 * revision-if-match), or undefined without one. Other entity tags are not Neutron's and are ignored.
 */
export function revisionConstraint(ifMatch: string | undefined): number | undefined {
  let revision: number | undefined
  for (const raw of (ifMatch ?? '').split(',')) {
    const tag = raw
      .trim()
      .replace(/^W\//, '')
      .replace(/^"(.*)"$/, '$1')
    if (!tag.startsWith('revision_number=')) continue
    if (revision !== undefined)
      throw new ApiError('BadRequest', { resource: 'if-match', detail: 'Multiple revision_number etags are not supported.' })
    const n = tag.slice('revision_number='.length)
    if (!/^\d+$/.test(n))
      throw new ApiError('BadRequest', {
        resource: 'if-match',
        detail: 'Revision number etag must be in the format of revision_number=<int>',
      })
    revision = Number(n)
  }
  return revision
}

/** 412 unless the object is at the revision the request was constrained to. */
function checkRevision(row: Row<unknown>, expected: number | undefined): void {
  if (expected !== undefined && row.version !== expected)
    throw new ApiError('RevisionNumberConstraintFailed', { expected, current: row.version })
}

export async function updateResource(
  nb: Neutron,
  res: AnyResource,
  ctx: RequestContext,
  opts: { id: string; body: unknown; ifMatch?: string | undefined },
): Promise<Reply> {
  const b = (typeof opts.body === 'object' && opts.body !== null ? opts.body : {}) as Item
  if (!(res.member in b) || Object.keys(b).length !== 1) {
    throw new ApiError('HTTPBadRequest', { detail: `Unable to find '${res.member}' in request body` })
  }
  const changes = validateUpdate(res.attributes, b[res.member], { member: res.member })
  const expected = revisionConstraint(opts.ifMatch)
  const row = await findAuthorized(nb, res, ctx, { id: opts.id, action: `update_${res.member}`, changes })
  // Checked against the revision read here; a write racing in between is not caught (no CAS through res.update).
  checkRevision(row, expected)
  const updated = await res.update(nb, ctx, row, changes)
  return json(200, { [res.member]: await renderOne(nb, res, ctx, updated) })
}

export async function deleteResource(
  nb: Neutron,
  res: AnyResource,
  ctx: RequestContext,
  id: string,
  opts: { ifMatch?: string | undefined } = {},
): Promise<Reply> {
  const expected = revisionConstraint(opts.ifMatch)
  const row = await findAuthorized(nb, res, ctx, { id, action: `delete_${res.member}` })
  checkRevision(row, expected)
  await res.remove(nb, ctx, row)
  return noContent
}

export async function actionResource(
  nb: Neutron,
  res: AnyResource,
  ctx: RequestContext,
  opts: { id: string; action: string; body: unknown },
): Promise<Reply> {
  const fn = res.actions?.[opts.action]
  if (!fn) throw new ApiError('HTTPNotFound')
  const row = await findAuthorized(nb, res, ctx, { id: opts.id, action: opts.action })
  return json(200, await fn(nb, ctx, row, opts.body))
}

/** The /tags subresource: GET list, PUT replace all, DELETE all; /tags/{tag}: GET check, PUT add, DELETE remove. */
export async function tagsResource(
  nb: Neutron,
  res: AnyResource,
  ctx: RequestContext,
  opts: { id: string; method: string; tag?: string | undefined; body: unknown },
): Promise<Reply> {
  const { id, method, tag } = opts
  const row0 = await findVisible(nb, res, ctx, id)
  // Neutron's tagging extension: get_/update_/delete_<member>:tags on the object (a PUT of one tag is an update).
  const verb = method === 'GET' ? 'get' : method === 'DELETE' ? 'delete' : 'update'
  await enforceRule(nb, ctx, { rule: `${verb}_${res.member}:tags`, res, object: row0.value as Item })
  if (method === 'GET') {
    const row = row0
    const tags = (row.value as Item).tags as string[]
    if (tag === undefined) return json(200, { tags })
    if (!tags.includes(tag)) throw new ApiError('TagNotFound', { tag, resource: res.member, resource_id: id })
    return noContent
  }
  let next: (tags: string[]) => string[]
  if (method === 'PUT' && tag === undefined) {
    const b = (typeof opts.body === 'object' && opts.body !== null ? opts.body : {}) as Item
    const tags = listOf(str(60))(b.tags, 'tags') as string[]
    next = () => [...new Set(tags)]
  } else if (method === 'PUT') {
    str(60)(tag, 'tags')
    next = t => (t.includes(tag as string) ? t : [...t, tag as string])
  } else if (method === 'DELETE' && tag === undefined) {
    next = () => []
  } else if (method === 'DELETE') {
    next = t => {
      if (!t.includes(tag as string)) throw new ApiError('TagNotFound', { tag, resource: res.member, resource_id: id })
      return t.filter(x => x !== tag)
    }
  } else {
    throw new ApiError('HTTPMethodNotAllowed', { method })
  }
  const row = await nb.db.mutate<Item>(
    res.table,
    id,
    cur => {
      const tags = next((cur.value.tags as string[]) ?? [])
      if (tags.length > MAX_TAGS) throw new ApiError('TagLimitExceeded', { limit: MAX_TAGS })
      return { ...cur.value, tags, updated_at: now() }
    },
    () => new ApiError(res.notFound, { id }),
  )
  const tags = row.value.tags as string[]
  if (method === 'PUT' && tag === undefined) return json(200, { tags })
  if (method === 'PUT') return json(201, null)
  return noContent
}
