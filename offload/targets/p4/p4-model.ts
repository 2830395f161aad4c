// MODEL of the P4 pipeline (no P4 target here): the tables are applied in STAGES order; in each, the entries
// whose `meta.ctx` equals the current context are tried by priority (highest first) and the first whose keys
// all match runs its action; no entry = the table's default NoAction. set_ctx moves the packet to a later
// stage's entries; forward / drop end; punt sends it to the CPU port (the WASM pipeline).
import type { PacketInput, Verdict } from '../../../datapath/host/api.js'
import type { Cidr } from '../../../datapath/host/addresses.js'
import { REASON_NAMES } from '../../../datapath/spec/verdicts.js'
import { type FrameKey, dissect } from '../frame-dissector.js'
import { CidrCache, type IngressMeta, decTtl, ingress, macBytes, macMatches } from '../frame-ops.js'
import { pushVlan, setIpAddress } from '../frame-rewrite.js'
import type { TargetModel, TargetOutcome } from '../target-outcome.js'
import { type PacketCt, type TargetConntrack, runTracked } from '../ct/target-conntrack.js'
import type { ModelOptions } from '../tc/flower-model.js'
import type { VerdictNote } from '../tc/flower-rule.js'
import type { P4Entry, P4Key, P4Program } from './p4-entry.js'

type Meta = IngressMeta

export class P4Model implements TargetModel {
  /** table -> ctx -> entries by priority */
  private readonly index = new Map<string, Map<number, P4Entry[]>>()
  private readonly cidrs = new CidrCache()
  private readonly ct: TargetConntrack | undefined
  private pktCt: PacketCt | undefined

  constructor(
    private readonly program: P4Program,
    opts: ModelOptions = {},
  ) {
    this.ct = opts.conntrack
    for (const e of program.entries) {
      const ctx = Number((e.match['meta.ctx'] as { exact: number }).exact) // emit-p4.ts always sets it
      const byCtx = this.index.get(e.table) ?? new Map<number, P4Entry[]>()
      this.index.set(e.table, byCtx)
      byCtx.set(ctx, [...(byCtx.get(ctx) ?? []), e])
    }
    for (const byCtx of this.index.values()) for (const list of byCtx.values()) list.sort((a, b) => b.priority - a.priority)
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
    let ctx = 0
    let remote: string | undefined
    for (const table of this.program.tables) {
      const key = dissect(frame)
      const list = this.index.get(table)?.get(ctx) ?? []
      const hit = key === undefined ? undefined : list.find(e => this.matches(e, key, meta))
      if (hit === undefined) continue
      const stage = table.replace(/^ingress\./, '')
      for (const op of hit.action) {
        const k = dissect(frame)
        switch (op.op) {
          case 'pop_vlan':
            if (k?.vlan !== undefined) frame = Uint8Array.from([...frame.subarray(0, 12), ...frame.subarray(16)])
            break
          case 'tunnel_decap':
            break // the parser already took the inner frame
          case 'push_vlan':
            frame = pushVlan(frame, op.vid)
            break
          case 'set_ip':
            if (k !== undefined) setIpAddress(frame, k, { field: op.field, ip: op.ip, fix: 'incremental' })
            break
          case 'set_eth':
            frame.set(macBytes(op.mac), op.field === 'dst' ? 0 : 6)
            break
          case 'dec_ttl':
            decTtl(frame, k)
            break
          case 'tunnel_encap':
            remote = op.dst
            break
          case 'clone':
            break
          case 'set_ctx':
            ctx = op.ctx
            break
          case 'ct_lookup':
            if (this.ct === undefined || k === undefined) return { trap: 'ct_lookup without a connection table on this target', stage }
            this.pktCt = this.ct.lookup(op.zone, k, nowMs)
            break
          case 'forward':
            return {
              verdict: verdictOf(
                op.note,
                frame,
                typeof op.port === 'number' ? { ofport: op.port } : remote !== undefined ? { remote } : {},
              ),
              stage,
            }
          case 'drop':
            return { verdict: verdictOf(op.note, frame, {}), stage }
          case 'punt':
            return { trap: op.why, stage }
        }
      }
    }
    return { trap: `no table decided (context ${this.program.contexts[ctx] ?? ctx})`, stage: 'parse' }
  }

