// The Keystone v3 subset under /v3: version document, password (and token) authentication returning
// X-Subject-Token with a catalog whose `network` endpoint is this server, token validation and revocation, and
// domains/projects/users/roles/assignments that an admin manages. Errors use Keystone's {"error": ...} shape.
import { ApiError } from '../../model/errors.js'
import { TABLES } from '../../model/tables.js'
import { type AuthOptions, tokenContext, validToken } from '../auth.js'
import type { RequestContext } from '../context.js'
import type { Row } from '../db.js'
import { type ApiRequest, type Reply, header, json, noContent } from '../http.js'
import { type Assignment, type Domain, type Identity, type Project, type Role, type User, assignmentId, newKeystoneId } from './identity.js'
import { hashPassword } from './passwords.js'
import type { Revocations } from './revocations.js'
import { TOKEN_LIFETIME_S, type TokenPayload, issueToken } from './tokens.js'

const iso = (s: number): string => new Date(s * 1000).toISOString().replace(/Z$/, '000Z')

function versionDoc(base: string): Record<string, unknown> {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${base}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  }
}

function catalog(base: string): unknown[] {
  const endpoints = (svc: string, url: string): unknown[] =>
    ['public', 'internal', 'admin'].map(i => ({ id: `${svc}-${i}`, interface: i, region: 'RegionOne', region_id: 'RegionOne', url }))
  return [
    { id: 'identity', type: 'identity', name: 'keystone', endpoints: endpoints('identity', `${base}/v3`) },
    { id: 'network', type: 'network', name: 'neutron', endpoints: endpoints('network', base) },
  ]
}

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {})
/** An optional string attribute of a request body: absent or null gives the default, another type is a 400. */
const text = (b: Obj, field: string, missing: string): string => {
  const v = b[field]
  if (v === undefined || v === null) return missing
  if (typeof v !== 'string')
    throw new ApiError('HTTPBadRequest', { detail: `Invalid input for field '${field}': ${JSON.stringify(v)} is not of type 'string'` })
  return v
}

export class KeystoneApi {
  constructor(
    private readonly identity: Identity,
    private readonly auth: AuthOptions,
    private readonly revocations: Revocations,
  ) {}

  private get db() {
    return this.identity.db
  }

