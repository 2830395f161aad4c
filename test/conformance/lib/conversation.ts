// Frames of a conversation between two hosts of the conformance topologies, each as its sender puts it on the
// wire and as the pipeline must deliver it: switched on one network, routed by router 1 (BEHAVIOUR.md 7-8:
// MACs rewritten, TTL / hop limit - 1), arriving from a remote chassis through a tunnel (already routed there:
// the router is distributed), or leaving to one. A TcpSession keeps both sides' sequence numbers, so a vector
// reads as the segments of RFC 9293 3.5 and only the packet under test is written with odd numbers.
import { concat, echo4, echo6, ethernet, icmp4, icmp6, ip4, ip6, raw, tcp, udp, type Layer } from '../../../datapath/host/packet-builder.js'
import type { IpAddress, Ipv4Address, Ipv6Address, MacAddress } from '../../../datapath/host/addresses.js'
import type { Expectation, VectorInput } from '../vector-format.js'
import { NET_A, RPA, RPB, TUNNEL_OFPORT, type Host, type RouterPort } from './topologies.js'
import { bytesInput, exact, frameOf, output, tunnel } from './vector-kit.js'

/** One end: a host, the address it uses (default its IPv4 address) and the MAC it sends from (default its own). */
export interface Side {
  host: Host
  ip?: IpAddress
  mac?: MacAddress
}

/** A frame from one side to the other: the input, the frame the pipeline hands on, and that outcome. */
export interface Hop {
  input: VectorInput
  /** The frame as the receiver gets it (after routing, if any). */
  delivered: Uint8Array
  /** output to the receiver's ofport, or tunnel to its chassis, with exactly `delivered`. */
  deliver(because: string): Expectation
}

const addressOf = (s: Side): IpAddress => s.ip ?? s.host.ip4
const routerPortOf = (network: number): RouterPort => (network === NET_A ? RPA : RPB)

/** A packet from `from` to `to` carrying `l4` (layers after the IP header); `ip` adjusts the IP header. */
export function hop(
  from: Side,
  to: Side,
  l4: Layer[],
  ip: { id?: number; fragOffset?: number; mf?: boolean; protocol?: number } = {},
): Hop {
  const src = addressOf(from)
  const dst = addressOf(to)
  if (src.family !== dst.family) throw new Error(`${from.host.name} -> ${to.host.name}: mixed address families`)
  const routed = from.host.network !== to.host.network
  const ipLayer = (ttl: number): Layer =>
    src.family === 4
      ? ip4({ src: src, dst: dst as Ipv4Address, ttl, id: ip.id ?? 0x2c1, fragOffset: ip.fragOffset, mf: ip.mf, protocol: ip.protocol })
      : ip6({ src: src, dst: dst as Ipv6Address, hopLimit: ttl, flowLabel: 0x5e5e })
  const fromMac = from.mac ?? from.host.mac
  const toMac = to.mac ?? to.host.mac
  const delivered = routed
    ? frameOf([ethernet({ src: routerPortOf(to.host.network).mac, dst: toMac }), ipLayer(63), ...l4])
    : frameOf([ethernet({ src: fromMac, dst: toMac }), ipLayer(64), ...l4])
  let input: VectorInput
  if (from.host.remote) {
    // The remote chassis switched or routed it onto the receiver's network and sent it through the tunnel.
    input = bytesInput(TUNNEL_OFPORT, delivered, to.host.network)
  } else {
    const sent = routed ? frameOf([ethernet({ src: fromMac, dst: routerPortOf(from.host.network).mac }), ipLayer(64), ...l4]) : delivered
    input = bytesInput(from.host.ofport as number, sent)
  }
  return {
    input,
    delivered,
    deliver: because =>
      to.host.remote ? tunnel(to.host, exact(delivered), { because }) : output(to.host.ofport as number, exact(delivered), { because }),
  }
}

/** The IP datagram inside a delivered frame (the Ethernet header removed; no VLAN tags in these topologies). */
function datagramOf(frame: Uint8Array): Uint8Array {
  return frame.subarray(14)
}

/**
 * An ICMP / ICMPv6 error about `about` (a hop the error's sender received), sent back to its source: the inner
 * header is the datagram as received, cut to the IP header + 8 bytes (RFC 792) or kept whole (RFC 4443 2.4 (c):
 * as much as fits in the minimum MTU; these are small).
 */
