// Renders a TcProgram as a `tc -batch` file: one shared ingress block (`tc qdisc add dev pN ingress_block 1
// ingress` binds each port), `filter add block 1 ...` lines in chain/prio order, with a comment naming each
// chain's stage and context. Netdevs are named p<ofport>; the tunnel netdev is vxlan_sys_4789 / genev_sys_6081.
import { hexOf } from '../../../datapath/host/addresses.js'
import { ETH_TYPE_ARP, ETH_TYPE_IPV4, ETH_TYPE_IPV6 } from '../frame-dissector.js'
import type { FlowerMatch, FlowerRule, TcAction, TcProgram, VerdictNote } from './flower-rule.js'

const BLOCK = 1
const PROTOCOL: Record<number, string> = { [ETH_TYPE_IPV4]: 'ip', [ETH_TYPE_IPV6]: 'ipv6', [ETH_TYPE_ARP]: 'arp' }
const VERDICT_CODE: Record<VerdictNote['action'], number> = { output: 1, tunnel: 3, flood: 4, drop: 0 }

export const devOf = (ofport: number): string => `p${ofport}`

/** Order of protocols inside one logical priority: the kernel refuses two protocols at one chain+prio. */
const PROTOCOL_RANK = ['802.1Q', 'ip', 'ipv6', 'arp']
const RANKS = PROTOCOL_RANK.length + 2

/** The tc prio a rule is installed at: its band, split per protocol (flower-model.ts tries rules in this order). */
export function kernelPrio(r: Pick<FlowerRule, 'prio' | 'match'>): number {
  const proto = protocolOf(r.match).replace('protocol ', '')
  const rank = PROTOCOL_RANK.indexOf(proto)
  return r.prio * RANKS + (rank >= 0 ? rank : proto === 'all' ? RANKS - 1 : RANKS - 2)
}

export function renderTcBatch(p: TcProgram): string {
  const tunnelDev = p.tunnel === 'vxlan' ? 'vxlan_sys_4789' : 'genev_sys_6081'
  const lines: string[] = []
  let chain = -1
  for (const r of [...p.rules].sort((a, b) => a.chain - b.chain || kernelPrio(a) - kernelPrio(b))) {
    if (r.chain !== chain) {
      chain = r.chain
      lines.push(`# chain ${chain}: ${p.chains.get(chain) ?? ''}`)
      if (chain !== 0) lines.push(`chain add block ${BLOCK} ingress chain ${chain}`)
    }
    lines.push(
      `filter add block ${BLOCK} ingress ${protocolOf(r.match)} chain ${r.chain} prio ${kernelPrio(r)} flower ` +
        `${matchText(r.match, tunnelDev)}${r.actions.map(a => ` action ${actionText(a, tunnelDev)}`).join('')}`.replace(/ +/g, ' '),
    )
  }
  return lines.join('\n') + '\n'
}

function protocolOf(m: FlowerMatch): string {
  if (m.vlan !== undefined) return 'protocol 802.1Q'
  return `protocol ${m.eth_type !== undefined ? (PROTOCOL[m.eth_type] ?? `0x${m.eth_type.toString(16)}`) : 'all'}`
}

