// Subnet pool attributes (subnet_allocation).
import { type AttributeMap, bool, int, list, nameAttr, nullable, prefix, standardAttributes, uuid } from '../attributes.js'

export const SUBNETPOOL_ATTRIBUTES: AttributeMap = {
  ...standardAttributes(),
  name: nameAttr,
  prefixes: { post: true, put: true, required: true, convert: list(prefix), filter: 'none' },
  default_prefixlen: { post: true, put: true, convert: int({ min: 0, max: 128 }), filter: 'int' },
  min_prefixlen: { post: true, put: true, convert: int({ min: 0, max: 128 }), filter: 'int' },
  max_prefixlen: { post: true, put: true, convert: int({ min: 0, max: 128 }), filter: 'int' },
  ip_version: { filter: 'int' },
  shared: { post: true, default: false, convert: (v, f) => bool(v, f), filter: 'bool' },
  is_default: { post: true, put: true, default: false, convert: bool, filter: 'bool' },
  default_quota: { post: true, put: true, default: null, convert: int({ min: 0, nullable: true }), filter: 'int' },
  address_scope_id: { post: true, put: true, default: null, convert: nullable(uuid), filter: 'string' },
}

/** The prefix lengths are stored as integers and shown as strings, as Neutron's API answers them (tempest compares). */
export const PREFIXLEN_FIELDS = ['default_prefixlen', 'min_prefixlen', 'max_prefixlen'] as const

export function showPrefixlens(item: Record<string, unknown>): void {
  for (const f of PREFIXLEN_FIELDS) if (typeof item[f] === 'number') item[f] = String(item[f])
}