  private matches(e: P4Entry, k: FrameKey, meta: Meta): boolean {
    for (const [field, key] of Object.entries(e.match)) {
      if (field === 'meta.ctx') continue
      if (!this.field(field, key, k, meta)) return false
    }
    return true
  }

  private field(name: string, key: P4Key, k: FrameKey, meta: Meta): boolean {
    const exact = (v: number | string | undefined): boolean => 'exact' in key && v !== undefined && key.exact === v
    const lpm = (ip: Parameters<Cidr['contains']>[0] | undefined): boolean =>
      'lpm' in key && ip !== undefined && this.cidrs.get(key.lpm).contains(ip)
    const num = (v: number | undefined): boolean =>
      'ternary' in key && v !== undefined && ((v ^ Number(key.ternary.value)) & Number(key.ternary.mask)) === 0
    const tern = (mac: { bytes: Uint8Array } | undefined): boolean =>
      'ternary' in key && mac !== undefined && macMatches(mac.bytes, key.ternary.value, key.ternary.mask)
    switch (name) {
      case 'std.ingress_port':
        return !meta.tunnel && exact(meta.in_port)
      case 'meta.from_tunnel':
        return exact(meta.tunnel ? 1 : 0)
      case 'meta.vni':
        return exact(meta.vni)
      case 'hdr.vlan.vid':
        return k.vlan !== undefined && 'exact' in key && (key.exact === 'valid' || key.exact === k.vlan)
      case 'hdr.ethernet.dst_addr':
        return tern(k.eth_dst)
      case 'hdr.ethernet.src_addr':
        return tern(k.eth_src)
      case 'meta.ether_type':
        return exact(k.eth_type)
      case 'meta.ip_proto':
        return exact(k.ip_proto)
      case 'meta.ip_src':
        return lpm(k.ip_src)
      case 'meta.ip_dst':
        return lpm(k.ip_dst)
      case 'meta.ttl':
        return exact(k.ttl)
      case 'hdr.arp.oper':
        return exact(k.arp_op)
      case 'hdr.arp.sha':
        return tern(k.arp_sha)
      case 'hdr.arp.spa':
        return lpm(k.arp_spa)
      case 'hdr.arp.tpa':
        return lpm(k.arp_tpa)
      case 'meta.l4_src':
        return exact(k.src_port)
      case 'meta.l4_dst':
        return 'ternary' in key ? num(k.dst_port) : exact(k.dst_port)
      case 'meta.icmp_type':
        return exact(k.icmp_type)
      case 'meta.icmp_code':
        return exact(k.icmp_code)
      case 'meta.tcp_flags':
        return num(k.tcp_flags)
      case 'meta.ip_frag':
        return exact(k.frag === true ? 1 : 0)
      case 'meta.ct_state': {
        const s = this.pktCt
        return num(s === undefined ? 0 : (s.trk ? 1 : 0) | (s.est ? 2 : 0) | (s.rpl ? 4 : 0))
      }
      case 'meta.ct_mark':
        return num(this.pktCt?.mark ?? 0)
      default:
        return false // a key this model does not know never matches, so a new one cannot pass unnoticed
    }
  }
}

function verdictOf(note: VerdictNote, frame: Uint8Array, out: { ofport?: number; remote?: string }): Verdict {
  const v: Verdict = { action: note.action, reason: REASON_NAMES[note.reason] ?? 'none', packet: frame }
  if (out.ofport !== undefined) v.ofport = out.ofport
  if (note.network !== undefined) v.network = note.network
  if (note.port !== undefined) v.port = note.port
  if (note.action === 'tunnel' && out.remote !== undefined) v.remote = out.remote
  return v
}
