// One OpenFlow 1.3 channel to a switch (6.3): version negotiation with HELLO, FEATURES, replies matched to
// requests by xid, multipart replies joined, echo answered and sent as a keepalive, bundles.
// A message that does not decode is counted and reported ('bad-message'); the channel goes on. Only a broken
// stream (a length that cannot be framed) or a silent peer closes it.
//
// Events: 'packet-in' (PacketIn), 'port-status' (PortStatus), 'message' (any other unsolicited message),
// 'error-reply' (OfpErrorReply not tied to a pending request), 'bad-message' (OfError), 'close' (reason),
// 'frame' (every received message's bytes, before decoding: for captures and golden tests).
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import { encodeMessage, decodeMessage } from './codec.js'
import { OfError, type OfErrorCode } from './errors.js'
import { OfpErrorReply } from './error-reply.js'
import { OfFramer } from './framer.js'
import { OFP_VERSION, OFPMPF_REPLY_MORE, ONF_BF_ATOMIC, ONF_BF_ORDERED } from './constants.js'
import type { FeaturesReply, MultipartReply, MultipartReplyBody, OfMessage } from './messages.js'
import { getLogger, type Logger } from '../../log/logger.js'

export interface OfConnectionOptions {
  /** send an echo when the peer has been silent this long (default 5000 ms) */
  echoIntervalMs?: number
  /** close when the peer has been silent this long (default 3 x echoIntervalMs) */
  echoTimeoutMs?: number
  /** default time allowed for a reply (default 10000 ms) */
  requestTimeoutMs?: number
  /** where warnings go (each bad-message code is logged once); default: the process logger, component openflow */
  log?: Logger
}

interface Pending {
  resolve: (m: OfMessage) => void
  reject: (e: Error) => void
  parts: MultipartReply[]
  timer: NodeJS.Timeout
}

export interface OfStats {
  rxMessages: number
  txMessages: number
  badMessages: number
  /** error replies that no request was waiting for */
  unsolicitedErrors: number
  badByCode: Map<OfErrorCode, number>
}

/** Messages written between two uncorks of the socket in sendWithBarrier (then the socket may drain). */
const CORK_SLICE = 512

export class OfConnection extends EventEmitter {
  readonly stats: OfStats = { rxMessages: 0, txMessages: 0, badMessages: 0, unsolicitedErrors: 0, badByCode: new Map() }
  /** resolves with the switch's features once HELLO and FEATURES are done */
  readonly ready: Promise<FeaturesReply>
  features: FeaturesReply | undefined
  closed = false
  private nextXid = 1
  private nextBundleId = 1
  private readonly pending = new Map<number, Pending>()
  /** error collectors for messages that have no reply of their own (see sendWithBarrier) */
  private readonly watched = new Map<number, (e: OfpErrorReply) => void>()
  private readonly framer = new OfFramer()
  private readonly opts: Required<OfConnectionOptions>
  private readonly echoTimer: NodeJS.Timeout
  private lastRx = Date.now()
  private helloDone: ((ok: boolean) => void) | undefined
  /** the last write was buffered by the socket beyond its high-water mark */
  private congested = false

  constructor(
    readonly socket: Socket,
    opts: OfConnectionOptions = {},
  ) {
    super()
    const echoIntervalMs = opts.echoIntervalMs ?? 5000
    this.opts = {
      echoIntervalMs,
      echoTimeoutMs: opts.echoTimeoutMs ?? 3 * echoIntervalMs,
      requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
      log: (opts.log ?? getLogger('openflow')).child({ component: 'openflow' }),
    }
    socket.on('data', (chunk: Buffer) => {
      this.onData(chunk)
    })
    socket.on('error', (err: Error) => {
      this.close(`socket error: ${err.message}`)
    })
    socket.on('close', () => {
      this.close('peer closed')
    })
    this.echoTimer = setInterval(
      () => {
        this.keepalive()
      },
      Math.max(100, Math.floor(echoIntervalMs / 2)),
    )
    this.ready = this.handshake()
    this.ready.catch(() => {
      /* reported through close; callers that await ready see it too */
    })
  }

  private async handshake(): Promise<FeaturesReply> {
    const hello = new Promise<boolean>(resolve => {
      this.helloDone = resolve
    })
    this.send({ type: 'OFPT_HELLO', versions: [OFP_VERSION] })
    const timer = setTimeout(() => {
      this.helloDone?.(false)
    }, this.opts.requestTimeoutMs)
    const ok = await hello
    clearTimeout(timer)
    if (!ok) {
      const err = new OfError('OF_HELLO_FAILED', 'no common version (need OpenFlow 1.3) or no HELLO')
      this.close(err.message)
      throw err
    }
    try {
      const features = (await this.request({ type: 'OFPT_FEATURES_REQUEST' })) as FeaturesReply
      this.features = features
      return features
    } catch (err) {
      this.close(`no FEATURES_REPLY: ${(err as Error).message}`) // a switch we cannot identify is of no use
      throw err
    }
  }

