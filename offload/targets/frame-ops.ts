// Frame operations every target MODEL performs alike (MAC match and rewrite, TTL decrement), kept in one place
// so that the TC, rte_flow and P4 interpreters differ only where their rule forms differ.
import type { PacketInput } from '../../datapath/host/api.js'
import { Cidr, Ipv4Address, MacAddress } from '../../datapath/host/addresses.js'
import { internetChecksum } from '../../datapath/host/packet-checksum.js'
import { type FrameKey, dissect } from './frame-dissector.js'

/** Rules name their prefixes as text and a MODEL tests them per packet: each text is parsed once. */
export class CidrCache {
  private readonly byText = new Map<string, Cidr>()
  get(text: string): Cidr {
    let c = this.byText.get(text)
    if (c === undefined) {
      c = Cidr.parse(text)
      this.byText.set(text, c)
    }
    return c
  }
}

/** "fa:16:3e:00:00:01" -> 6 bytes (rules carry MACs as text, already validated by the emitter). */
export function macBytes(text: string): Uint8Array {
  return MacAddress.parse(text).bytes
}

/** `have` equals `want` on the bits of `mask` (all bits when there is no mask). */
export function macMatches(have: Uint8Array, want: string, mask?: string): boolean {
  const w = macBytes(want)
  const m = mask !== undefined ? macBytes(mask) : undefined
  for (let i = 0; i < 6; i++) {
    if ((((have[i] as number) ^ (w[i] as number)) & (m?.[i] ?? 0xff)) !== 0) return false
  }
  return true
}

/**
 * TTL / hop limit minus one; for IPv4 the header checksum is recomputed, as TC's `csum ip`, rte_flow's DEC_TTL
 * (the NIC fixes it) and a P4 deparser all do.
 */
export function decTtl(frame: Uint8Array, key: FrameKey | undefined): void {
  if (key?.ttlAt === undefined) return
  frame[key.ttlAt] = ((frame[key.ttlAt] as number) + 0xff) & 0xff
  if (!(key.ip_dst instanceof Ipv4Address)) return
  const ihl = ((frame[key.l3] as number) & 0x0f) * 4
  frame[key.l3 + 10] = 0
  frame[key.l3 + 11] = 0
  const sum = internetChecksum(frame.subarray(key.l3, key.l3 + ihl))
  frame[key.l3 + 10] = sum >> 8
  frame[key.l3 + 11] = sum & 0xff
}

/** How a frame enters a target's pipeline: its in_port and, for tunnel traffic, the VNI. */
export interface IngressMeta {
  in_port: number
  tunnel: boolean
  vni: number | undefined
}

/**
 * The frame a target's first table sees: one the target already decapsulated (`tunnel_key` given), or one still
 * carrying VXLAN/Geneve, whose outer headers the tunnel port matches and pops before the pipeline
 * (HARDWARE-FACTS.md 1.4). Undefined for a frame shorter than an Ethernet header.
 */
export function ingress(input: PacketInput): { frame: Uint8Array; meta: IngressMeta } | undefined {
  const frame = Uint8Array.from(input.data)
  const outer = dissect(frame)
  if (outer === undefined) return undefined
  if ((input.tunnel_key ?? 0) > 0) return { frame, meta: { in_port: input.in_port, tunnel: true, vni: input.tunnel_key } }
  if (outer.tunnel !== undefined && !outer.eth_src.isMulticast) {
    return { frame: frame.slice(outer.tunnel.inner), meta: { in_port: input.in_port, tunnel: true, vni: outer.tunnel.vni } }
  }
  return { frame, meta: { in_port: input.in_port, tunnel: false, vni: undefined } }
}
