// The API server over node:http: parses each request, authenticates it, dispatches to Keystone (/v3) or
// Neutron (/, /v2.0), renders errors in each API's shape, and logs one line per request. Bad input of any kind
// ends as a 4xx answer; an unexpected exception is a logged 500, never a crash.
import { randomUUID } from 'node:crypto'
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ApiError, cutLong } from '../model/errors.js'
import { StoreError, type Store } from '../store/types.js'
import { type AuthMode, type AuthOptions, authenticate } from './auth.js'
import { Db, mapStoreError } from './db.js'
import type { ApiRequest, Reply } from './http.js'
import { KeystoneApi } from './keystone/api.js'
import { Identity } from './keystone/identity.js'
import { Revocations } from './keystone/revocations.js'
import { tokenSecret } from './keystone/tokens.js'
import { Neutron } from './neutron.js'
import type { Policy } from './policy/engine.js'
import { backfillSecurityGroupKeys } from './resources/security-groups.js'
import { routeNeutron, versions } from './routes.js'
import { getLogger, type Logger } from '../log/logger.js'
import { metricsText } from '../metrics/registry.js'

const MAX_BODY = 4 * 1024 * 1024

export interface ApiServerOptions {
  store: Store
  host?: string
  port?: number
  auth: AuthMode
  adminToken?: string | undefined
  /** Creates (or resets the password of) the Keystone user `admin` on project `admin`. */
  adminPassword?: string | undefined
  /** The access rules of this server (loaded from --policy-file by the caller); Neutron's defaults without. */
  policy?: Policy | undefined
  /** Neutron's agent_down_time in ms (default 30 s: three of the agents' default 10 s heartbeats) */
  agentDownMs?: number | undefined
  /** default: the process logger (component api) */
  log?: Logger
}

export interface ApiServer {
  readonly port: number
  readonly url: string
  close(): Promise<void>
}

/** A body over MAX_BODY: 413 (Content-Length says so before a byte is read, or the stream passes it). The rest
 * of the body is drained unread and the connection closed after the answer, so the client gets it. */
class BodyTooLarge extends ApiError {
  constructor() {
    super('HTTPRequestEntityTooLarge', { limit: MAX_BODY })
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > MAX_BODY) {
      req.resume()
      reject(new BodyTooLarge())
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) {
        req.removeAllListeners('data')
        req.resume()
        reject(new BodyTooLarge())
        return
      }
      chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

/** No Neutron or Keystone body nests past a handful of levels. Deeper input (`[[[[...]]]]`: 40 kB make 10 000
 * levels) would overflow the stack of each recursive walk after the parse (validation, error messages, the
 * comparison with defaults) and end as a 500, so it is refused here, by a scan that does not recurse. */
const MAX_BODY_DEPTH = 32

function nestingDepth(text: string): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // a backslash: the next character is escaped
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth)
    else if (c === 0x5d || c === 0x7d) depth--
  }
  return max
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new ApiError('HTTPBadRequest', { detail: 'Malformed request body' })
  }
  if (nestingDepth(text) > MAX_BODY_DEPTH)
    throw new ApiError('HTTPBadRequest', { detail: `Malformed request body: nested deeper than ${MAX_BODY_DEPTH} levels` })
  return body
}

