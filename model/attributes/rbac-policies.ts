// RBAC policy attributes (Neutron's rbac-policies extension). A policy grants a project (or every project, '*')
// an action on an object; it carries no standard attributes (no description, tags, timestamps or revision).
import { invalidAttr } from '../errors.js'
import { type AttributeMap, type Converter, str, uuid, uuidText } from '../attributes.js'

/** Object types this API keeps RBAC policies for, with the actions each allows (Neutron's NetworkRBAC). */
export const RBAC_ACTIONS: Record<string, readonly string[]> = {
  network: ['access_as_external', 'access_as_shared'],
}

export const RBAC_WILDCARD = '*'

/** A target project: a UUID-like id or '*' (Neutron's valid_target_project). */
const targetProject: Converter = (v, f) => {
  if (v === RBAC_WILDCARD || uuidText(v)) return v
  throw invalidAttr(f, `'${String(v)}' is not a valid target project ID; expected a UUID or '*'`)
}

/** Neutron normalizes the object type (strip, lower case) before checking it. */
const objectType: Converter = (v, f) => {
  const t = typeof v === 'string' ? v.trim().toLowerCase() : v
  if (typeof t !== 'string' || !(t in RBAC_ACTIONS)) throw invalidAttr(f, `'${String(v)}' is not a valid RBAC object type`)
  return t
}

export const RBAC_POLICY_ATTRIBUTES: AttributeMap = {
  id: { filter: 'string' },
  project_id: { post: true, convert: str(255), filter: 'string' },
  tenant_id: { post: true, convert: str(255), filter: 'string' },
  object_type: { post: true, required: true, convert: objectType, filter: 'string' },
  object_id: { post: true, required: true, convert: uuid, filter: 'string' },
  target_tenant: { post: true, put: true, required: true, convert: targetProject, filter: 'string' },
  // Checked against the object type by the resource (the valid actions depend on it).
  action: { post: true, required: true, convert: str(255), filter: 'string' },
}

/** A stored RBAC policy. */
export interface RbacPolicy {
  id: string
  project_id: string
  object_type: string
  object_id: string
  action: string
  target_tenant: string
}