  async handle(req: ApiRequest): Promise<Reply> {
    const [, resource, id, sub, subId, sub2, sub2Id] = req.segments
    const m = req.method
    if (resource === undefined) return json(200, { version: versionDoc(req.baseUrl) })
    if (resource === 'auth' && id === 'tokens') {
      if (m === 'POST') return this.issue(req)
      if (m === 'GET' || m === 'HEAD') return this.validate(req)
      if (m === 'DELETE') return this.revoke(req)
    }
    if (resource === 'auth' && id === 'projects' && m === 'GET') return this.authProjects(req)
    const ctx = tokenContext(req, this.auth)
    if (!ctx) throw new ApiError('Unauthorized')
    if (resource === 'projects' && sub === 'users' && sub2 === 'roles' && id && subId) {
      this.requireAdmin(ctx)
      return this.assignment(m, { project_id: id, user_id: subId, role_id: sub2Id ?? '' })
    }
    const table = (
      {
        domains: TABLES.keystoneDomains,
        projects: TABLES.keystoneProjects,
        users: TABLES.keystoneUsers,
        roles: TABLES.keystoneRoles,
      } as Record<string, string>
    )[resource]
    if (!table || sub !== undefined) throw new ApiError('HTTPNotFound')
    const member = resource.slice(0, -1)
    if (m === 'GET' && id === undefined) {
      let rows = await this.db.list<Obj>(table)
      if (!ctx.isAdmin)
        rows = rows.filter(r =>
          resource === 'projects' ? r.id === ctx.projectId : resource === 'users' ? r.id === ctx.userId : resource === 'roles',
        )
      for (const [k, v] of req.params) rows = rows.filter(r => String(r.value[k]) === v)
      return json(200, {
        [resource]: rows.map(r => this.render(req, resource, r)),
        links: { self: `${req.baseUrl}/v3/${resource}`, next: null, previous: null },
      })
    }
    if (m === 'GET' && id) {
      const row = await this.db.get<Obj>(table, id)
      if (!row || (!ctx.isAdmin && row.id !== ctx.projectId && row.id !== ctx.userId)) throw this.notFound(member, id)
      return json(200, { [member]: this.render(req, resource, row) })
    }
    this.requireAdmin(ctx)
    if (m === 'POST' && id === undefined) return this.create(req, resource, table)
    if (m === 'PATCH' && id) {
      const body = obj(obj(req.body)[member])
      const patch: Obj = {}
      for (const [k, v] of Object.entries(body)) {
        if (k === 'id' || k === 'domain_id') continue
        if (k === 'password') patch.password_hash = await hashPassword(String(v))
        else patch[k] = v
      }
      const row = await this.db.mutate<Obj>(
        table,
        id,
        cur => ({ ...cur.value, ...patch }),
        () => this.notFound(member, id),
      )
      // a disabled user or a changed password ends the sessions opened before (Keystone does the same)
      if (resource === 'users' && (patch.enabled === false || patch.password_hash !== undefined)) await this.revocations.revokeUser(id)
      return json(200, { [member]: this.render(req, resource, row) })
    }
    if (m === 'DELETE' && id) {
      if (!(await this.db.get(table, id))) throw this.notFound(member, id)
      if (resource === 'domains' && id === 'default') throw new ApiError('Keystone409', { detail: 'The default domain cannot be deleted' })
      const related = (await this.db.list<Assignment>(TABLES.keystoneAssignments)).filter(
        a => a.value.project_id === id || a.value.user_id === id || a.value.role_id === id,
      )
      await this.db.transact([
        ...related.map(a => ({ op: 'delete' as const, table: TABLES.keystoneAssignments, id: a.id })),
        { op: 'delete', table, id },
      ])
      // tokens carry their user's roles: the users who lost an assignment (or were deleted) get new tokens
      for (const user of new Set(related.map(a => a.value.user_id))) await this.revocations.revokeUser(user)
      if (resource === 'users') await this.revocations.revokeUser(id)
      return noContent
    }
    throw new ApiError('HTTPMethodNotAllowed', { method: m })
  }

  private requireAdmin(ctx: RequestContext): void {
    if (!ctx.isAdmin) throw new ApiError('PolicyNotAuthorized', { action: 'identity:admin_required' })
  }

  private notFound(member: string, id: string): ApiError {
    return new ApiError('HTTPNotFound', { detail: `Could not find ${member}: ${id}.` })
  }

  private render(req: ApiRequest, resource: string, row: Row<Obj>): Obj {
    const { password_hash: _h, ...rest } = row.value
    const extra: Obj =
      resource === 'projects'
        ? { is_domain: false, parent_id: rest.domain_id, tags: [] }
        : resource === 'users'
          ? { password_expires_at: null }
          : {}
    return { ...rest, ...extra, links: { self: `${req.baseUrl}/v3/${resource}/${row.id}` } }
  }

