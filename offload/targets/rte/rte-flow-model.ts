// MODEL of rte_flow / DOCA Flow (no DPU here): from group 0, the highest-priority entry (lowest number) of the
// group's pipes whose pattern items all match runs its actions; JUMP moves to a group, a port action or DROP
// ends, SEND_TO_KERNEL hands the frame to software. The verdict is the MARK's note and the rewritten frame.
import type { PacketInput, Verdict } from '../../../datapath/host/api.js'
import { Ipv4Address, Ipv6Address } from '../../../datapath/host/addresses.js'
import { REASON_NAMES } from '../../../datapath/spec/verdicts.js'
import {
  ETH_TYPE_ARP,
  ETH_TYPE_IPV4,
  ETH_TYPE_IPV6,
  IP_PROTO_ICMP,
  IP_PROTO_ICMPV6,
  IP_PROTO_TCP,
  IP_PROTO_UDP,
  type FrameKey,
  dissect,
} from '../frame-dissector.js'
import { CidrCache, type IngressMeta, decTtl, ingress, macBytes, macMatches } from '../frame-ops.js'
import { pushVlan, setIpAddress } from '../frame-rewrite.js'
import type { TargetModel, TargetOutcome } from '../target-outcome.js'
import { type PacketCt, type TargetConntrack, ctMatches, runTracked } from '../ct/target-conntrack.js'
import type { ModelOptions } from '../tc/flower-model.js'
import type { VerdictNote } from '../tc/flower-rule.js'
import type { RteFlowEntry, RteItem, RteProgram } from './rte-flow-rule.js'

/** Groups only jump forward in an emitted program; this bounds a broken one. */
const MAX_JUMPS = 64

type Meta = IngressMeta

export class RteFlowModel implements TargetModel {
  private readonly groups = new Map<number, { entry: RteFlowEntry; pipe: string }[]>()
  private readonly cidrs = new CidrCache()
  private readonly ct: TargetConntrack | undefined
  private pktCt: PacketCt | undefined

  constructor(program: RteProgram, opts: ModelOptions = {}) {
    this.ct = opts.conntrack
    for (const p of program.pipes) {
      const list = this.groups.get(p.group) ?? []
      list.push(...p.entries.map(entry => ({ entry, pipe: p.name })))
      this.groups.set(p.group, list)
    }
    for (const list of this.groups.values()) list.sort((a, b) => a.entry.priority - b.entry.priority)
  }

  softwareDecided(input: PacketInput, v: Verdict, nowMs: number): void {
    this.ct?.softwareDecided(input, v, nowMs)
  }

  run(input: PacketInput, nowMs = 0): TargetOutcome {
    this.pktCt = undefined
    return runTracked(this.ct, () => this.walk(input, nowMs))
  }

  private walk(input: PacketInput, nowMs: number): TargetOutcome {
    const entered = ingress(input)
    if (entered === undefined) return { trap: 'shorter than an Ethernet header', stage: 'parse' }
    let frame = entered.frame
    const meta: Meta = entered.meta
    let group = 0
    let remote: string | undefined
    let mark: VerdictNote | undefined
    // OF_PUSH_VLAN inserts the tag, OF_SET_VLAN_VID gives it its VID: modelled as one push once both are seen
    let pendingPush = false
    for (let jumps = 0; jumps < MAX_JUMPS; jumps++) {
      const key = dissect(frame)
      const hit =
        key === undefined ? undefined : (this.groups.get(group) ?? []).find(e => e.entry.pattern.every(i => this.item(i, key, meta)))
      if (hit === undefined) return { trap: `miss in group ${group}`, stage: 'parse' }
      const stage = hit.pipe.split(' ')[0] ?? hit.pipe
      let next: number | undefined
      for (const a of hit.entry.actions) {
        const k = dissect(frame)
        switch (a.type) {
          case 'OF_POP_VLAN':
            if (k?.vlan !== undefined) frame = Uint8Array.from([...frame.subarray(0, 12), ...frame.subarray(16)])
            break
          case 'VXLAN_DECAP':
            break // the vport already popped the outer headers
          case 'OF_PUSH_VLAN':
            pendingPush = true
            break
          case 'OF_SET_VLAN_VID':
            if (pendingPush) frame = pushVlan(frame, a.vlan_vid)
            pendingPush = false
            break
          case 'SET_IPV4_SRC':
          case 'SET_IPV6_SRC':
          case 'SET_IPV4_DST':
          case 'SET_IPV6_DST':
            if (k !== undefined) setIpAddress(frame, k, { field: a.type.endsWith('SRC') ? 'src' : 'dst', ip: a.addr, fix: 'incremental' })
            break
          case 'SET_MAC_SRC':
            frame.set(macBytes(a.mac), 6)
            break
          case 'SET_MAC_DST':
            frame.set(macBytes(a.mac), 0)
            break
          case 'DEC_TTL':
            decTtl(frame, k)
            break
          case 'VXLAN_ENCAP':
            remote = a.dst
            break
          case 'SAMPLE':
            break // a copy leaves; the verdict is the original's
          case 'MARK':
            mark = a.note
            break
          case 'REPRESENTED_PORT':
            return { verdict: this.verdict(mark, frame, { ofport: a.ethdev_port_id }), stage }
          case 'TUNNEL_PORT':
            return { verdict: this.verdict(mark, frame, remote !== undefined ? { remote } : {}), stage }
          case 'DROP':
            return { verdict: this.verdict(mark, frame, {}), stage }
          case 'SEND_TO_KERNEL':
            return { trap: a.why, stage }
          case 'JUMP':
            next = a.group
            break
          case 'CONNTRACK':
            if (this.ct === undefined || k === undefined) return { trap: 'CONNTRACK without a connection table on this target', stage }
            this.pktCt = this.ct.lookup(a.zone, k, nowMs)
            break
        }
        if (next !== undefined) break
      }
      if (next === undefined) return { trap: `entry in group ${group} ended without a fate`, stage }
      group = next
    }
    return { trap: `more than ${MAX_JUMPS} jumps`, stage: 'parse' }
  }

