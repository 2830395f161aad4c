// A request's credentials for the policy engine. Keystone puts implied roles into tokens (its default
// hierarchy, keystone/identity.ts IMPLIED_ROLES: admin implies manager, manager implies member, member implies
// reader), and Neutron's rules rely on it ("role:reader" matches a member): our tokens and X-Roles carry only
// the roles assigned, so the implications are applied here, once.
import type { RequestContext } from '../context.js'
import { IMPLIED_ROLES } from '../keystone/identity.js'
import type { Credentials } from './engine.js'

export function expandRoles(roles: readonly string[]): Set<string> {
  const out = new Set<string>()
  const add = (r: string): void => {
    const role = r.toLowerCase()
    if (out.has(role)) return
    out.add(role)
    for (const implied of IMPLIED_ROLES[role] ?? []) add(implied)
  }
  roles.forEach(add)
  return out
}

export function credentialsOf(ctx: RequestContext): Credentials {
  return { projectId: ctx.projectId, userId: ctx.userId, roles: expandRoles(ctx.roles) }
}