  private async create(req: ApiRequest, resource: string, table: string): Promise<Reply> {
    const member = resource.slice(0, -1)
    const b = obj(obj(req.body)[member])
    const name = b.name
    if (typeof name !== 'string' || !name)
      throw new ApiError('HTTPBadRequest', { detail: `Invalid input for field 'name': a ${member} needs a name` })
    const domainId = resource === 'domains' || resource === 'roles' ? undefined : text(b, 'domain_id', 'default')
    if (domainId && !(await this.db.get<Domain>(TABLES.keystoneDomains, domainId)))
      throw new ApiError('HTTPBadRequest', { detail: `Could not find domain: ${domainId}.` })
    if (await this.identity.findByName(table, name, domainId)) {
      throw new ApiError('Keystone409', {
        detail: `Conflict occurred attempting to store ${member} - Duplicate entry found with name ${name}${domainId ? ` at domain ID ${domainId}` : ''}.`,
      })
    }
    const id = resource === 'domains' && typeof b.id === 'string' ? b.id : newKeystoneId()
    let value: Obj
    if (resource === 'domains') value = { id, name, description: text(b, 'description', ''), enabled: b.enabled !== false } satisfies Domain
    else if (resource === 'projects')
      value = {
        id,
        name,
        domain_id: domainId as string,
        description: text(b, 'description', ''),
        enabled: b.enabled !== false,
      } satisfies Project
    else if (resource === 'roles') value = { id, name, domain_id: null } satisfies Role
    else {
      value = {
        id,
        name,
        domain_id: domainId as string,
        enabled: b.enabled !== false,
        description: text(b, 'description', ''),
        default_project_id: typeof b.default_project_id === 'string' ? b.default_project_id : null,
        password_hash: await hashPassword(typeof b.password === 'string' ? b.password : newKeystoneId()),
      } satisfies User
    }
    const row = await this.db.create<Obj>(table, id, value, ['keystone'])
    return json(201, { [member]: this.render(req, resource, row) })
  }

  private async assignment(method: string, a: Assignment): Promise<Reply> {
    if (method === 'GET' && !a.role_id) {
      const roles = await this.identity.rolesOn(a.user_id, a.project_id)
      return json(200, { roles: roles.map(r => r.value) })
    }
    if (!(await this.db.get(TABLES.keystoneProjects, a.project_id))) throw this.notFound('project', a.project_id)
    if (!(await this.db.get(TABLES.keystoneUsers, a.user_id))) throw this.notFound('user', a.user_id)
    if (!(await this.db.get(TABLES.keystoneRoles, a.role_id))) throw this.notFound('role', a.role_id)
    if (method === 'PUT') {
      await this.identity.assign(a)
      return noContent
    }
    const id = assignmentId(a)
    if (method === 'HEAD' || method === 'GET') {
      if (!(await this.db.get(TABLES.keystoneAssignments, id))) throw this.notFound('role assignment', id)
      return noContent
    }
    if (method === 'DELETE') {
      if (!(await this.db.get(TABLES.keystoneAssignments, id))) throw this.notFound('role assignment', id)
      await this.db.transact([{ op: 'delete', table: TABLES.keystoneAssignments, id }])
      await this.revocations.revokeUser(a.user_id) // its tokens still carry the removed role
      return noContent
    }
    throw new ApiError('HTTPMethodNotAllowed', { method })
  }

  /** POST /v3/auth/tokens: password or token method, scoped to a project (or the user's default project). */
  private async issue(req: ApiRequest): Promise<Reply> {
    const auth = obj(obj(req.body).auth)
    const ident = obj(auth.identity)
    const methods = Array.isArray(ident.methods) ? (ident.methods as unknown[]).map(String) : []
    let user: Row<User> | undefined
    if (methods.includes('password')) {
      const u = obj(obj(ident.password).user)
      if (typeof u.password !== 'string') throw new ApiError('Unauthorized')
      user = await this.identity.checkPassword(u, u.password)
    } else if (methods.includes('token')) {
      const p = validToken(this.auth, text(obj(ident.token), 'id', ''))
      user = p ? await this.db.get<User>(TABLES.keystoneUsers, p.u) : undefined
      if (!user || !user.value.enabled) throw new ApiError('Unauthorized')
    } else {
      throw new ApiError('HTTPBadRequest', { detail: 'Expecting to find identity methods password or token in auth.' })
    }
    const scope = obj(auth.scope)
    let project: Row<Project> | undefined
    if (scope.project) project = await this.identity.resolve<Project>(TABLES.keystoneProjects, obj(scope.project))
    else if (user.value.default_project_id) project = await this.db.get<Project>(TABLES.keystoneProjects, user.value.default_project_id)
    if (scope.project && !project) throw new ApiError('Unauthorized')
    const roles = project ? await this.identity.rolesOn(user.id, project.id) : []
    if (scope.project && !roles.length) throw new ApiError('Unauthorized')
    // millisecond precision: a user revocation (revocations.ts) must not catch a token issued just after it
    const issued = Date.now() / 1000
    const payload: TokenPayload = {
      u: user.id,
      p: project?.id ?? '',
      r: roles.map(r => r.value.name),
      i: issued,
      e: issued + TOKEN_LIFETIME_S,
      m: methods,
    }
    const token = issueToken(this.auth.secret, payload)
    return json(201, { token: await this.tokenBody(req, payload) }, { 'X-Subject-Token': token })
  }

