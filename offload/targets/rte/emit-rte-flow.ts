// rte_flow / DOCA-Flow emitter. The stage decisions (what each stage matches, rewrites, traps, per profile
// capability) are the TC rule makers' (tc-*-rules.ts), which are target-neutral in content: a match on header
// fields, rewrites, a jump, a terminal verdict. This file writes them with rte_flow items and actions: chains
// become groups (JUMP), pedit becomes SET_MAC_* / DEC_TTL, tunnel_key becomes VXLAN_DECAP / VXLAN_ENCAP, mirred
// mirror becomes SAMPLE ratio 1, trap becomes SEND_TO_KERNEL, and a verdict travels in a MARK.
import type { Entry } from '../../../datapath/host/entries.js'
import {
  ETH_TYPE_ARP,
  ETH_TYPE_IPV4,
  ETH_TYPE_IPV6,
  IP_PROTO_ICMP,
  IP_PROTO_ICMPV6,
  IP_PROTO_TCP,
  IP_PROTO_UDP,
} from '../frame-dissector.js'
import type { Profile } from '../../profile.js'
import type { FlowerMatch, TcAction, VerdictNote } from '../tc/flower-rule.js'
import { emitTc, type TcEmitOptions } from '../tc/emit-tc.js'
import { kernelPrio } from '../tc/tc-batch-text.js'
import type { RteAction, RteFlowEntry, RteItem, RtePipe, RteProgram } from './rte-flow-rule.js'

const VERDICT_BITS: Record<VerdictNote['action'], number> = { drop: 0, output: 1, tunnel: 3, flood: 4 }
const markOf = (note: VerdictNote): RteAction => ({ type: 'MARK', id: (VERDICT_BITS[note.action] << 8) | note.reason, note })

export function emitRteFlow(entries: Entry[], profile: Profile, opts: TcEmitOptions = {}): RteProgram {
  const tc = emitTc(entries, profile, opts)
  const pipes = new Map<string, RtePipe>()
  for (const r of tc.rules) {
    const pattern = itemsOf(r.match)
    const match = pattern.flatMap(i =>
      Object.keys(i)
        .filter(k => k !== 'type')
        .map(k => `${i.type}.${k}`),
    )
    const name = `${tc.chains.get(r.chain) ?? r.chain} [${match.join(',') || 'any'}]`
    const pipe = pipes.get(name) ?? { name, group: r.chain, match, entries: [] }
    pipes.set(name, pipe)
    const entry: RteFlowEntry = { priority: kernelPrio(r), pattern, actions: actionsOf(r.actions) }
    pipe.entries.push(entry)
  }
  return { pipes: [...pipes.values()].sort((a, b) => a.group - b.group) }
}

