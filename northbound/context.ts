// Who is asking: the project a request acts for, its roles, and whether it is an admin (on Neutron's routes,
// the policy's context_is_admin rule: policy/access.ts policyContext). What it may do, the policy decides.
export interface RequestContext {
  projectId: string
  userId: string
  roles: string[]
  isAdmin: boolean
  requestId: string
}
