// Turns a request's headers into a RequestContext. Modes: `none` (single node: admin unless the trusted
// X-Project-Id / X-Roles headers say otherwise, as behind an auth proxy) and `keystone` (X-Auth-Token must be
// a token we signed and nobody revoked, or the static admin token).
import { randomUUID } from 'node:crypto'
import { ApiError } from '../model/errors.js'
import type { RequestContext } from './context.js'
import { type ApiRequest, header } from './http.js'
import type { RevocationCheck } from './keystone/revocations.js'
import { type TokenPayload, verifyToken } from './keystone/tokens.js'

export type AuthMode = 'none' | 'keystone'

export interface AuthOptions {
  mode: AuthMode
  adminToken?: string | undefined
  /** Project of admin-token and no-auth requests. */
  adminProjectId: string
  secret: Buffer
  /** revoked tokens (keystone/revocations.ts); absent: nothing is revoked */
  revocations?: RevocationCheck
}

/** The payload of a token we signed that has neither expired nor been revoked. */
export function validToken(opts: AuthOptions, token: string): TokenPayload | undefined {
  const p = verifyToken(opts.secret, token)
  return p !== undefined && opts.revocations?.isRevoked(token, p) !== true ? p : undefined
}

function fromToken(p: TokenPayload): RequestContext {
  return { projectId: p.p, userId: p.u, roles: p.r, isAdmin: p.r.includes('admin'), requestId: `req-${randomUUID()}` }
}

/** The caller's context; 401 when keystone mode gets no valid token. */
export function authenticate(req: ApiRequest, opts: AuthOptions): RequestContext {
  const token = header(req, 'x-auth-token')
  if (opts.adminToken && token === opts.adminToken) {
    return { projectId: opts.adminProjectId, userId: 'admin', roles: ['admin'], isAdmin: true, requestId: `req-${randomUUID()}` }
  }
  if (opts.mode === 'none') {
    const project = header(req, 'x-project-id') ?? header(req, 'x-tenant-id')
    const roles = (header(req, 'x-roles') ?? '')
      .split(',')
      .map(r => r.trim())
      .filter(Boolean)
    if (!project)
      return { projectId: opts.adminProjectId, userId: 'admin', roles: ['admin'], isAdmin: true, requestId: `req-${randomUUID()}` }
    return {
      projectId: project,
      userId: header(req, 'x-user-id') ?? '',
      roles,
      isAdmin: roles.includes('admin'),
      requestId: `req-${randomUUID()}`,
    }
  }
  const payload = token ? validToken(opts, token) : undefined
  if (!payload || !payload.p) throw new ApiError('Unauthorized')
  return fromToken(payload)
}

/** For Keystone's own routes: the token's payload (admin token counts as admin), or undefined. */
export function tokenContext(req: ApiRequest, opts: AuthOptions): RequestContext | undefined {
  const token = header(req, 'x-auth-token')
  if (!token) return undefined
  if (opts.adminToken && token === opts.adminToken) return authenticate(req, opts)
  const p = validToken(opts, token)
  return p ? fromToken(p) : undefined
}
