// P4 table entries from the same stage decisions as TC (tc-*-rules.ts): a chain is a value of `meta.ctx` and
// its stage's table holds its rules; goto chain = set meta.ctx (the table of a later stage picks it up);
// keys are exact, ternary (MACs with a mask, the rest exact-as-ternary) or lpm (prefixes) by field.
import type { Entry } from '../../../datapath/host/entries.js'
import { STAGES } from '../../../datapath/spec/stages.js'
import type { Profile } from '../../profile.js'
import type { FlowerMatch, TcAction } from '../tc/flower-rule.js'
import { emitTc, type TcEmitOptions } from '../tc/emit-tc.js'
import { kernelPrio } from '../tc/tc-batch-text.js'
import type { P4Entry, P4Key, P4Op, P4Program } from './p4-entry.js'

/** P4Runtime priorities: higher wins; TC prio: lower wins. */
const PRIORITY_TOP = 1 << 20

export const tableOf = (stage: string): string => `ingress.${stage}`

export function emitP4(entries: Entry[], profile: Profile, opts: TcEmitOptions = {}): P4Program {
  const tc = emitTc(entries, profile, opts)
  const out: P4Entry[] = tc.rules.map(r => ({
    table: tableOf(r.stage),
    priority: PRIORITY_TOP - kernelPrio(r),
    match: { 'meta.ctx': { exact: r.chain }, ...keysOf(r.match) },
    action: r.actions.map(opOf),
  }))
  return { tables: STAGES.map(s => tableOf(s.name)), entries: out, contexts: Object.fromEntries(tc.chains) }
}

function keysOf(m: FlowerMatch): Record<string, P4Key> {
  const k: Record<string, P4Key> = {}
  const mac = (v: string, mask: string | undefined): P4Key => ({ ternary: { value: v, mask: mask ?? 'ff:ff:ff:ff:ff:ff' } })
  if (m.indev !== undefined) k['std.ingress_port'] = { exact: m.indev }
  if (m.fromTunnel !== undefined) k['meta.from_tunnel'] = { exact: m.fromTunnel ? 1 : 0 }
  if (m.enc_key_id !== undefined) k['meta.vni'] = { exact: m.enc_key_id }
  if (m.vlan !== undefined) k['hdr.vlan.vid'] = typeof m.vlan === 'number' ? { exact: m.vlan } : { exact: 'valid' }
  if (m.eth_dst !== undefined) k['hdr.ethernet.dst_addr'] = mac(m.eth_dst, m.eth_dst_mask)
  if (m.eth_src !== undefined) k['hdr.ethernet.src_addr'] = mac(m.eth_src, m.eth_src_mask)
  if (m.eth_type !== undefined) k['meta.ether_type'] = { exact: m.eth_type }
  if (m.ip_proto !== undefined) k['meta.ip_proto'] = { exact: m.ip_proto }
  if (m.src_ip !== undefined) k['meta.ip_src'] = { lpm: m.src_ip }
  if (m.dst_ip !== undefined) k['meta.ip_dst'] = { lpm: m.dst_ip }
  if (m.ip_ttl !== undefined) k['meta.ttl'] = { exact: m.ip_ttl }
  if (m.arp_op !== undefined) k['hdr.arp.oper'] = { exact: m.arp_op }
  if (m.arp_sha !== undefined) k['hdr.arp.sha'] = mac(m.arp_sha, undefined)
  if (m.arp_sip !== undefined) k['hdr.arp.spa'] = { lpm: m.arp_sip }
  if (m.arp_tip !== undefined) k['hdr.arp.tpa'] = { lpm: m.arp_tip }
  if (m.src_port !== undefined) k['meta.l4_src'] = { exact: m.src_port }
  if (m.dst_port !== undefined) k['meta.l4_dst'] = { exact: m.dst_port }
  if (m.icmp_type !== undefined) k['meta.icmp_type'] = { exact: m.icmp_type }
  if (m.dst_port_mask !== undefined && m.dst_port !== undefined)
    k['meta.l4_dst'] = { ternary: { value: String(m.dst_port), mask: String(m.dst_port_mask) } }
  if (m.icmp_code !== undefined) k['meta.icmp_code'] = { exact: m.icmp_code }
  if (m.tcp_flags !== undefined) k['meta.tcp_flags'] = { ternary: { value: String(m.tcp_flags.value), mask: String(m.tcp_flags.mask) } }
  if (m.ip_frag !== undefined) k['meta.ip_frag'] = { exact: m.ip_frag ? 1 : 0 }
  if (m.ct_state !== undefined) {
    // one bit per flag: trk 1, est 2, rpl 4 (as meta.ct_state is laid out by the connection-table extern)
    const bits = { trk: 1, est: 2, rpl: 4 } as const
    let value = 0
    let mask = 0
    for (const [f, on] of Object.entries(m.ct_state) as [keyof typeof bits, boolean][]) {
      mask |= bits[f]
      if (on) value |= bits[f]
    }
    k['meta.ct_state'] = { ternary: { value: String(value), mask: String(mask) } }
  }
  if (m.ct_mark !== undefined) k['meta.ct_mark'] = { ternary: { value: String(m.ct_mark.value), mask: String(m.ct_mark.mask) } }
  return k
}

function opOf(a: TcAction): P4Op {
  switch (a.kind) {
    case 'vlan_pop':
      return { op: 'pop_vlan' }
    case 'vlan_push':
      return { op: 'push_vlan', vid: a.vid }
    case 'pedit_ip':
      return { op: 'set_ip', field: a.field, ip: a.ip }
    case 'tunnel_key_unset':
      return { op: 'tunnel_decap' }
    case 'pedit_eth':
      return { op: 'set_eth', field: a.field, mac: a.mac }
    case 'dec_ttl':
      return { op: 'dec_ttl' }
    case 'tunnel_key_set':
      return { op: 'tunnel_encap', vni: a.id, dst: a.dst }
    case 'mirred':
      if (a.mode === 'mirror') return { op: 'clone', port: a.to }
      return { op: 'forward', port: a.to, note: a.note ?? { action: 'output', reason: 0 } }
    case 'goto':
      return { op: 'set_ctx', ctx: a.chain }
    case 'ct':
      return { op: 'ct_lookup', zone: a.zone }
    case 'drop':
      return { op: 'drop', note: a.note }
    case 'trap':
      return { op: 'punt', why: a.why }
  }
}
