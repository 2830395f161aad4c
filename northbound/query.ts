// List queries: filters on any attribute (repeated keys = OR, different keys = AND), tag filters, `fields=`,
// sorting (sort_key/sort_dir pairs) and marker pagination with `<collection>_links`, applied to rendered
// objects so that what is filtered is exactly what is shown.
import { type AttributeMap, toBool } from '../model/attributes.js'
import { ApiError } from '../model/errors.js'

export type Item = Record<string, unknown>

export interface ListQuery {
  filters: Map<string, string[]>
  fields: string[]
  sort: { key: string; dir: 'asc' | 'desc' }[]
  limit?: number | undefined
  marker?: string | undefined
  pageReverse: boolean
}

const RESERVED = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse'])
const TAG_FILTERS = new Set(['tags', 'tags-any', 'not-tags', 'not-tags-any'])
/** Filters Neutron accepts besides the attributes (fixed_ips sub-keys; common no-op client parameters). */
const SPECIAL = new Set(['fixed_ips', 'ip_address', 'subnet_id'])

export function parseListQuery(params: URLSearchParams, attributes: AttributeMap): ListQuery {
  const filters = new Map<string, string[]>()
  const fields: string[] = []
  for (const [k, v] of params) {
    if (k === 'fields') {
      fields.push(...v.split(',').filter(Boolean))
      continue
    }
    if (RESERVED.has(k)) continue
    const key = k === 'tenant_id' ? 'project_id' : k
    if (!(key in attributes) && !TAG_FILTERS.has(key) && !SPECIAL.has(key)) {
      throw new ApiError('HTTPBadRequest', { detail: `[${k}] is invalid attribute for filtering` })
    }
    filters.set(key, [...(filters.get(key) ?? []), v])
  }
  const keys = params.getAll('sort_key')
  const dirs = params.getAll('sort_dir')
  if (dirs.length && dirs.length !== keys.length) {
    throw new ApiError('HTTPBadRequest', { detail: 'The number of sort_keys and sort_dirs must be same' })
  }
  const sort = keys.map((key, i): ListQuery['sort'][number] => {
    if (!(key in attributes)) throw new ApiError('HTTPBadRequest', { detail: `${key} is an invalid attribute for sort_key` })
    const dir = (dirs[i] ?? 'asc').toLowerCase()
    if (dir !== 'asc' && dir !== 'desc')
      throw new ApiError('HTTPBadRequest', { detail: `${dirs[i]} is an invalid value for sort_dir, valid values are 'asc' and 'desc'` })
    return { key, dir: dir }
  })
  let limit: number | undefined
  const l = params.get('limit')
  if (l !== null) {
    if (!/^\d+$/.test(l)) throw new ApiError('HTTPBadRequest', { detail: `Limit must be an integer 0 or greater and not '${l}'` })
    limit = Number(l) || undefined
  }
  // Neutron reads a marker only with a limit (api_common.get_limit_and_marker); limit=0 means no paging.
  const marker = limit === undefined ? undefined : (params.get('marker') ?? undefined)
  return { filters, fields, sort, limit, marker, pageReverse: toBool(params.get('page_reverse') ?? 'false') ?? false }
}

function matchValue(stored: unknown, wanted: string, kind: string | undefined): boolean {
  if (kind === 'bool') return toBool(stored) === toBool(wanted)
  if (kind === 'int') return stored !== null && stored !== undefined && Number(stored) === Number(wanted)
  if (stored === null || stored === undefined) return wanted === '' || wanted.toLowerCase() === 'none'
  return filterText(stored) === wanted
}

/** How a stored value reads in a query string: dicts and lists as JSON, never [object Object]. */
function filterText(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? '')
}

function splitTags(values: string[]): string[] {
  return values.flatMap(v => v.split(',')).filter(Boolean)
}

/** fixed_ips=ip_address=X&fixed_ips=subnet_id=Y: each sub-key ORs its values, sub-keys AND together. */
function matchFixedIps(item: Item, values: string[]): boolean {
  const ips = Array.isArray(item.fixed_ips) ? (item.fixed_ips as Item[]) : []
  const want = new Map<string, string[]>()
  for (const v of values) {
    const eq = v.indexOf('=')
    const k = eq < 0 ? 'ip_address' : v.slice(0, eq)
    want.set(k, [...(want.get(k) ?? []), eq < 0 ? v : v.slice(eq + 1)])
  }
  return ips.some(fip =>
    [...want].every(([k, vs]) => {
      if (k === 'ip_address_substr') return vs.some(s => String(fip.ip_address).includes(s))
      return vs.includes(String(fip[k]))
    }),
  )
}

