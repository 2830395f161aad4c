// An RFC 7047 client: JSON-RPC 1.0 over a unix or TCP stream, with the methods list_dbs, get_schema, transact,
// monitor, monitor_cond, monitor_cancel and echo. It answers the server's `echo` (OVS drops a client that stays
// silent to its probes), and when the connection drops it reconnects with exponential backoff and re-issues
// its monitors: the replies carry the whole current contents, which subscribers treat as a resync.
//
// Events: 'connect' (each time a session is up), 'disconnect' (reason), 'bad-message' (OvsdbError).
// Requests made while disconnected reject with OVSDB_NOT_CONNECTED; a transaction is never replayed (it may
// not be idempotent): the caller decides.
import { EventEmitter } from 'node:events'
import { createConnection, type Socket } from 'node:net'
import { JsonFramer } from './framer.js'
import { OvsdbError, type OvsdbErrorCode } from './errors.js'
import type { Row } from './data.js'
import type { Operation, OperationResult } from './operations.js'
import { getLogger, type Logger } from '../../log/logger.js'

export interface OvsdbClientOptions {
  /** 'unix:/path' or 'tcp:host:port' */
  target: string
  /** first reconnect delay; doubles up to maxBackoffMs (defaults 100 and 8000 ms, like OVS's own clients) */
  minBackoffMs?: number
  maxBackoffMs?: number
  requestTimeoutMs?: number
  /**
   * Probe a silent server with `echo` after this long and drop the session when the probe goes unanswered
   * for as long again (0 = never). Default as OVS does: 5000 ms on TCP, 0 on unix sockets.
   */
  probeIntervalMs?: number
  /** default: the process logger, component ovsdb */
  log?: Logger
}

/** <table-updates> of `monitor` (RFC 7047 4.1.6): table -> uuid -> { old?, new? } */
export type TableUpdates = Record<string, Record<string, { old?: Row; new?: Row }>>
/** <table-updates2> of `monitor_cond` (OVSDB extension: initial/insert/modify/delete) */
export type TableUpdates2 = Record<string, Record<string, { initial?: Row; insert?: Row; modify?: Row; delete?: null }>>

export interface MonitorRequest {
  columns?: string[]
  select?: { initial?: boolean; insert?: boolean; delete?: boolean; modify?: boolean }
}
export interface MonitorCondRequest extends MonitorRequest {
  where?: unknown[]
}

/** Called with the initial contents (initial = true, after every (re)connect) and with each update. */
export type MonitorHandler = (updates: TableUpdates, initial: boolean) => void
export type MonitorCondHandler = (updates: TableUpdates2, initial: boolean) => void

interface Monitor {
  method: 'monitor' | 'monitor_cond'
  db: string
  requests: Record<string, MonitorRequest | MonitorCondRequest>
  handler: (updates: Record<string, Record<string, Record<string, Row | null>>>, initial: boolean) => void
}

interface Pending {
  resolve: (v: unknown) => void
  reject: (e: Error) => void
  timer: NodeJS.Timeout
  method: string
}

interface JsonRpcMessage {
  method?: string
  params?: unknown[]
  result?: unknown
  error?: unknown
  id?: unknown
}

export interface OvsdbStats {
  reconnects: number
  badMessages: number
  echoesAnswered: number
  badByCode: Map<OvsdbErrorCode, number>
}

export class OvsdbClient extends EventEmitter {
  readonly stats: OvsdbStats = { reconnects: 0, badMessages: 0, echoesAnswered: 0, badByCode: new Map() }
  private socket: Socket | undefined
  private connected = false
  private closing = false
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private readonly monitors = new Map<string, Monitor>()
  private backoff: number
  private reconnectTimer: NodeJS.Timeout | undefined
  private readonly opts: Required<OvsdbClientOptions>
  private firstConnect: { resolve: () => void; reject: (e: Error) => void } | undefined
  private probeTimer: NodeJS.Timeout | undefined
  private lastRx = 0
  private probing = false

  constructor(opts: OvsdbClientOptions) {
    super()
    this.opts = {
      target: opts.target,
      minBackoffMs: opts.minBackoffMs ?? 100,
      maxBackoffMs: opts.maxBackoffMs ?? 8000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 30_000,
      probeIntervalMs: opts.probeIntervalMs ?? (opts.target.startsWith('tcp:') ? 5000 : 0),
      log: (opts.log ?? getLogger('ovsdb')).child({ component: 'ovsdb' }),
    }
    this.backoff = this.opts.minBackoffMs
  }

  get isConnected(): boolean {
    return this.connected
  }