function toApiError(err: unknown, log: Logger): ApiError {
  const mapped = mapStoreError(err)
  if (mapped instanceof ApiError) return mapped
  if (mapped instanceof StoreError && mapped.code === 'invalid') {
    log.warn(`store refused a transaction: ${mapped.message}`)
    return new ApiError('InternalError')
  }
  log.error(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
  return new ApiError('InternalError')
}

function neutronError(e: ApiError): Reply {
  return { status: e.status, body: { NeutronError: { type: e.type, message: e.message, detail: '' } } }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

function keystoneError(e: ApiError): Reply {
  const detail = e.params.detail
  const message = typeof detail === 'string' && e.type !== 'InvalidInput' ? cutLong(detail) : e.message
  const headers: Record<string, string> | undefined = e.status === 401 ? { 'WWW-Authenticate': 'Keystone uri="/v3"' } : undefined
  return { status: e.status, body: { error: { code: e.status, message, title: TITLES[e.status] ?? 'Error' } }, headers }
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const log = (opts.log ?? getLogger('api')).child({ component: 'api' })
  const db = new Db(opts.store)
  const identity = new Identity(db)
  const { adminProjectId, adminUser } = await identity.bootstrap({ adminPassword: opts.adminPassword })
  // a Keystone API nobody can log in to is no use: the first start on a store must make its admin
  if (opts.auth === 'keystone' && !adminUser && opts.adminToken === undefined) {
    throw new Error(
      '--auth keystone: this store has no admin user yet: give --admin-password PASSWORD once ' +
        '(or $DRAGONFLOW_ADMIN_PASSWORD, or the config file) to create it, or --admin-token TOKEN',
    )
  }
  const revocations = await Revocations.open(db)
  const authOpts: AuthOptions = {
    mode: opts.auth,
    adminToken: opts.adminToken,
    adminProjectId: adminProjectId ?? 'admin',
    secret: await tokenSecret(db),
    revocations,
  }
  const nb = new Neutron(opts.store, { policy: opts.policy, agentDownMs: opts.agentDownMs })
  const keyed = await backfillSecurityGroupKeys(nb)
  if (keyed > 0) log.info(`gave datapath keys to ${keyed} security groups and rules stored without one`)
  const keystone = new KeystoneApi(identity, authOpts, revocations)

  async function dispatch(req: ApiRequest): Promise<Reply> {
    const first = req.segments[0]
    if (first === 'v3') return keystone.handle(req)
    if (first === undefined) {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new ApiError('HTTPMethodNotAllowed', { method: req.method })
      return versions(req.baseUrl)
    }
    if (first !== 'v2.0') throw new ApiError('HTTPNotFound')
    const ctx = authenticate(req, authOpts)
    return routeNeutron(nb, ctx, req)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint()
    const url = new URL(req.url ?? '/', 'http://localhost')
    const isKeystone = url.pathname.startsWith('/v3')
    // Prometheus scrapes without a token (as Neutron's own health endpoints): it shows counts, never objects
    if (url.pathname === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')) {
      const m = await metricsText()
      res.writeHead(200, { 'Content-Type': m.contentType, 'Content-Length': Buffer.byteLength(m.body) })
      res.end(req.method === 'HEAD' ? undefined : m.body)
      return
    }
    let reply: Reply
    try {
      let segments: string[]
      try {
        segments = url.pathname
          .split('/')
          .filter(Boolean)
          .map(s => decodeURIComponent(s))
      } catch {
        throw new ApiError('HTTPBadRequest', { detail: 'Malformed request URL' })
      }
      const text = ['POST', 'PUT', 'PATCH'].includes(req.method ?? '') ? await readBody(req) : ''
      reply = await dispatch({
        method: req.method ?? 'GET',
        segments,
        params: url.searchParams,
        body: parseJson(text),
        headers: req.headers,
        baseUrl: `http://${req.headers.host ?? 'localhost'}`,
      })
    } catch (err) {
      const e = toApiError(err, log)
      reply = isKeystone ? keystoneError(e) : neutronError(e)
    }
    const payload = reply.body === undefined || reply.status === 204 ? '' : JSON.stringify(reply.body)
    // Clients log this id with errors; it ties a client report to our log line.
    const requestId = `req-${randomUUID()}`
    const headers: Record<string, string | number> = {
      ...(reply.headers ?? {}),
      'Content-Length': Buffer.byteLength(payload),
      'X-Openstack-Request-Id': requestId,
    }
    if (reply.status === 413) headers.Connection = 'close' // the unread rest of the body is not another request
    if (payload) headers['Content-Type'] = 'application/json'
    res.writeHead(reply.status, headers)
    res.end(req.method === 'HEAD' ? undefined : payload)
    const ms = Number(process.hrtime.bigint() - started) / 1e6
    // the time stamp is the logger's; the request's own fields go along for a log collector to filter on
    log.info(`${requestId} ${req.method} ${url.pathname}${url.search} ${reply.status} ${ms.toFixed(1)}ms`, {
      requestId,
      method: req.method,
      path: url.pathname,
      status: reply.status,
      ms: Math.round(ms * 10) / 10,
    })
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(err => {
      log.warn(`response failed: ${err instanceof Error ? err.message : String(err)}`)
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })
  server.keepAliveTimeout = 5000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 9696, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  return {
    port,
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    close: async () => {
      await new Promise<void>(resolve => {
        // Stop accepting, let requests in flight finish, then drop idle keep-alive sockets.
        server.close(() => resolve())
        server.closeIdleConnections()
      })
      await revocations.close()
    },
  }
}