export function matches(item: Item, filters: Map<string, string[]>, attributes: AttributeMap): boolean {
  for (const [key, values] of filters) {
    if (key === 'fixed_ips') {
      if (!matchFixedIps(item, values)) return false
      continue
    }
    if (key === 'ip_address' || key === 'subnet_id') {
      if (!('fixed_ips' in item)) {
        if (!values.some(v => matchValue(item[key], v, 'string'))) return false
        continue
      }
      if (
        !matchFixedIps(
          item,
          values.map(v => `${key}=${v}`),
        )
      )
        return false
      continue
    }
    if (TAG_FILTERS.has(key)) {
      const tags = new Set(Array.isArray(item.tags) ? (item.tags as string[]) : [])
      const want = splitTags(values)
      const all = want.every(t => tags.has(t)),
        any = want.some(t => tags.has(t))
      if (key === 'tags' && !all) return false
      if (key === 'tags-any' && !any) return false
      if (key === 'not-tags' && all) return false
      if (key === 'not-tags-any' && any) return false
      continue
    }
    const kind = attributes[key]?.filter
    if (kind === 'none') {
      // Lists and dicts: match when the wanted value is one of the elements (e.g. security_groups=<id>).
      const v = item[key]
      if (Array.isArray(v) ? !values.some(w => v.map(String).includes(w)) : !values.some(w => JSON.stringify(v) === w)) return false
      continue
    }
    if (!values.some(w => matchValue(item[key], w, kind))) return false
  }
  return true
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0
  if (a === null || a === undefined) return -1
  if (b === null || b === undefined) return 1
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b)
  const sa = filterText(a),
    sb = filterText(b)
  return sa < sb ? -1 : sa > sb ? 1 : 0
}

export interface Page {
  items: Item[]
  links: { href: string; rel: 'next' | 'previous' }[]
}

/** Filters, sorts (id last, for a stable order), pages and projects `items`; `self` builds link URLs. */
export function applyListQuery(
  all: Item[],
  q: ListQuery,
  opts: { attributes: AttributeMap; link: (params: URLSearchParams) => string; base: URLSearchParams },
): Page {
  let items = all.filter(i => matches(i, q.filters, opts.attributes))
  const keys = [...q.sort, { key: 'id', dir: 'asc' as const }]
  items.sort((a, b) => {
    for (const k of keys) {
      const c = compare(a[k.key], b[k.key])
      if (c !== 0) return k.dir === 'asc' ? c : -c
    }
    return 0
  })
  let links: Page['links'] = []
  if (q.limit !== undefined) {
    const page = paginate(items, q.limit, q.marker, q.pageReverse)
    links = pageLinks(page, { limit: q.limit, pageReverse: q.pageReverse, base: opts.base, link: opts.link })
    items = page
  }
  if (q.fields.length) items = items.map(i => selectFields(i, q.fields))
  return { items, links }
}

/** Drops the attributes that exist only to be filtered on (FieldSpec.filterOnly) from rendered objects. */
export function dropFilterOnly(items: Item[], attributes: AttributeMap): void {
  const hidden = Object.keys(attributes).filter(k => attributes[k]?.filterOnly)
  if (!hidden.length) return
  for (const i of items) for (const k of hidden) delete i[k]
}

/**
 * One page of the sorted `items` (Neutron's pagination): `limit` items after the marker, or with page_reverse
 * the `limit` items before it (the last ones without a marker), in sort order either way. A marker that is not
 * in the list is a 404, as Neutron's native pagination answers when it cannot load the marker object.
 */
export function paginate(items: Item[], limit: number, marker: string | undefined, pageReverse: boolean): Item[] {
  const at = marker === undefined ? -1 : items.findIndex(i => i.id === marker)
  if (marker !== undefined && at < 0) throw new ApiError('HTTPNotFound', {})
  if (pageReverse) {
    const end = marker === undefined ? items.length : at
    return items.slice(Math.max(end - limit, 0), end)
  }
  return items.slice(at + 1, at + 1 + limit)
}

/**
 * Neutron's `<collection>_links` (api_common.get_pagination_links): "next" unless a forward page came back
 * short, "previous" unless a reverse page came back short. So a full last page still has a "next" (which
 * reads empty) and a first page has a "previous"; an empty page's links carry no marker, and its "previous"
 * (page_reverse without a marker) is the last page, which is how a client walks back from the end.
 */
export function pageLinks(
  page: Item[],
  opts: { limit: number; pageReverse: boolean; base: URLSearchParams; link: (params: URLSearchParams) => string },
): Page['links'] {
  const href = (item: Item | undefined, reverse: boolean): string => {
    const p = new URLSearchParams(opts.base)
    p.delete('marker')
    p.delete('page_reverse')
    if (item !== undefined) p.set('marker', filterText(item.id))
    if (reverse) p.set('page_reverse', 'True')
    return opts.link(p)
  }
  const short = page.length < opts.limit
  const links: Page['links'] = []
  if (!(short && !opts.pageReverse)) links.push({ href: href(page[page.length - 1], false), rel: 'next' })
  if (!(short && opts.pageReverse)) links.push({ href: href(page[0], true), rel: 'previous' })
  return links
}

export function selectFields(item: Item, fields: string[]): Item {
  if (!fields.length) return item
  const out: Item = {}
  for (const f of fields) if (f in item) out[f] = item[f]
  return out
}
