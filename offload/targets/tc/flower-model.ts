// MODEL of TC flower (no smart NIC here): runs a frame through emitted rules the way cls_flower + act_* do on
// one shared block: from chain 0, the first rule (lowest prio) whose key matches runs its actions; goto chain
// jumps, redirect and drop end, trap hands the frame to software. The verdict comes from the terminal action's
// cookie (flower-rule.ts VerdictNote) and the frame as rewritten by pedit / vlan pop.
import type { PacketInput, Verdict } from '../../../datapath/host/api.js'
import { REASON_NAMES } from '../../../datapath/spec/verdicts.js'
import { type FrameKey, dissect } from '../frame-dissector.js'
import { CidrCache, decTtl, ingress, macBytes, macMatches } from '../frame-ops.js'
import { pushVlan, setIpAddress } from '../frame-rewrite.js'
import type { TargetModel, TargetOutcome } from '../target-outcome.js'
import { type PacketCt, type TargetConntrack, ctMatches, runTracked } from '../ct/target-conntrack.js'
import { kernelPrio } from './tc-batch-text.js'
import type { FlowerMatch, FlowerRule, TcProgram, VerdictNote } from './flower-rule.js'

/** Loops are impossible in an emitted program (chains only go forward); this bounds a broken one. */
const MAX_GOTOS = 64

export interface ModelOptions {
  /** the target's connection table and its feed (profiles with established-offload conntrack) */
  conntrack?: TargetConntrack
}

export class FlowerModel implements TargetModel {
  private readonly byChain = new Map<number, FlowerRule[]>()
  private readonly cidrs = new CidrCache()
  private readonly ct: TargetConntrack | undefined

  constructor(
    readonly program: TcProgram,
    opts: ModelOptions = {},
  ) {
    this.ct = opts.conntrack
    for (const r of program.rules) this.byChain.set(r.chain, [...(this.byChain.get(r.chain) ?? []), r])
    for (const list of this.byChain.values()) list.sort((a, b) => kernelPrio(a) - kernelPrio(b))
  }

  softwareDecided(input: PacketInput, v: Verdict, nowMs: number): void {
    this.ct?.softwareDecided(input, v, nowMs)
  }

  run(input: PacketInput, nowMs = 0): TargetOutcome {
    return runTracked(this.ct, () => this.walk(input, nowMs))
  }

  private walk(input: PacketInput, nowMs: number): TargetOutcome {
    let ct: PacketCt | undefined
    // the tunnel netdev decapsulates before flower sees the frame (HARDWARE-FACTS.md §1.4)
    const entered = ingress(input)
    if (entered === undefined) return { trap: 'shorter than an Ethernet header: the NIC hands it to software', stage: 'parse' }
    let frame = entered.frame
    const fromTunnel = entered.meta.tunnel
    const tunKey = entered.meta.vni
    let key = dissect(frame)
    let chain = 0
    let remote: string | undefined
    for (let hops = 0; hops < MAX_GOTOS; hops++) {
      const rule =
        key === undefined
          ? undefined
          : (this.byChain.get(chain) ?? []).find(
              r => this.matches(r.match, key as FrameKey, { in_port: input.in_port, fromTunnel, tunKey }) && ctMatches(r.match, ct),
            )
      if (rule === undefined)
        return { trap: `no rule matched in chain ${chain} (${this.program.chains.get(chain) ?? '?'})`, stage: 'parse' }
      let jumped = false
      for (const a of rule.actions) {
        switch (a.kind) {
          case 'vlan_pop':
            if (key?.vlan !== undefined) frame = Uint8Array.from([...frame.subarray(0, 12), ...frame.subarray(16)])
            break
          case 'vlan_push':
            frame = pushVlan(frame, a.vid)
            break
          case 'pedit_ip':
            // act_csum after pedit: the checksums are recomputed from the packet
            if (key !== undefined) setIpAddress(frame, key, { field: a.field, ip: a.ip, fix: 'recompute' })
            break
          case 'tunnel_key_set':
            remote = a.dst
            break
          case 'tunnel_key_unset':
            break // tunnel metadata: the inner frame is what the verdict carries (api.ts Verdict.packet)
          case 'pedit_eth':
            frame.set(macBytes(a.mac), a.field === 'dst' ? 0 : 6)
            break
          case 'dec_ttl':
            decTtl(frame, key)
            break
          case 'mirred':
            if (a.mode === 'mirror') break
            return {
              verdict: this.verdictOf(
                a.note,
                frame,
                typeof a.to === 'number' ? { ofport: a.to } : { ...(remote !== undefined ? { remote } : {}) },
              ),
              stage: rule.stage,
            }
          case 'drop':
            return { verdict: this.verdictOf(a.note, frame, {}), stage: rule.stage }
          case 'trap':
            return { trap: a.why, stage: rule.stage }
          case 'goto':
            chain = a.chain
            jumped = true
            break
          case 'ct':
            if (this.ct === undefined || key === undefined)
              return { trap: 'ct without a connection table on this target', stage: rule.stage }
            ct = this.ct.lookup(a.zone, key, nowMs)
            break
        }
        if (jumped) break
        key = dissect(frame)
      }
      if (!jumped) return { trap: `rule in chain ${chain} ended without a verdict`, stage: rule.stage }
      key = dissect(frame)
    }
    return { trap: `more than ${MAX_GOTOS} chain jumps`, stage: 'parse' }
  }

