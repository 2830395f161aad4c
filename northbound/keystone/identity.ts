// The identity data of the Keystone subset, kept in the same store as the network model: domains, projects,
// users (with scrypt password hashes), roles and role assignments on projects.
import { randomUUID } from 'node:crypto'
import { ApiError } from '../../model/errors.js'
import { TABLES } from '../../model/tables.js'
import { type Db, type Row, isStoreError } from '../db.js'
import { hashPassword, verifyPassword } from './passwords.js'

export interface Domain {
  id: string
  name: string
  description: string
  enabled: boolean
}
export interface Project {
  id: string
  name: string
  domain_id: string
  description: string
  enabled: boolean
}
export interface User {
  id: string
  name: string
  domain_id: string
  enabled: boolean
  password_hash: string
  default_project_id: string | null
  description: string
}
export interface Role {
  id: string
  name: string
  domain_id: null
}
export interface Assignment {
  project_id: string
  user_id: string
  role_id: string
}

export const DEFAULT_DOMAIN: Domain = { id: 'default', name: 'Default', description: 'The default domain', enabled: true }
/** The roles `keystone-manage bootstrap` creates, in its order (keystone/cmd/bootstrap.py). */
export const BOOTSTRAP_ROLES = ['reader', 'member', 'manager', 'admin', 'service'] as const
/**
 * Keystone's default implied roles, made by the same bootstrap: admin > manager > member > reader (one step
 * each; admin no longer implies member directly). service implies nothing. Tokens carry the implied roles, so
 * policy checks read them expanded (policy/credentials.ts).
 */
export const IMPLIED_ROLES: Readonly<Record<string, readonly string[]>> = { admin: ['manager'], manager: ['member'], member: ['reader'] }

export function newKeystoneId(): string {
  return randomUUID().replace(/-/g, '')
}

export function assignmentId(a: Assignment): string {
  return `${a.project_id}_${a.user_id}_${a.role_id}`
}

export interface Ref {
  id?: string
  name?: string
  domain?: { id?: string; name?: string }
}

const unauthorized = (): ApiError => new ApiError('Unauthorized')

export class Identity {
  constructor(readonly db: Db) {}

  private async createIfMissing<T>(table: string, id: string, value: T): Promise<void> {
    if (await this.db.get(table, id)) return
    try {
      await this.db.create(table, id, value, ['keystone'])
    } catch (err) {
      if (!isStoreError(err, 'already_exists')) throw err
    }
  }

  /** The Default domain and the standard roles always exist; with a password, an admin user on an admin project. */
  async bootstrap(opts: { adminPassword?: string | undefined } = {}): Promise<{ adminProjectId?: string | undefined; adminUser: boolean }> {
    await this.createIfMissing(TABLES.keystoneDomains, DEFAULT_DOMAIN.id, DEFAULT_DOMAIN)
    for (const name of BOOTSTRAP_ROLES) {
      if (!(await this.findByName<Role>(TABLES.keystoneRoles, name))) {
        const role: Role = { id: newKeystoneId(), name, domain_id: null }
        await this.db.create(TABLES.keystoneRoles, role.id, role, ['keystone'])
      }
    }
    let project = await this.findByName<Project>(TABLES.keystoneProjects, 'admin', DEFAULT_DOMAIN.id)
    if (!opts.adminPassword) {
      const adminUser =
        project !== undefined && (await this.findByName<User>(TABLES.keystoneUsers, 'admin', DEFAULT_DOMAIN.id)) !== undefined
      return { adminProjectId: project?.id, adminUser }
    }
    if (!project) {
      const p: Project = {
        id: newKeystoneId(),
        name: 'admin',
        domain_id: DEFAULT_DOMAIN.id,
        description: 'Bootstrap project',
        enabled: true,
      }
      project = await this.db.create(TABLES.keystoneProjects, p.id, p, ['keystone'])
    }
    let user = await this.findByName<User>(TABLES.keystoneUsers, 'admin', DEFAULT_DOMAIN.id)
    const hash = await hashPassword(opts.adminPassword)
    if (!user) {
      const u: User = {
        id: newKeystoneId(),
        name: 'admin',
        domain_id: DEFAULT_DOMAIN.id,
        enabled: true,
        password_hash: hash,
        default_project_id: project.id,
        description: '',
      }
      user = await this.db.create(TABLES.keystoneUsers, u.id, u, ['keystone'])
    } else {
      await this.db.mutate<User>(TABLES.keystoneUsers, user.id, cur => ({ ...cur.value, password_hash: hash }), unauthorized)
    }
    const admin = await this.findByName<Role>(TABLES.keystoneRoles, 'admin')
    if (admin) await this.assign({ project_id: project.id, user_id: user.id, role_id: admin.id })
    return { adminProjectId: project.id, adminUser: true }
  }

  async findByName<T extends { name: string }>(table: string, name: string, domainId?: string): Promise<Row<T> | undefined> {
    const rows = await this.db.list<T & { domain_id?: string | null }>(table)
    return rows.find(r => r.value.name === name && (domainId === undefined || r.value.domain_id === domainId))
  }

  async domainOf(ref: { id?: string; name?: string } | undefined): Promise<Row<Domain> | undefined> {
    if (!ref) return undefined
    if (ref.id) return this.db.get<Domain>(TABLES.keystoneDomains, ref.id)
    if (ref.name) return this.findByName<Domain>(TABLES.keystoneDomains, ref.name)
    return undefined
  }

  async resolve<T extends { name: string }>(table: string, ref: Ref | undefined): Promise<Row<T> | undefined> {
    if (!ref) return undefined
    if (ref.id) return this.db.get<T>(table, ref.id)
    if (!ref.name) return undefined
    const domain = await this.domainOf(ref.domain)
    if (!domain) return undefined
    return this.findByName<T>(table, ref.name, domain.id)
  }

  async assign(a: Assignment): Promise<void> {
    await this.createIfMissing(TABLES.keystoneAssignments, assignmentId(a), a)
  }

  async rolesOn(userId: string, projectId: string): Promise<Row<Role>[]> {
    const all = await this.db.list<Assignment>(TABLES.keystoneAssignments)
    const ids = all.filter(a => a.value.user_id === userId && a.value.project_id === projectId).map(a => a.value.role_id)
    const out: Row<Role>[] = []
    for (const id of ids) {
      const r = await this.db.get<Role>(TABLES.keystoneRoles, id)
      if (r) out.push(r)
    }
    return out
  }

  /** Password check; a wrong password, unknown or disabled user is the same 401 (nothing revealed). */
  async checkPassword(ref: Ref, password: string): Promise<Row<User>> {
    const user = await this.resolve<User>(TABLES.keystoneUsers, ref)
    if (!user || !user.value.enabled || !(await verifyPassword(password, user.value.password_hash))) throw unauthorized()
    return user
  }
}