  /** The switch's datapath id (after ready). */
  get datapathId(): bigint | undefined {
    return this.features?.datapathId
  }

  /** Send without waiting; returns the xid used. */
  send(m: OfMessage): number {
    if (this.closed) throw new OfError('OF_CLOSED', `cannot send ${m.type}`)
    const xid = m.xid ?? this.allocXid()
    if (!this.socket.write(encodeMessage(m, xid))) this.congested = true
    this.stats.txMessages++
    return xid
  }

  /** Wait until the socket has taken what was written (batch senders call this so memory stays bounded). */
  private async drained(): Promise<void> {
    if (!this.congested || this.closed) return
    await new Promise<void>(resolve => {
      const done = (): void => {
        this.socket.off('drain', done)
        this.off('close', done)
        resolve()
      }
      this.socket.once('drain', done)
      this.once('close', done)
    })
    this.congested = false
  }

  private allocXid(): number {
    const xid = this.nextXid
    this.nextXid = this.nextXid >= 0xffffffff ? 1 : this.nextXid + 1
    return xid
  }

  /** Send and wait for the message with the same xid; an OFPT_ERROR rejects with OfpErrorReply. */
  async request(m: OfMessage, timeoutMs = this.opts.requestTimeoutMs): Promise<OfMessage> {
    const xid = m.xid ?? this.allocXid()
    return await new Promise<OfMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(xid)
        reject(new OfError('OF_TIMEOUT', `no reply to ${m.type} xid=0x${xid.toString(16)} in ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(xid, { resolve, reject, parts: [], timer })
      try {
        this.send({ ...m, xid })
      } catch (err) {
        clearTimeout(timer)
        this.pending.delete(xid)
        reject(err instanceof Error ? err : new Error(String(err)))
      }
    })
  }

  /** Wait until the switch has processed everything sent before (A.3.8). */
  async barrier(): Promise<void> {
    await this.request({ type: 'OFPT_BARRIER_REQUEST' })
  }

  /** Send messages that have no reply (FLOW_MOD, GROUP_MOD...), then a barrier; returns the errors they caused. */
  async sendWithBarrier(msgs: readonly OfMessage[]): Promise<OfpErrorReply[]> {
    const errors: OfpErrorReply[] = []
    const xids: number[] = []
    // corked: the messages leave in a few large writes (one writev per slice), not one syscall each
    this.socket.cork()
    try {
      let i = 0
      for (const m of msgs) {
        const xid = m.xid ?? this.allocXid()
        this.watched.set(xid, e => errors.push(e))
        xids.push(xid)
        this.send({ ...m, xid })
        if (++i % CORK_SLICE === 0) {
          this.socket.uncork()
          await this.drained()
          this.socket.cork()
        }
      }
      this.socket.uncork()
      await this.barrier()
    } finally {
      if (this.socket.writableCorked > 0) this.socket.uncork()
      for (const x of xids) this.watched.delete(x)
    }
    return errors
  }

  /**
   * Apply messages through an ONF bundle (EXT-230): open, add each, commit. With `atomic` (default) the switch
   * applies all of them or none; a failure rejects with the OfpErrorReply of the first failing message.
   */
  async bundle(msgs: readonly OfMessage[], opts: { atomic?: boolean; ordered?: boolean } = {}): Promise<void> {
    const flags = (opts.atomic === false ? 0 : ONF_BF_ATOMIC) | (opts.ordered === true ? ONF_BF_ORDERED : 0)
    const bundleId = this.nextBundleId++
    const ctrl = (ctrlType: 'ONF_BCT_OPEN_REQUEST' | 'ONF_BCT_COMMIT_REQUEST' | 'ONF_BCT_DISCARD_REQUEST'): Promise<OfMessage> =>
      this.request({ type: 'ONF_ET_BUNDLE_CONTROL', bundleId, ctrlType, flags })
    // OPEN, the adds and the barrier leave in one write, without waiting for the OPEN's reply in between: the
    // switch handles a connection's messages in order, and a failed OPEN fails the adds too (reported first)
    this.socket.cork()
    const opened = ctrl('ONF_BCT_OPEN_REQUEST')
    const added = this.sendWithBarrier(msgs.map(message => ({ type: 'ONF_ET_BUNDLE_ADD_MESSAGE' as const, bundleId, flags, message })))
    this.socket.uncork()
    const [open, sent] = await Promise.allSettled([opened, added])
    if (open.status === 'rejected') throw open.reason
    if (sent.status === 'rejected') throw sent.reason
    const errors = sent.value
    const first = errors[0]
    if (first !== undefined) {
      await ctrl('ONF_BCT_DISCARD_REQUEST').catch(() => {
        /* the bundle may already be gone */
      })
      throw first
    }
    await ctrl('ONF_BCT_COMMIT_REQUEST')
  }

  private onData(chunk: Buffer): void {
    this.lastRx = Date.now()
    let frames: Buffer[]
    try {
      frames = this.framer.push(chunk)
    } catch (err) {
      this.bad(err as OfError, chunk)
      this.close('unframeable stream')
      return
    }
    for (const f of frames) {
      if (this.closed) return
      if (this.listenerCount('frame') > 0) this.emit('frame', f)
      let m: OfMessage
      try {
        m = decodeMessage(f)
      } catch (err) {
        if (!(err instanceof OfError)) throw err
        this.bad(err, f)
        const xid = f.length >= 8 ? f.readUInt32BE(4) : -1
        const p = this.pending.get(xid)
        if (p !== undefined) this.settle(xid, p, err)
        continue
      }
      this.stats.rxMessages++
      this.dispatch(m)
    }
  }

  private bad(err: OfError, bytes: Buffer): void {
    this.stats.badMessages++
    const n = (this.stats.badByCode.get(err.code) ?? 0) + 1
    this.stats.badByCode.set(err.code, n)
    if (n === 1) this.opts.log.warn(`bad message from switch (${err.message}); further ${err.code} are counted only`)
    this.emit('bad-message', err, bytes)
  }

  private dispatch(m: OfMessage): void {
    const xid = m.xid ?? 0
    if (m.type === 'OFPT_ECHO_REQUEST') {
      this.send({ type: 'OFPT_ECHO_REPLY', xid, data: m.data })
      return
    }
    if (m.type === 'OFPT_HELLO' && this.helloDone !== undefined) {
      const done = this.helloDone
      this.helloDone = undefined
      done(m.versions.includes(OFP_VERSION))
      return
    }
    const p = this.pending.get(xid)
    if (p !== undefined) {
      if (m.type === 'OFPT_ERROR') {
        this.settle(xid, p, new OfpErrorReply(m))
      } else if (m.type === 'OFPT_MULTIPART_REPLY') {
        p.parts.push(m)
        if ((m.flags & OFPMPF_REPLY_MORE) === 0) this.settle(xid, p, joinMultipart(p.parts))
      } else {
        this.settle(xid, p, m)
      }
      return
    }
    if (m.type === 'OFPT_ERROR') {
      const e = new OfpErrorReply(m)
      const watcher = this.watched.get(xid)
      if (watcher !== undefined) {
        watcher(e)
      } else {
        this.stats.unsolicitedErrors++
        this.emit('error-reply', e)
      }
      return
    }
    if (m.type === 'OFPT_ECHO_REPLY') return // keepalive answered: lastRx already moved
    if (m.type === 'OFPT_PACKET_IN') this.emit('packet-in', m)
    else if (m.type === 'OFPT_PORT_STATUS') this.emit('port-status', m)
    else this.emit('message', m)
  }

  private settle(xid: number, p: Pending, result: OfMessage | Error): void {
    clearTimeout(p.timer)
    this.pending.delete(xid)
    if (result instanceof Error) p.reject(result)
    else p.resolve(result)
  }

  private keepalive(): void {
    const silent = Date.now() - this.lastRx
    if (silent > this.opts.echoTimeoutMs) {
      this.close(`no message from the switch for ${silent} ms`)
    } else if (silent >= this.opts.echoIntervalMs && !this.closed) {
      this.send({ type: 'OFPT_ECHO_REQUEST', data: Buffer.alloc(0) })
    }
  }

  /** Close the channel: pending requests reject with OF_CLOSED. Idempotent. */
  close(reason = 'closed by us'): void {
    if (this.closed) return
    this.closed = true
    clearInterval(this.echoTimer)
    this.helloDone?.(false)
    this.socket.destroy()
    for (const [xid, p] of this.pending) this.settle(xid, p, new OfError('OF_CLOSED', reason))
    this.emit('close', reason)
  }
}

/** A multipart reply split over several messages (OFPMPF_REPLY_MORE) joined into one. */
function joinMultipart(parts: MultipartReply[]): MultipartReply {
  const first = parts[0]
  if (first === undefined || parts.length === 1)
    return first ?? { type: 'OFPT_MULTIPART_REPLY', flags: 0, body: { mpType: 'unknown', code: 0, body: Buffer.alloc(0) } }
  const bodies = parts.map(p => p.body)
  let body: MultipartReplyBody = first.body
  if (body.mpType === 'OFPMP_FLOW') {
    body = { mpType: 'OFPMP_FLOW', flows: bodies.flatMap(b => (b.mpType === 'OFPMP_FLOW' ? b.flows : [])) }
  } else if (body.mpType === 'OFPMP_PORT_DESC') {
    body = { mpType: 'OFPMP_PORT_DESC', ports: bodies.flatMap(b => (b.mpType === 'OFPMP_PORT_DESC' ? b.ports : [])) }
  } else if (body.mpType === 'unknown') {
    body = { mpType: 'unknown', code: body.code, body: Buffer.concat(bodies.map(b => (b.mpType === 'unknown' ? b.body : Buffer.alloc(0)))) }
  }
  const joined: MultipartReply = { type: 'OFPT_MULTIPART_REPLY', flags: 0, body }
  if (first.xid !== undefined) joined.xid = first.xid
  return joined
}