export function icmpError(from: Side, to: Side, about: Hop, o: { type: number; code: number; rest?: Uint8Array }): Hop {
  const inner = datagramOf(about.delivered)
  if (addressOf(from).family === 4) {
    const ihl = ((inner[0] ?? 0x45) & 0x0f) * 4
    return hop(from, to, [icmp4({ type: o.type, code: o.code, rest: o.rest ?? new Uint8Array(4), payload: inner.slice(0, ihl + 8) })])
  }
  return hop(from, to, [icmp6({ type: o.type, code: o.code, body: concat(o.rest ?? new Uint8Array(4), inner) })])
}

export const udpHop = (from: Side, to: Side, sport: number, dport: number, data = Uint8Array.of(0x51, 0x52, 0x53, 0x54)): Hop =>
  hop(from, to, [udp({ sport, dport }), raw(data)])

/** ICMP (or ICMPv6, for IPv6 sides) echo request / reply with identifier `id`. */
export function echoHop(from: Side, to: Side, o: { reply?: boolean; id?: number; seq?: number } = {}): Hop {
  const e = { reply: o.reply, id: o.id ?? 0x0e0e, seq: o.seq ?? 1, data: Uint8Array.of(0x70, 0x69, 0x6e, 0x67) }
  return hop(from, to, [addressOf(from).family === 4 ? echo4(e) : echo6(e)])
}

/** TCP flags (RFC 9293 3.1). */
export const FIN = 0x01
export const SYN = 0x02
export const RST = 0x04
export const PSH = 0x08
export const ACK = 0x10
export const URG = 0x20

export interface SegmentOptions {
  /** Payload bytes (a fixed pattern). */
  data?: number
  /** Sequence number; default the sender's next. An explicit one does not move the sender's next. */
  seq?: number
  /** Acknowledgment number; default the peer's next when ACK is set, else 0. */
  ack?: number
  window?: number
  /** Raw TCP options (window scale: RFC 7323 2.2, kind 3). */
  options?: Uint8Array
}

/** RFC 7323 2.2: window scale option, padded with a NOP by the builder. */
export const windowScale = (shift: number): Uint8Array => Uint8Array.of(3, 3, shift)

/**
 * A TCP connection from `client` to `server`: c() and s() build the next segment of each side. Sequence
 * numbers advance by the data and by SYN and FIN (RFC 9293 3.4), so each default segment is the one a correct
 * stack sends next; a segment with an explicit seq is out of band and advances nothing.
 */
export class TcpSession {
  private clientNext: number
  private serverNext: number

  constructor(
    readonly client: Side,
    readonly server: Side,
    readonly ports: { sport: number; dport: number },
    isn: { client: number; server: number } = { client: 1000, server: 5000 },
  ) {
    this.clientNext = isn.client
    this.serverNext = isn.server
  }

  /** client -> server */
  c(flags: number, o: SegmentOptions = {}): Hop {
    const { hop: h, next } = this.segment(
      this.client,
      this.server,
      flags,
      o,
      this.clientNext,
      this.serverNext,
      this.ports.sport,
      this.ports.dport,
      64240,
    )
    this.clientNext = next
    return h
  }

  /** server -> client */
  s(flags: number, o: SegmentOptions = {}): Hop {
    const { hop: h, next } = this.segment(
      this.server,
      this.client,
      flags,
      o,
      this.serverNext,
      this.clientNext,
      this.ports.dport,
      this.ports.sport,
      65160,
    )
    this.serverNext = next
    return h
  }

  private segment(
    from: Side,
    to: Side,
    flags: number,
    o: SegmentOptions,
    next: number,
    peerNext: number,
    sport: number,
    dport: number,
    window: number,
  ): { hop: Hop; next: number } {
    const data = Uint8Array.from({ length: o.data ?? 0 }, (_, i) => 0x41 + (i % 26))
    const seq = o.seq ?? next
    const ack = o.ack ?? (flags & ACK ? peerNext : 0)
    const segment = tcp({ sport, dport, seq: seq >>> 0, ack: ack >>> 0, flags, window: o.window ?? window, options: o.options })
    const h = hop(from, to, data.length > 0 ? [segment, raw(data)] : [segment])
    const advance = data.length + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0)
    return { hop: h, next: o.seq === undefined ? (next + advance) >>> 0 : next }
  }
}