  private verdictOf(note: VerdictNote | undefined, frame: Uint8Array, out: { ofport?: number; remote?: string }): Verdict {
    const ofport = out.ofport
    if (note === undefined) return { action: 'output', reason: 'none', packet: frame, ...(ofport !== undefined ? { ofport } : {}) }
    const v: Verdict = { action: note.action, reason: REASON_NAMES[note.reason] ?? 'none', packet: frame }
    if (ofport !== undefined) v.ofport = ofport
    if (note.network !== undefined) v.network = note.network
    if (note.port !== undefined) v.port = note.port
    if (note.action === 'tunnel' && out.remote !== undefined) v.remote = out.remote
    return v
  }

  private matches(m: FlowerMatch, k: FrameKey, meta: { in_port: number; fromTunnel: boolean; tunKey: number | undefined }): boolean {
    if (m.fromTunnel !== undefined && m.fromTunnel !== meta.fromTunnel) return false
    if (m.enc_key_id !== undefined && m.enc_key_id !== meta.tunKey) return false
    if (m.indev !== undefined && (meta.fromTunnel || m.indev !== meta.in_port)) return false
    if (m.vlan === 'any' && k.vlan === undefined) return false
    if (typeof m.vlan === 'number' && k.vlan !== m.vlan) return false
    if (m.eth_dst !== undefined && !macMatches(k.eth_dst.bytes, m.eth_dst, m.eth_dst_mask)) return false
    if (m.eth_src !== undefined && !macMatches(k.eth_src.bytes, m.eth_src, m.eth_src_mask)) return false
    if (m.eth_type !== undefined && m.eth_type !== k.eth_type) return false
    if (m.ip_proto !== undefined && m.ip_proto !== k.ip_proto) return false
    if (m.src_ip !== undefined && (k.ip_src === undefined || !this.cidrs.get(m.src_ip).contains(k.ip_src))) return false
    if (m.dst_ip !== undefined && (k.ip_dst === undefined || !this.cidrs.get(m.dst_ip).contains(k.ip_dst))) return false
    if (m.ip_ttl !== undefined && m.ip_ttl !== k.ttl) return false
    if (m.arp_op !== undefined && m.arp_op !== k.arp_op) return false
    if (m.arp_sha !== undefined && (k.arp_sha === undefined || !macMatches(k.arp_sha.bytes, m.arp_sha, undefined))) return false
    if (m.arp_sip !== undefined && (k.arp_spa === undefined || !this.cidrs.get(m.arp_sip).contains(k.arp_spa))) return false
    if (m.arp_tip !== undefined && (k.arp_tpa === undefined || !this.cidrs.get(m.arp_tip).contains(k.arp_tpa))) return false
    if (m.src_port !== undefined && m.src_port !== k.src_port) return false
    if (m.dst_port !== undefined && (k.dst_port === undefined || ((m.dst_port ^ k.dst_port) & (m.dst_port_mask ?? 0xffff)) !== 0))
      return false
    if (m.icmp_type !== undefined && m.icmp_type !== k.icmp_type) return false
    if (m.icmp_code !== undefined && m.icmp_code !== k.icmp_code) return false
    if (m.tcp_flags !== undefined && (k.tcp_flags === undefined || (k.tcp_flags & m.tcp_flags.mask) !== m.tcp_flags.value)) return false
    if (m.ip_frag !== undefined && m.ip_frag !== (k.frag === true)) return false
    return true
  }
}
