// Small helpers the vector groups share: inputs from layers or field lists, expectations by verdict, the
// routed/echo/reply transformations of a frame. Every expected frame is built here from typed values, never
// taken from a datapath's output.
import { STAGES } from '../../../datapath/spec/stages.js'
import { Ipv6Address, hexOf, type Ipv4Address, type MacAddress } from '../../../datapath/host/addresses.js'
import { buildFrame, ethernet, ip4, ip6, udp, raw, type Layer } from '../../../datapath/host/packet-builder.js'
import { decodeFrame } from '../../../datapath/host/packet-decoder.js'
import { describeFrame } from '../../../datapath/host/packet-describe.js'
import { parseFields } from '../../../datapath/host/packet-fields.js'
import type {
  Expectation,
  FieldChecks,
  FrameExpectation,
  PacketVector,
  SequenceStep,
  SequenceVector,
  VectorInput,
} from '../vector-format.js'
import type { Host } from './topologies.js'

/** The name of a stage, read from the stage table (no stage numbers are typed in the vectors). */
export function stageName(id: number): string {
  const s = STAGES[id]
  if (!s) throw new Error(`no stage with id ${id}`)
  return s.name
}
export const PARSE = 'parse'

/** Ethernet minimum frame size without the FCS (IEEE 802.3 3.2.8: 64 bytes with it). */
export const ETH_MIN = 60

export function frameOf(layers: Layer[], pad = false): Uint8Array {
  return buildFrame(layers, pad ? { padTo: ETH_MIN } : {})
}

export function layersInput(inPort: number, layers: Layer[], o: { pad?: boolean; tunnelKey?: number } = {}): VectorInput {
  return bytesInput(inPort, frameOf(layers, o.pad), o.tunnelKey)
}

export function bytesInput(inPort: number, bytes: Uint8Array, tunnelKey?: number): VectorInput {
  return {
    in_port: inPort,
    ...(tunnelKey !== undefined ? { tunnel_key: tunnelKey } : {}),
    hex: hexOf(bytes),
    summary: describeFrame(decodeFrame(bytes)),
  }
}

/** An input written as a field list (`in_port=..,eth_src=..`); the list is kept in the vector for readers. */
export function fieldInput(fields: string): VectorInput {
  const p = parseFields(fields)
  return { ...bytesInput(p.in_port, p.frame, p.tunnel_key), fields }
}

export const exact = (frame: Uint8Array | Layer[], pad = false): FrameExpectation => ({
  hex: hexOf(frame instanceof Uint8Array ? frame : frameOf(frame, pad)),
})
export const fields = (checks: FieldChecks): FrameExpectation => ({ fields: checks })

type Because = { because: string }
export const drop = (reason: string, because: string): Expectation => ({ action: 'drop', reason, because })
export const punt = (reason: string, because: string): Expectation => ({ action: 'punt', reason, because })
export const output = (ofport: number, packet: FrameExpectation | undefined, o: Because): Expectation => ({
  action: 'output',
  reason: 'none',
  ofport,
  ...(packet ? { packet } : {}),
  because: o.because,
})
export const inPort = (ofport: number, packet: FrameExpectation | undefined, o: Because): Expectation => ({
  action: 'in_port',
  reason: 'none',
  ofport,
  ...(packet ? { packet } : {}),
  because: o.because,
})
export const flood = (network: number, packet: FrameExpectation | undefined, o: Because): Expectation => ({
  action: 'flood',
  reason: 'none',
  network,
  ...(packet ? { packet } : {}),
  because: o.because,
})
export function tunnel(to: Host, packet: FrameExpectation | undefined, o: Because): Expectation {
  if (!to.remote) throw new Error(`${to.name} is not remote`)
  return {
    action: 'tunnel',
    reason: 'none',
    remote: to.remote.toString(),
    network: to.network,
    port: to.key,
    ...(packet ? { packet } : {}),
    because: o.because,
  }
}

export type VectorSpec = Omit<PacketVector, 'topology' | 'mode'> & Partial<Pick<PacketVector, 'topology' | 'mode'>>

export function vector(v: VectorSpec): PacketVector {
  return { topology: 'routed-two-networks', mode: 'batch', ...v }
}

export type SequenceSpec = Omit<SequenceVector, 'topology' | 'mode'> & Partial<Pick<SequenceVector, 'topology' | 'mode'>>

