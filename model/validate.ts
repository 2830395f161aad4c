// Checks a create or update body against a resource's attribute map: unknown attributes, read-only ones,
// missing required ones, then converts each value. Error texts follow Neutron's API layer. Who may set an
// attribute is not decided here: the policy engine does (northbound/policy/, create_<member>:<attribute>).
import type { AttributeMap } from './attributes.js'
import { ApiError } from './errors.js'

export interface ValidateOptions {
  /** Singular resource name, used in error messages (network, port...). */
  member: string
}

function checkObject(body: unknown, member: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError('HTTPBadRequest', { detail: `Invalid input for ${member}: the body must be an object` })
  }
  return body as Record<string, unknown>
}

function checkUnknown(map: AttributeMap, body: Record<string, unknown>): void {
  const unknown = Object.keys(body).filter(k => !(k in map))
  if (unknown.length) throw new ApiError('HTTPBadRequest', { detail: `Unrecognized attribute(s) '${unknown.join(', ')}'` })
}

export function validateCreate(map: AttributeMap, body: unknown, opts: ValidateOptions): Record<string, unknown> {
  const input = checkObject(body, opts.member)
  checkUnknown(map, input)
  const out: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(input)) {
    const spec = map[field]
    if (!spec?.post) throw new ApiError('HTTPBadRequest', { detail: `Attribute '${field}' not allowed in POST` })
    out[field] = spec.convert ? spec.convert(value, field) : value
  }
  for (const [field, spec] of Object.entries(map)) {
    if (field in out) continue
    if (spec.required)
      throw new ApiError('HTTPBadRequest', { detail: `Failed to parse request. Required attribute '${field}' not specified` })
    if (spec.default !== undefined)
      out[field] = typeof spec.default === 'function' ? (spec.default as () => unknown)() : structuredClone(spec.default)
  }
  return out
}

export function validateUpdate(map: AttributeMap, body: unknown, opts: ValidateOptions): Record<string, unknown> {
  const input = checkObject(body, opts.member)
  checkUnknown(map, input)
  const out: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(input)) {
    const spec = map[field]
    if (!spec?.put) throw new ApiError('HTTPBadRequest', { detail: `Cannot update read-only attribute ${field}` })
    out[field] = spec.convert ? spec.convert(value, field) : value
  }
  return out
}
