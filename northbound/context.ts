// Who is asking: the project a request acts for and whether it has the admin role.
export interface RequestContext {
  projectId: string
  userId: string
  roles: string[]
  isAdmin: boolean
  requestId: string
}

/** Neutron's visibility rule for owned objects: admins see all, others their own project's. */
export function owns(ctx: RequestContext, obj: { project_id?: unknown }): boolean {
  return ctx.isAdmin || obj.project_id === ctx.projectId
}