/** A sequence vector; refuses a clock that goes back (the datapath's conntrack clock only moves forward). */
export function sequence(v: SequenceSpec): SequenceVector {
  v.steps.forEach((s, i) => {
    const prev = v.steps[i - 1]
    if (prev && s.now_ms < prev.now_ms) throw new Error(`${v.name}: step ${i + 1} goes back in time`)
  })
  if (v.steps.length < 2) throw new Error(`${v.name}: a sequence has at least two steps (else it is a packet vector)`)
  return { topology: 'routed-two-networks', mode: 'batch', ...v }
}

/** The same steps in both modes (packet_in: no replies allowed unless a step says otherwise). */
export function sequenceBothModes(v: Omit<SequenceSpec, 'mode'>): SequenceVector[] {
  const quiet = (s: SequenceStep): SequenceStep => ({ ...s, expect: { replies: [], ...s.expect } })
  return [
    sequence({ ...v, name: `${v.name}/batch`, mode: 'batch' }),
    sequence({ ...v, name: `${v.name}/packet_in`, mode: 'packet_in', steps: v.steps.map(quiet) }),
  ]
}

/**
 * The same frame in both modes: batch gets the expectation as is; packet_in the same verdict and, unless
 * given, no replies (BEHAVIOUR.md "Two modes": packet-in adds only what the slow path generates).
 */
export function bothModes(v: Omit<VectorSpec, 'mode'>, packetIn: Partial<Expectation> = {}): PacketVector[] {
  return [
    vector({ ...v, name: `${v.name}/batch`, mode: 'batch' }),
    vector({ ...v, name: `${v.name}/packet_in`, mode: 'packet_in', expect: { replies: [], ...v.expect, ...packetIn } }),
  ]
}

// ---- frames between hosts -----------------------------------------------------------------------------

/** Ethernet + IPv4 + UDP (ports 40000 -> 9, 8 bytes of data) from one MAC/IP to another. */
export function udp4(o: {
  srcMac: MacAddress
  dstMac: MacAddress
  src: Ipv4Address
  dst: Ipv4Address
  ttl?: number
  id?: number
}): Layer[] {
  return [
    ethernet({ src: o.srcMac, dst: o.dstMac }),
    ip4({ src: o.src, dst: o.dst, ttl: o.ttl ?? 64, id: o.id ?? 0x4d2 }),
    udp({ sport: 40000, dport: 9 }),
    raw(Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3)),
  ]
}

export function udp6(o: { srcMac: MacAddress; dstMac: MacAddress; src: Ipv6Address; dst: Ipv6Address; hopLimit?: number }): Layer[] {
  return [
    ethernet({ src: o.srcMac, dst: o.dstMac }),
    ip6({ src: o.src, dst: o.dst, hopLimit: o.hopLimit ?? 64, flowLabel: 0x12345 }),
    udp({ sport: 40000, dport: 9 }),
    raw(Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3)),
  ]
}

/**
 * What a router makes of a frame (BEHAVIOUR.md l3_route + nexthop): Ethernet source = out router port MAC,
 * destination = next hop MAC, TTL / hop limit - 1, IPv4 header checksum updated (RFC 1624 gives the value a
 * full recomputation gives, which is what the builder writes). Nothing else changes.
 */
export function routed(layers: Layer[], to: { srcMac: MacAddress; dstMac: MacAddress }): Layer[] {
  let first = true
  return layers.map(l => {
    if (l.kind === 'ethernet' && first) {
      first = false
      return { ...l, src: to.srcMac, dst: to.dstMac }
    }
    if (l.kind === 'ip4' && l.ttl !== undefined) return { ...l, ttl: l.ttl - 1 }
    if (l.kind === 'ip6' && l.hopLimit !== undefined) return { ...l, hopLimit: l.hopLimit - 1 }
    return l
  })
}

/** Replaces layer `index` (used to derive malformed variants and expectations from one valid frame). */
export function withLayer(layers: Layer[], index: number, change: (l: Layer) => Layer): Layer[] {
  return layers.map((l, i) => (i === index ? change(l) : l))
}

/** fe80::/64 + modified EUI-64 of `m` (RFC 4291 2.5.6): U/L bit flipped, ff:fe in the middle. */
export function linkLocalOf(m: MacAddress): Ipv6Address {
  const mb = m.bytes
  const b = new Uint8Array(16)
  b.set([0xfe, 0x80])
  b.set([(mb[0] ?? 0) ^ 0x02, mb[1] ?? 0, mb[2] ?? 0, 0xff, 0xfe, mb[3] ?? 0, mb[4] ?? 0, mb[5] ?? 0], 8)
  return Ipv6Address.fromBytes(b)
}