  private async tokenBody(req: ApiRequest, p: TokenPayload): Promise<Obj> {
    const user = await this.db.get<User>(TABLES.keystoneUsers, p.u)
    const project = p.p ? await this.db.get<Project>(TABLES.keystoneProjects, p.p) : undefined
    const domainRef = async (id: string): Promise<Obj> => ({
      id,
      name: (await this.db.get<Domain>(TABLES.keystoneDomains, id))?.value.name ?? id,
    })
    const roles = project ? await this.identity.rolesOn(p.u, p.p) : []
    const body: Obj = {
      methods: p.m,
      expires_at: iso(p.e),
      issued_at: iso(p.i),
      audit_ids: [newKeystoneId().slice(0, 22)],
      user: {
        id: p.u,
        name: user?.value.name ?? 'admin',
        domain: await domainRef(user?.value.domain_id ?? 'default'),
        password_expires_at: null,
      },
    }
    if (project) {
      body.project = { id: project.id, name: project.value.name, domain: await domainRef(project.value.domain_id) }
      body.roles = roles.map(r => ({ id: r.id, name: r.value.name }))
      body.catalog = catalog(req.baseUrl)
      body.is_domain = false
    }
    return body
  }

  private async validate(req: ApiRequest): Promise<Reply> {
    if (!tokenContext(req, this.auth)) throw new ApiError('Unauthorized')
    const subject = header(req, 'x-subject-token') ?? ''
    const p = validToken(this.auth, subject)
    if (!p) throw new ApiError('HTTPNotFound', { detail: 'Could not find token.' })
    return json(200, { token: await this.tokenBody(req, p) }, { 'X-Subject-Token': subject })
  }

  /** DELETE /v3/auth/tokens: an admin revokes any token, a user its own (Keystone's identity:revoke_token). */
  private async revoke(req: ApiRequest): Promise<Reply> {
    const ctx = tokenContext(req, this.auth)
    if (!ctx) throw new ApiError('Unauthorized')
    const subject = header(req, 'x-subject-token') ?? ''
    const p = validToken(this.auth, subject)
    if (!p) throw new ApiError('HTTPNotFound', { detail: 'Could not find token.' })
    if (!ctx.isAdmin && ctx.userId !== p.u) throw new ApiError('PolicyNotAuthorized', { action: 'identity:revoke_token' })
    await this.revocations.revokeToken(subject, p)
    return noContent
  }

  private async authProjects(req: ApiRequest): Promise<Reply> {
    const ctx = tokenContext(req, this.auth)
    if (!ctx) throw new ApiError('Unauthorized')
    const mine = (await this.db.list<Assignment>(TABLES.keystoneAssignments))
      .filter(a => a.value.user_id === ctx.userId)
      .map(a => a.value.project_id)
    const projects = (await this.db.list<Project>(TABLES.keystoneProjects)).filter(p => mine.includes(p.id) || ctx.isAdmin)
    return json(200, {
      projects: projects.map(p => this.render(req, 'projects', p as unknown as Row<Obj>)),
      links: { self: `${req.baseUrl}/v3/auth/projects`, next: null, previous: null },
    })
  }
}