  /**
   * Connect; resolves on the first session (retrying with backoff while the server is not there). With
   * timeoutMs it rejects with OVSDB_TIMEOUT after that long, and keeps trying: watch 'connect'. Later drops
   * are repaired in the background.
   */
  async connect(opts: { timeoutMs?: number } = {}): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    try {
      await new Promise<void>((resolve, reject) => {
        this.firstConnect = { resolve, reject }
        if (opts.timeoutMs !== undefined) {
          timer = setTimeout(() => {
            this.firstConnect = undefined
            reject(new OvsdbError('OVSDB_TIMEOUT', `no session with ${this.opts.target} in ${opts.timeoutMs} ms`))
          }, opts.timeoutMs)
        }
        this.dial()
      })
    } finally {
      clearTimeout(timer)
    }
  }

  private dial(): void {
    this.reconnectTimer = undefined
    if (this.closing) return
    const t = this.opts.target
    let socket: Socket
    if (t.startsWith('unix:')) socket = createConnection(t.slice(5))
    else if (t.startsWith('tcp:')) {
      const i = t.lastIndexOf(':')
      socket = createConnection(Number(t.slice(i + 1)), t.slice(4, i))
    } else {
      const err = new OvsdbError('OVSDB_BAD_VALUE', `unsupported target ${t}`)
      this.firstConnect?.reject(err)
      return
    }
    this.socket = socket
    const framer = new JsonFramer()
    socket.on('connect', () => {
      void this.onConnect()
    })
    socket.on('data', (chunk: Buffer) => {
      this.lastRx = Date.now()
      let texts: string[]
      try {
        texts = framer.push(chunk)
      } catch (err) {
        this.bad(err as OvsdbError)
        socket.destroy()
        return
      }
      for (const text of texts) this.onText(text)
    })
    socket.on('error', () => {
      /* 'close' follows and handles it */
    })
    socket.on('close', () => {
      this.onClose(socket)
    })
  }

  private async onConnect(): Promise<void> {
    this.connected = true
    this.backoff = this.opts.minBackoffMs
    this.lastRx = Date.now()
    const every = this.opts.probeIntervalMs
    if (every > 0)
      this.probeTimer = setInterval(
        () => {
          void this.probe()
        },
        Math.max(50, Math.floor(every / 2)),
      )
    try {
      for (const [id, m] of this.monitors) await this.startMonitor(id, m)
    } catch (err) {
      this.opts.log.warn(`re-issuing monitors failed: ${(err as Error).message}`)
      this.socket?.destroy()
      return
    }
    const first = this.firstConnect
    this.firstConnect = undefined
    first?.resolve()
    this.emit('connect')
  }

  /** RFC 7047 4.1.11: echo is also how a client checks that the server is alive. */
  private async probe(): Promise<void> {
    const every = this.opts.probeIntervalMs
    if (this.probing || !this.connected || Date.now() - this.lastRx < every) return
    this.probing = true
    const socket = this.socket
    try {
      await this.request('echo', ['probe'], every)
    } catch (err) {
      if (socket === this.socket && (err as OvsdbError).code === 'OVSDB_TIMEOUT') {
        this.opts.log.warn(`${this.opts.target} did not answer a probe in ${every} ms; reconnecting`)
        socket?.destroy()
      }
    } finally {
      this.probing = false
    }
  }

  private onClose(socket: Socket): void {
    if (socket !== this.socket) return
    clearInterval(this.probeTimer)
    this.probeTimer = undefined
    const was = this.connected
    this.connected = false
    this.socket = undefined
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer)
      this.pending.delete(id)
      p.reject(new OvsdbError('OVSDB_CLOSED', `connection lost during ${p.method}`))
    }
    if (was) this.emit('disconnect', 'connection closed')
    if (this.closing) return
    this.stats.reconnects++
    const delay = this.backoff
    this.backoff = Math.min(this.backoff * 2, this.opts.maxBackoffMs)
    this.reconnectTimer = setTimeout(() => {
      this.dial()
    }, delay)
  }

  private bad(err: OvsdbError): void {
    this.stats.badMessages++
    const n = (this.stats.badByCode.get(err.code) ?? 0) + 1
    this.stats.badByCode.set(err.code, n)
    if (n === 1) this.opts.log.warn(`${err.message}; further ${err.code} are counted only`)
    this.emit('bad-message', err)
  }

  private onText(text: string): void {
    let msg: JsonRpcMessage
    try {
      const parsed: unknown = JSON.parse(text)
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object')
      msg = parsed
    } catch (err) {
      this.bad(new OvsdbError('OVSDB_BAD_JSON', `${(err as Error).message}: ${text.slice(0, 80)}`))
      return
    }
    if (typeof msg.method === 'string') {
      this.onRequest(msg)
      return
    }
    const id = typeof msg.id === 'number' ? msg.id : -1
    const p = this.pending.get(id)
    if (p === undefined) {
      this.bad(new OvsdbError('OVSDB_BAD_JSON', `a reply to no request (id ${JSON.stringify(msg.id)})`))
      return
    }
    clearTimeout(p.timer)
    this.pending.delete(id)
    if (msg.error !== null && msg.error !== undefined) {
      p.reject(new OvsdbError('OVSDB_RPC_ERROR', `${p.method}: ${JSON.stringify(msg.error)}`, msg.error))
    } else {
      p.resolve(msg.result)
    }
  }

  private onRequest(msg: JsonRpcMessage): void {
    const params = Array.isArray(msg.params) ? msg.params : []
    switch (msg.method) {
      case 'echo': // 4.1.11: reply with the same params
        this.write({ result: params, error: null, id: msg.id ?? null })
        this.stats.echoesAnswered++
        return
      case 'update':
      case 'update2': {
        const [monId, updates] = params as [unknown, Record<string, Record<string, Record<string, Row | null>>>]
        const m = this.monitors.get(JSON.stringify(monId))
        if (m === undefined || typeof updates !== 'object' || updates === null) return
        this.deliver(m, updates, false)
        return
      }
      default:
        if (msg.id !== null && msg.id !== undefined) {
          this.write({ result: null, error: { error: 'unknown method', details: String(msg.method) }, id: msg.id })
        }
    }
  }

  private deliver(m: Monitor, updates: Record<string, Record<string, Record<string, Row | null>>>, initial: boolean): void {
    try {
      m.handler(updates, initial)
    } catch (err) {
      // a subscriber's bug must not take the session down; report it once per code
      this.bad(new OvsdbError('OVSDB_BAD_VALUE', `monitor handler failed: ${(err as Error).message}`))
    }
  }

  private write(obj: unknown): void {
    this.socket?.write(JSON.stringify(obj))
  }

  /** One JSON-RPC request; rejects with OVSDB_RPC_ERROR, OVSDB_CLOSED, OVSDB_NOT_CONNECTED or OVSDB_TIMEOUT. */
  async request(method: string, params: unknown[], timeoutMs = this.opts.requestTimeoutMs): Promise<unknown> {
    if (!this.connected || this.socket === undefined) throw new OvsdbError('OVSDB_NOT_CONNECTED', method)
    const id = this.nextId++
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new OvsdbError('OVSDB_TIMEOUT', `${method} got no reply in ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(id, { resolve, reject, timer, method })
      this.write({ method, params, id })
    })
  }

  async listDbs(): Promise<string[]> {
    return (await this.request('list_dbs', [])) as string[]
  }

  async getSchema(db: string): Promise<{ name: string; version: string; tables: Record<string, unknown> }> {
    return (await this.request('get_schema', [db])) as { name: string; version: string; tables: Record<string, unknown> }
  }

  async echo(): Promise<void> {
    await this.request('echo', ['ping'])
  }

  /**
   * transact (4.1.3): all operations or none. Per-operation errors (and a commit error, which OVS reports as one
   * extra result) reject with OVSDB_TXN_ERROR naming the failing operation.
   */
  async transact(db: string, ops: Operation[]): Promise<OperationResult[]> {
    const results = (await this.request('transact', [db, ...ops])) as Array<(OperationResult & { error?: string; details?: string }) | null>
    results.forEach((r, i) => {
      if (r !== null && typeof r.error === 'string') {
        const op = ops[i]
        const what = op === undefined ? 'commit' : `operation ${i} (${op.op}${'table' in op ? ` ${op.table}` : ''})`
        throw new OvsdbError('OVSDB_TXN_ERROR', `${what}: ${r.error}${r.details !== undefined ? `: ${r.details}` : ''}`, { index: i, ...r })
      }
    })
    return results.map(r => r ?? {})
  }

  /** monitor (4.1.5): the handler gets the contents now and after every reconnect (initial = true), then updates. */
  async monitor(db: string, requests: Record<string, MonitorRequest>, handler: MonitorHandler): Promise<string> {
    return await this.addMonitor({ method: 'monitor', db, requests, handler })
  }

  /** monitor_cond (OVSDB extension): like monitor with `where` conditions per table and table-updates2 */
  async monitorCond(db: string, requests: Record<string, MonitorCondRequest>, handler: MonitorCondHandler): Promise<string> {
    return await this.addMonitor({ method: 'monitor_cond', db, requests, handler })
  }

  private async addMonitor(m: Monitor): Promise<string> {
    const id = `mon${this.nextId++}`
    this.monitors.set(JSON.stringify(id), m)
    try {
      await this.startMonitor(JSON.stringify(id), m)
    } catch (err) {
      this.monitors.delete(JSON.stringify(id))
      throw err
    }
    return id
  }

  private async startMonitor(key: string, m: Monitor): Promise<void> {
    const initial = await this.request(m.method, [m.db, JSON.parse(key), m.requests])
    this.deliver(m, (initial ?? {}) as Record<string, Record<string, Record<string, Row | null>>>, true)
  }

  /** monitor_cancel (4.1.7) */
  async cancel(monitorId: string): Promise<void> {
    const key = JSON.stringify(monitorId)
    if (!this.monitors.delete(key)) return
    if (this.connected) await this.request('monitor_cancel', [monitorId])
  }

  /** Stop: no reconnects, pending requests reject with OVSDB_CLOSED. */
  async close(): Promise<void> {
    this.closing = true
    clearInterval(this.probeTimer)
    this.probeTimer = undefined
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer)
    this.reconnectTimer = undefined
    this.firstConnect?.reject(new OvsdbError('OVSDB_CLOSED', 'closed before connecting'))
    this.firstConnect = undefined
    const s = this.socket
    if (s !== undefined) {
      const closed = new Promise<void>(resolve =>
        s.once('close', () => {
          resolve()
        }),
      )
      s.destroy()
      await closed
    }
  }
}