function itemsOf(m: FlowerMatch): RteItem[] {
  const items: RteItem[] = []
  if (m.indev !== undefined) items.push({ type: 'REPRESENTED_PORT', ethdev_port_id: m.indev })
  if (m.fromTunnel === true) items.push({ type: 'TUNNEL', ...(m.enc_key_id !== undefined ? { vni: m.enc_key_id } : {}) })
  const l3 = m.eth_type === ETH_TYPE_IPV4 || m.eth_type === ETH_TYPE_IPV6 || m.eth_type === ETH_TYPE_ARP
  items.push({
    type: 'ETH',
    ...(m.eth_dst !== undefined ? { dst: { spec: m.eth_dst, ...(m.eth_dst_mask !== undefined ? { mask: m.eth_dst_mask } : {}) } } : {}),
    ...(m.eth_src !== undefined ? { src: { spec: m.eth_src, ...(m.eth_src_mask !== undefined ? { mask: m.eth_src_mask } : {}) } } : {}),
    ...(m.eth_type !== undefined && !l3 ? { ether_type: m.eth_type } : {}),
  })
  if (m.vlan !== undefined) items.push({ type: 'VLAN', ...(typeof m.vlan === 'number' ? { vid: m.vlan } : {}) })
  if (m.eth_type === ETH_TYPE_ARP) {
    items.push({
      type: 'ARP_ETH_IPV4',
      ...(m.arp_op !== undefined ? { opcode: m.arp_op } : {}),
      ...(m.arp_sha !== undefined ? { sha: m.arp_sha } : {}),
      ...(m.arp_sip !== undefined ? { spa: m.arp_sip } : {}),
      ...(m.arp_tip !== undefined ? { tpa: m.arp_tip } : {}),
    })
  }
  if (m.eth_type === ETH_TYPE_IPV4 || m.eth_type === ETH_TYPE_IPV6) {
    items.push({
      type: m.eth_type === ETH_TYPE_IPV4 ? 'IPV4' : 'IPV6',
      ...(m.src_ip !== undefined ? { src: m.src_ip } : {}),
      ...(m.dst_ip !== undefined ? { dst: m.dst_ip } : {}),
      ...(m.ip_proto !== undefined ? { proto: m.ip_proto } : {}),
      ...(m.ip_ttl !== undefined ? { ttl: m.ip_ttl } : {}),
      ...(m.ip_frag !== undefined ? { fragment: m.ip_frag } : {}),
    })
  }
  if (m.ip_proto === IP_PROTO_UDP || m.ip_proto === IP_PROTO_TCP) {
    if (m.src_port !== undefined || m.dst_port !== undefined || m.tcp_flags !== undefined) {
      items.push({
        type: m.ip_proto === IP_PROTO_UDP ? 'UDP' : 'TCP',
        ...(m.src_port !== undefined ? { src_port: m.src_port } : {}),
        ...(m.dst_port !== undefined
          ? { dst_port: { spec: m.dst_port, ...(m.dst_port_mask !== undefined ? { mask: m.dst_port_mask } : {}) } }
          : {}),
        ...(m.tcp_flags !== undefined ? { tcp_flags: { spec: m.tcp_flags.value, mask: m.tcp_flags.mask } } : {}),
      })
    }
  }
  if ((m.ip_proto === IP_PROTO_ICMP || m.ip_proto === IP_PROTO_ICMPV6) && m.icmp_type !== undefined) {
    items.push({
      type: m.ip_proto === IP_PROTO_ICMP ? 'ICMP' : 'ICMP6',
      icmp_type: m.icmp_type,
      ...(m.icmp_code !== undefined ? { icmp_code: m.icmp_code } : {}),
    })
  }
  if (m.ct_state !== undefined || m.ct_mark !== undefined) {
    items.push({
      type: 'CONNTRACK',
      ...(m.ct_state !== undefined ? { state: m.ct_state } : {}),
      ...(m.ct_mark !== undefined ? { mark: { spec: m.ct_mark.value, mask: m.ct_mark.mask } } : {}),
    })
  }
  return items
}

function actionsOf(list: TcAction[]): RteAction[] {
  const out: RteAction[] = []
  let encap: RteAction | undefined
  for (const a of list) {
    switch (a.kind) {
      case 'vlan_pop':
        out.push({ type: 'OF_POP_VLAN' })
        break
      case 'vlan_push':
        out.push({ type: 'OF_PUSH_VLAN', ethertype: 0x8100 }, { type: 'OF_SET_VLAN_VID', vlan_vid: a.vid })
        break
      case 'pedit_ip': {
        const v6 = a.ip.includes(':')
        out.push({
          type: v6 ? (a.field === 'src' ? 'SET_IPV6_SRC' : 'SET_IPV6_DST') : a.field === 'src' ? 'SET_IPV4_SRC' : 'SET_IPV4_DST',
          addr: a.ip,
        })
        break
      }
      case 'tunnel_key_unset':
        out.push({ type: 'VXLAN_DECAP' })
        break
      case 'pedit_eth':
        out.push({ type: a.field === 'src' ? 'SET_MAC_SRC' : 'SET_MAC_DST', mac: a.mac })
        break
      case 'dec_ttl':
        out.push({ type: 'DEC_TTL' })
        break
      case 'tunnel_key_set':
        encap = { type: 'VXLAN_ENCAP', vni: a.id, dst: a.dst }
        break
      case 'mirred': {
        const port: RteAction = typeof a.to === 'number' ? { type: 'REPRESENTED_PORT', ethdev_port_id: a.to } : { type: 'TUNNEL_PORT' }
        const via = typeof a.to === 'number' || encap === undefined ? [port] : [encap, port]
        if (a.mode === 'mirror') out.push({ type: 'SAMPLE', ratio: 1, actions: via })
        else out.push(...(a.note !== undefined ? [markOf(a.note)] : []), ...via)
        break
      }
      case 'goto':
        out.push({ type: 'JUMP', group: a.chain })
        break
      case 'ct':
        out.push({ type: 'CONNTRACK', zone: a.zone })
        break
      case 'drop':
        out.push(markOf(a.note), { type: 'DROP' })
        break
      case 'trap':
        out.push({ type: 'SEND_TO_KERNEL', why: a.why })
        break
    }
  }
  return out
}
