// How an attribute of a resource is declared: where it may be written (create/update), its default, how its
// input is checked and converted, how it is filtered. One declaration per resource (model/attributes/) drives
// validation, filtering and rendering, the way Neutron's RESOURCE_ATTRIBUTE_MAP does; who may set or see an
// attribute is the policy's (northbound/policy/defaults.ts), as Neutron moved it out of the map into policy rules.
import { invalidAttr } from './errors.js'
import { Cidr, MacAddress, normalizeIp } from '../datapath/host/addresses.js'

/** Checks one input value and returns it converted (e.g. "1400" -> 1400); throws a 400 naming the field. */
export type Converter = (value: unknown, field: string) => unknown

export interface FieldSpec {
  /** Accepted in a create body. */
  post?: boolean
  /** Accepted in an update body. */
  put?: boolean
  required?: boolean
  /** Applied on create when the attribute is absent; a function is called per object. */
  default?: unknown
  convert?: Converter
  /** How a query-string filter value is compared with the stored value. */
  filter?: 'string' | 'bool' | 'int' | 'none'
  /**
   * A list filter only, never shown: Neutron's `is_visible: False` attribute with an extra filter (a subnet's
   * `shared`, its network's). The resource's decorate computes it; the controller drops it once a list is filtered.
   */
  filterOnly?: boolean
}

export type AttributeMap = Record<string, FieldSpec>

const UUID_RE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/

const show = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? String(v)))

export function str(maxLen = 255): Converter {
  return (v, f) => {
    if (typeof v !== 'string') throw invalidAttr(f, `${show(v)} is not a valid string`)
    if (v.length > maxLen) throw invalidAttr(f, `'${v}' exceeds maximum length of ${maxLen}`)
    return v
  }
}

/** Neutron accepts booleans as JSON booleans and as the strings true/false/1/0 in any case. */
export function toBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v
  if (v === 0 || v === 1) return v === 1
  if (typeof v === 'string') {
    const s = v.toLowerCase()
    if (s === 'true' || s === '1' || s === 'yes' || s === 'on') return true
    if (s === 'false' || s === '0' || s === 'no' || s === 'off') return false
  }
  return undefined
}

export const bool: Converter = (v, f) => {
  const b = toBool(v)
  if (b === undefined) throw invalidAttr(f, `${show(v)} is not a valid boolean value`)
  return b
}

/** Integers, also given as strings ("mtu": "1400" from the CLI). */
export function int(opts: { min?: number; max?: number; nullable?: boolean } = {}): Converter {
  return (v, f) => {
    if (v === null && opts.nullable) return null
    let n: number
    if (typeof v === 'number') n = v
    else if (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) n = Number(v)
    else throw invalidAttr(f, `${show(v)} is not an integer`)
    if (!Number.isInteger(n)) throw invalidAttr(f, `${show(v)} is not an integer`)
    if (opts.min !== undefined && n < opts.min) throw invalidAttr(f, `'${n}' is too small - must be at least '${opts.min}'`)
    if (opts.max !== undefined && n > opts.max) throw invalidAttr(f, `'${n}' is too large - must be no larger than '${opts.max}'`)
    return n
  }
}

export function nullable(inner: Converter): Converter {
  return (v, f) => (v === null ? null : inner(v, f))
}

/** Whether `v` is a UUID as Neutron's validate_uuid accepts it (dashes optional). */
export const uuidText = (v: unknown): v is string => typeof v === 'string' && UUID_RE.test(v)

export const uuid: Converter = (v, f) => {
  if (!uuidText(v)) throw invalidAttr(f, `${show(v)} is not a valid UUID`)
  return v
}

export function oneOf(values: readonly (string | number | null)[]): Converter {
  return (v, f) => {
    if (!values.includes(v as string)) throw invalidAttr(f, `${show(v)} is not in [${values.map(x => show(x)).join(', ')}]`)
    return v
  }
}

export const ip: Converter = (v, f) => {
  const n = normalizeIp(v)
  if (n === undefined) throw invalidAttr(f, `${show(v)} is not a valid IP address`)
  return n
}

