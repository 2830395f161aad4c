// MODEL of an established-offload target's connection table (mlx5 CT, OVS-DOCA CT; HARDWARE-FACTS.md §1.3):
// keyed by zone + 5-tuple, it holds only the established TCP / UDP connections the software path pushed to it.
// The target looks packets up here (ct_state +trk+est, +rpl for the reply direction); everything else - new
// connections, TCP SYN / FIN / RST, invalid, other protocols - is the software path's (WASM), which decides and
// commits. The table learns from what the software did with the packets it was handed (conn-feed.ts), and ages
// connections with the timeouts of BEHAVIOUR.md "Security groups", as the software ages the entries it offloaded.
//
// It only ever holds less than the software's table, never more: a connection enters after the software forwarded
// a full TCP handshake (SYN, SYN+ACK, ACK) or a UDP packet in each direction, and leaves at FIN / RST, at any
// drop of one of its packets (the software may have marked it blocked), or when it times out. A TCP connection
// that left is not learned again without a new SYN (so its direction is never guessed); a UDP one is not
// learned again while the software might still hold it (TOMBSTONE_MS past its timeout).
import type { FrameKey } from '../frame-dissector.js'
import { IP_PROTO_TCP, IP_PROTO_UDP } from '../frame-dissector.js'

/** TCP flags, RFC 9293 §3.1 */
export const TCP_FIN = 0x01
export const TCP_SYN = 0x02
export const TCP_RST = 0x04
export const TCP_ACK = 0x10

/** BEHAVIOUR.md "Security groups" timeouts (OVS's defaults), in ms. */
const TIMEOUT = { tcpOpening: 30_000, tcpEstablished: 86_400_000, udpFirst: 60_000, udpMultiple: 60_000, udpBidir: 30_000 }
/** How long past its timeout a connection that left is not learned again: the software's clock may lag by that. */
const TOMBSTONE_MS = 1_000

type Phase = 'syn' | 'synack' | 'tcp_est' | 'udp_first' | 'udp_multiple' | 'udp_bidir'

interface Conn {
  /** the original direction's tuple key */
  orig: string
  phase: Phase
  lastMs: number
}

/** What a lookup gives the packet (ct_state and the blocked bit of ct_mark). */
export interface CtHit {
  rpl: boolean
  blocked: boolean
}

export interface ConnTableOptions {
  /** protocols the target holds (profile conntrack.protocols) */
  protocols: ('tcp' | 'udp' | 'icmp')[]
  /** connections the target holds at most (profile conntrack.maxConnections.value); unbounded when absent */
  capacity?: number
}

/** The zone of a network (BEHAVIOUR.md: zone = network key & 0xffff). */
export const zoneOf = (network: number): number => network & 0xffff

export class ConnTable {
  private readonly conns = new Map<string, Conn>()
  private readonly gone = new Map<string, number>()

  constructor(private readonly opts: ConnTableOptions) {}

  get size(): number {
    return this.conns.size
  }

  /** Whether the target tracks this packet's protocol at all (others always go to software). */
  holds(key: FrameKey): boolean {
    return (
      (key.ip_proto === IP_PROTO_TCP && this.opts.protocols.includes('tcp')) ||
      (key.ip_proto === IP_PROTO_UDP && this.opts.protocols.includes('udp'))
    )
  }

  /** The target's lookup: a hit only for an established connection it holds; refreshes its age. */
  lookup(zone: number, key: FrameKey, nowMs: number): CtHit | undefined {
    const found = this.find(zone, key, nowMs)
    if (found === undefined || !isEstablished(found.conn.phase)) return undefined
    found.conn.lastMs = nowMs
    return { rpl: found.rpl, blocked: false }
  }

  /** The software path decided a packet of this zone: `forwarded` or dropped. */
  learn(zone: number, key: FrameKey, forwarded: boolean, nowMs: number): void {
    if (!this.holds(key) || key.src_port === undefined || key.dst_port === undefined) return
    const found = this.find(zone, key, nowMs)
    if (!forwarded) {
      if (found !== undefined) this.forget(found.id, found.conn, nowMs)
      return
    }
    const flags = key.tcp_flags ?? 0
    if (key.ip_proto === IP_PROTO_TCP) {
      if ((flags & (TCP_FIN | TCP_RST)) !== 0) {
        if (found !== undefined) this.forget(found.id, found.conn, nowMs) // closing: software only from here
        return
      }
      const syn = (flags & TCP_SYN) !== 0
      const ack = (flags & TCP_ACK) !== 0
      if (found === undefined) {
        if (syn && !ack) this.add(zone, key, 'syn', nowMs)
        return
      }
      const c = found.conn
      if (c.phase === 'syn' && found.rpl && syn && ack) c.phase = 'synack'
      else if (c.phase === 'synack' && !found.rpl && ack && !syn) c.phase = 'tcp_est'
      c.lastMs = nowMs
      return
    }
    if (found === undefined) {
      const left = this.gone.has(tupleKey(zone, key, false)) || this.gone.has(tupleKey(zone, key, true))
      if (!left) this.add(zone, key, 'udp_first', nowMs)
      return
    }
    const c = found.conn
    if (found.rpl) c.phase = 'udp_bidir'
    else if (c.phase === 'udp_first') c.phase = 'udp_multiple'
    c.lastMs = nowMs
  }

  private add(zone: number, key: FrameKey, phase: Phase, nowMs: number): void {
    if (this.opts.capacity !== undefined && this.conns.size >= this.opts.capacity) return // full: stays in software
    const orig = tupleKey(zone, key, false)
    this.conns.set(orig, { orig, phase, lastMs: nowMs })
  }

  private forget(id: string, c: Conn, nowMs: number): void {
    this.conns.delete(id)
    this.gone.set(id, nowMs + timeoutOf(c.phase) + TOMBSTONE_MS)
  }

  /** The connection of this packet in either direction, after ageing it out when its timeout passed. */
  private find(zone: number, key: FrameKey, nowMs: number): { id: string; conn: Conn; rpl: boolean } | undefined {
    for (const rpl of [false, true]) {
      const id = tupleKey(zone, key, rpl)
      const until = this.gone.get(id)
      if (until !== undefined && nowMs > until) this.gone.delete(id)
      const conn = this.conns.get(id)
      if (conn === undefined) continue
      // expire at the timeout itself, never later than the software would
      if (nowMs - conn.lastMs >= timeoutOf(conn.phase)) {
        this.forget(id, conn, conn.lastMs)
        continue
      }
      return { id, conn, rpl }
    }
    return undefined
  }
}

const isEstablished = (p: Phase): boolean => p === 'tcp_est' || p === 'udp_bidir'

function timeoutOf(p: Phase): number {
  switch (p) {
    case 'syn':
    case 'synack':
      return TIMEOUT.tcpOpening
    case 'tcp_est':
      return TIMEOUT.tcpEstablished
    case 'udp_first':
      return TIMEOUT.udpFirst
    case 'udp_multiple':
      return TIMEOUT.udpMultiple
    case 'udp_bidir':
      return TIMEOUT.udpBidir
  }
}

/** zone|proto|src|sport|dst|dport of the packet, or of its reverse (`reverse`: the key its reply would have). */
function tupleKey(zone: number, k: FrameKey, reverse: boolean): string {
  const a = `${String(k.ip_src)}|${k.src_port ?? 0}`
  const b = `${String(k.ip_dst)}|${k.dst_port ?? 0}`
  return `${zone}|${k.ip_proto ?? 0}|${reverse ? `${b}|${a}` : `${a}|${b}`}`
}