function matchText(m: FlowerMatch, tunnelDev: string): string {
  const out: string[] = []
  if (m.indev !== undefined) out.push(`indev ${devOf(m.indev)}`)
  if (m.fromTunnel === true) out.push(`indev ${tunnelDev}`)
  if (typeof m.vlan === 'number') out.push(`vlan_id ${m.vlan}`)
  if (m.vlan !== undefined && m.eth_type !== undefined) out.push(`vlan_ethtype ${PROTOCOL[m.eth_type] ?? m.eth_type}`)
  if (m.enc_key_id !== undefined) out.push(`enc_key_id ${m.enc_key_id}`)
  if (m.eth_dst !== undefined) out.push(`dst_mac ${m.eth_dst}${m.eth_dst_mask !== undefined ? `/${m.eth_dst_mask}` : ''}`)
  if (m.eth_src !== undefined) out.push(`src_mac ${m.eth_src}${m.eth_src_mask !== undefined ? `/${m.eth_src_mask}` : ''}`)
  if (m.ip_proto !== undefined)
    out.push(`ip_proto ${({ 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' } as Record<number, string>)[m.ip_proto] ?? m.ip_proto}`)
  if (m.src_ip !== undefined) out.push(`src_ip ${m.src_ip}`)
  if (m.dst_ip !== undefined) out.push(`dst_ip ${m.dst_ip}`)
  if (m.ip_ttl !== undefined) out.push(`ip_ttl ${m.ip_ttl}`)
  if (m.src_port !== undefined) out.push(`src_port ${m.src_port}`)
  if (m.dst_port !== undefined)
    out.push(`dst_port ${m.dst_port}${m.dst_port_mask !== undefined ? `/0x${m.dst_port_mask.toString(16)}` : ''}`)
  if (m.icmp_type !== undefined) out.push(`type ${m.icmp_type}`)
  if (m.icmp_code !== undefined) out.push(`code ${m.icmp_code}`)
  if (m.tcp_flags !== undefined) out.push(`tcp_flags 0x${m.tcp_flags.value.toString(16)}/0x${m.tcp_flags.mask.toString(16)}`)
  if (m.ip_frag === true) out.push('ip_flags frag')
  if (m.ct_state !== undefined) {
    const flags = Object.entries(m.ct_state)
      .map(([f, on]) => `${on === true ? '+' : '-'}${f}`)
      .join('')
    out.push(`ct_state ${flags}`)
  }
  if (m.ct_mark !== undefined) out.push(`ct_mark ${m.ct_mark.value}/0x${m.ct_mark.mask.toString(16)}`)
  if (m.arp_op !== undefined) out.push(`arp_op ${m.arp_op === 1 ? 'request' : 'reply'}`)
  if (m.arp_sha !== undefined) out.push(`arp_sha ${m.arp_sha}`)
  if (m.arp_sip !== undefined) out.push(`arp_sip ${m.arp_sip}`)
  if (m.arp_tip !== undefined) out.push(`arp_tip ${m.arp_tip}`)
  return out.join(' ')
}

/** 16 bytes: verdict, reason, network, port (u32 each, network order): the action cookie. */
function cookieOf(n: VerdictNote): string {
  const b = new Uint8Array(16)
  const v = new DataView(b.buffer)
  v.setUint32(0, VERDICT_CODE[n.action])
  v.setUint32(4, n.reason)
  v.setUint32(8, n.network ?? 0)
  v.setUint32(12, n.port ?? 0)
  return hexOf(b)
}

function actionText(a: TcAction, tunnelDev: string): string {
  switch (a.kind) {
    case 'vlan_pop':
      return 'vlan pop'
    case 'vlan_push':
      return `vlan push id ${a.vid} priority 0`
    case 'pedit_ip':
      return `pedit ex munge ${a.ip.includes(':') ? 'ip6' : 'ip'} ${a.field} set ${a.ip} pipe action csum ip4h and tcp and udp`
    case 'tunnel_key_unset':
      return 'tunnel_key unset'
    case 'tunnel_key_set':
      return `tunnel_key set id ${a.id} src_ip 0.0.0.0 dst_ip ${a.dst} nocsum`
    case 'pedit_eth':
      return `pedit ex munge eth ${a.field} set ${a.mac}`
    case 'dec_ttl':
      return a.family === 4 ? 'pedit ex munge ip ttl add 0xff action csum ip' : 'pedit ex munge ip6 hoplimit add 0xff'
    case 'mirred': {
      const dev = typeof a.to === 'number' ? devOf(a.to) : tunnelDev
      return `mirred egress ${a.mode} dev ${dev}${a.note !== undefined ? ` cookie ${cookieOf(a.note)}` : ''}`
    }
    case 'goto':
      return `goto chain ${a.chain}`
    case 'ct':
      return `ct zone ${a.zone} pipe`
    case 'drop':
      return `drop cookie ${cookieOf(a.note)}`
    case 'trap':
      return 'trap'
  }
}