  private verdict(note: VerdictNote | undefined, frame: Uint8Array, out: { ofport?: number; remote?: string }): Verdict {
    const v: Verdict = { action: note?.action ?? 'output', reason: REASON_NAMES[note?.reason ?? 0] ?? 'none', packet: frame }
    if (out.ofport !== undefined) v.ofport = out.ofport
    if (note?.network !== undefined) v.network = note.network
    if (note?.port !== undefined) v.port = note.port
    if (note?.action === 'tunnel' && out.remote !== undefined) v.remote = out.remote
    return v
  }

  private item(i: RteItem, k: FrameKey, meta: Meta): boolean {
    switch (i.type) {
      case 'REPRESENTED_PORT':
        return !meta.tunnel && meta.in_port === i.ethdev_port_id
      case 'TUNNEL':
        return meta.tunnel && (i.vni === undefined || i.vni === meta.vni)
      case 'ETH':
        return (
          (i.dst === undefined || macMatches(k.eth_dst.bytes, i.dst.spec, i.dst.mask)) &&
          (i.src === undefined || macMatches(k.eth_src.bytes, i.src.spec, i.src.mask)) &&
          (i.ether_type === undefined || i.ether_type === k.eth_type)
        )
      case 'VLAN':
        return k.vlan !== undefined && (i.vid === undefined || i.vid === k.vlan)
      case 'ARP_ETH_IPV4':
        return (
          k.eth_type === ETH_TYPE_ARP &&
          (i.opcode === undefined || i.opcode === k.arp_op) &&
          (i.sha === undefined || (k.arp_sha !== undefined && macMatches(k.arp_sha.bytes, i.sha))) &&
          (i.spa === undefined || (k.arp_spa !== undefined && this.cidrs.get(i.spa).contains(k.arp_spa))) &&
          (i.tpa === undefined || (k.arp_tpa !== undefined && this.cidrs.get(i.tpa).contains(k.arp_tpa)))
        )
      case 'IPV4':
      case 'IPV6': {
        const fam = i.type === 'IPV4' ? ETH_TYPE_IPV4 : ETH_TYPE_IPV6
        const ok = k.eth_type === fam && (k.ip_dst instanceof Ipv4Address || k.ip_dst instanceof Ipv6Address)
        return (
          ok &&
          (i.src === undefined || (k.ip_src !== undefined && this.cidrs.get(i.src).contains(k.ip_src))) &&
          (i.dst === undefined || (k.ip_dst !== undefined && this.cidrs.get(i.dst).contains(k.ip_dst))) &&
          (i.proto === undefined || i.proto === k.ip_proto) &&
          (i.ttl === undefined || i.ttl === k.ttl) &&
          (i.fragment === undefined || i.fragment === (k.frag === true))
        )
      }
      case 'UDP':
      case 'TCP':
        return (
          k.ip_proto === (i.type === 'UDP' ? IP_PROTO_UDP : IP_PROTO_TCP) &&
          k.dst_port !== undefined &&
          (i.src_port === undefined || i.src_port === k.src_port) &&
          (i.dst_port === undefined || ((i.dst_port.spec ^ k.dst_port) & (i.dst_port.mask ?? 0xffff)) === 0) &&
          (i.tcp_flags === undefined || (k.tcp_flags !== undefined && (k.tcp_flags & (i.tcp_flags.mask ?? 0xff)) === i.tcp_flags.spec))
        )
      case 'ICMP':
      case 'ICMP6':
        return (
          k.ip_proto === (i.type === 'ICMP' ? IP_PROTO_ICMP : IP_PROTO_ICMPV6) &&
          k.icmp_type === i.icmp_type &&
          (i.icmp_code === undefined || i.icmp_code === k.icmp_code)
        )
      case 'CONNTRACK':
        return ctMatches(
          {
            ...(i.state !== undefined ? { ct_state: i.state } : {}),
            ...(i.mark !== undefined ? { ct_mark: { value: i.mark.spec, mask: i.mark.mask ?? 0xffffffff } } : {}),
          },
          this.pktCt,
        )
    }
  }
}