/** A network CIDR; host bits set are refused as Neutron does, naming the canonical form. */
export const subnetCidr: Converter = (v, f) => {
  const c = Cidr.tryParse(v)
  if (!c) throw invalidAttr(f, `${show(v)} is not a valid IP subnet`)
  const canonical = c.canonical().toString()
  if (c.hasHostBits) throw invalidAttr(f, `'${String(v)}' isn't a recognized IP subnet cidr, '${canonical}' is recommended`)
  return canonical
}

/** An address or prefix, host bits tolerated and cleared (remote_ip_prefix, allowed address pairs). */
export const prefix: Converter = (v, f) => {
  const c = Cidr.tryParse(v, { bareIsHost: true })
  if (!c) throw invalidAttr(f, `${show(v)} is not a valid IP subnet`)
  return c.canonical().toString()
}

/** A port's MAC: a group (multicast) or all-zero address is not one a port can own, as Neutron refuses them. */
export const mac: Converter = (v, f) => {
  const parsed = MacAddress.tryParse(v)
  const m = parsed === undefined || parsed.isMulticast || parsed.isZero ? undefined : parsed.toString()
  if (m === undefined) throw invalidAttr(f, `${show(v)} is not a valid MAC address`)
  return m
}

export function list(item?: Converter, opts: { max?: number } = {}): Converter {
  return (v, f) => {
    if (!Array.isArray(v)) throw invalidAttr(f, `${show(v)} is not a list`)
    if (opts.max !== undefined && v.length > opts.max) throw invalidAttr(f, `${v.length} items exceed the maximum of ${opts.max}`)
    return item ? v.map((x: unknown) => item(x, f)) : [...(v as unknown[])]
  }
}

/**
 * neutron-lib's convert_none_to_empty_list: on the list attributes that declare it (routes, dns_nameservers,
 * host_routes, allowed_address_pairs, security_groups) null means "none", so it clears the list on update and
 * sets it empty on create, where an absent attribute would take the default.
 */
export function noneIsEmptyList(inner: Converter): Converter {
  return (v, f) => (v === null ? [] : inner(v, f))
}

export function uniqueList(item: Converter): Converter {
  return (v, f) => {
    const out = list(item)(v, f) as unknown[]
    const seen = new Set(out.map(x => JSON.stringify(x)))
    if (seen.size !== out.length) throw invalidAttr(f, `Duplicate items in the list: '${out.join(', ')}'`)
    return out
  }
}

export const dict: Converter = (v, f) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidAttr(f, `${show(v)} is not a dictionary`)
  return v
}

/** A dictionary with declared keys: unknown keys refused, each value converted, `required` keys checked. */
export function shape(keys: Record<string, Converter>, required: string[] = []): Converter {
  return (v, f) => {
    const d = dict(v, f) as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (const [k, val] of Object.entries(d)) {
      const c = keys[k]
      if (!c) throw invalidAttr(f, `Unrecognized key(s) '${k}'`)
      out[k] = c(val, f)
    }
    for (const k of required)
      if (!(k in out))
        throw invalidAttr(
          f,
          `Validation of dictionary's keys failed. Expected keys: {'${required.join("', '")}'} Provided keys: {'${Object.keys(d).join("', '")}'}`,
        )
    return out
  }
}

/** Attributes every resource has (standard attributes + ownership). */
export function standardAttributes(opts: { description?: boolean } = {}): AttributeMap {
  return {
    id: { filter: 'string' },
    project_id: { post: true, convert: str(255), filter: 'string' },
    tenant_id: { post: true, convert: str(255), filter: 'string' },
    ...(opts.description === false ? {} : { description: { post: true, put: true, default: '', convert: str(255), filter: 'string' } }),
    tags: { post: true, convert: list(str(60)), filter: 'none' },
    created_at: { filter: 'string' },
    updated_at: { filter: 'string' },
    revision_number: { filter: 'int' },
  }
}

export const nameAttr: FieldSpec = { post: true, put: true, default: '', convert: str(255), filter: 'string' }
export const adminStateAttr: FieldSpec = { post: true, put: true, default: true, convert: bool, filter: 'bool' }
