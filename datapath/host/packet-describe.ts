// A frame in one line, tcpdump-like, from its decoded fields: what `dragonflow trace` prints and what the
// conformance vectors carry as a summary of their input, for people reading the JSON.
import type { DecodedFrame } from './packet-decoder.js'

/** One line, tcpdump-like, from the decoded fields. */
export function describeFrame(d: DecodedFrame): string {
  const s = (k: string): string => String(d[k] ?? '?')
  const parts: string[] = []
  if (d.eth_src === undefined) return `not an Ethernet frame (${s('length')} bytes)${d.malformed ? `: ${s('malformed')}` : ''}`
  parts.push(`${s('eth_src')} > ${s('eth_dst')}${d.vlan_vid !== undefined ? ` vlan ${s('vlan_vid')}` : ''}`)
  if (d.arp_op !== undefined) {
    parts.push(
      d.arp_op === 1
        ? `ARP who-has ${s('arp_tpa')} tell ${s('arp_spa')}`
        : d.arp_op === 2
          ? `ARP ${s('arp_spa')} is-at ${s('arp_sha')} (to ${s('arp_tpa')} ${s('arp_tha')})`
          : `ARP op ${s('arp_op')}`,
    )
  } else if (d.ip_src !== undefined) {
    const hops = d.ttl !== undefined ? `ttl ${s('ttl')}` : `hop limit ${s('hop_limit')}`
    parts.push(`${d.ip_version === 6 ? 'IPv6' : 'IPv4'} ${s('ip_src')} > ${s('ip_dst')} ${hops}${d.ip6_ext ? ` [${s('ip6_ext')}]` : ''}`)
    if (d.icmp_type !== undefined) parts.push(icmpText(d))
    else if (d.udp_src !== undefined) parts.push(`UDP ${s('udp_src')} > ${s('udp_dst')}`)
    else if (d.tcp_src !== undefined) parts.push(`TCP ${s('tcp_src')} > ${s('tcp_dst')}`)
    if (d.tun_vni !== undefined) parts.push(`${d.layers?.toString().includes('geneve') ? 'Geneve' : 'VXLAN'} VNI ${s('tun_vni')}`)
    if (d.dhcp_op !== undefined) parts.push(dhcpText(d))
  } else {
    parts.push(
      `ethertype 0x${Number(d.eth_type ?? 0)
        .toString(16)
        .padStart(4, '0')}`,
    )
  }
  if (d.malformed) parts.push(`(${s('malformed')})`)
  return parts.join(', ')
}

function icmpText(d: DecodedFrame): string {
  const v6 = d.ip_version === 6
  const names: Record<number, string> = v6
    ? {
        1: 'destination unreachable',
        3: 'time exceeded',
        128: 'echo request',
        129: 'echo reply',
        133: 'router solicitation',
        134: 'router advertisement',
        135: 'neighbour solicitation',
        136: 'neighbour advertisement',
      }
    : { 0: 'echo reply', 3: 'destination unreachable', 8: 'echo request', 11: 'time exceeded' }
  const type = Number(d.icmp_type)
  const name = names[type] ?? `type ${type}`
  const nd = d.nd_target !== undefined ? ` for ${String(d.nd_target)}${d.nd_flags !== undefined ? ` [${String(d.nd_flags)}]` : ''}` : ''
  return `${v6 ? 'ICMPv6' : 'ICMP'} ${name}${d.icmp_code ? ` code ${String(d.icmp_code)}` : ''}${nd}`
}

function dhcpText(d: DecodedFrame): string {
  const parts = [`DHCP ${String(d.dhcp_type ?? 'without type').toUpperCase()} xid 0x${Number(d.dhcp_xid).toString(16)}`]
  const show: [string, string][] = [
    ['dhcp_yiaddr', 'yiaddr'],
    ['dhcp_server_id', 'server'],
    ['dhcp_subnet_mask', 'mask'],
    ['dhcp_router', 'router'],
    ['dhcp_dns', 'dns'],
    ['dhcp_domain', 'domain'],
    ['dhcp_lease', 'lease'],
    ['dhcp_mtu', 'mtu'],
    ['dhcp_routes', 'routes'],
  ]
  for (const [k, label] of show) {
    if (d[k] !== undefined && !(k === 'dhcp_yiaddr' && d[k] === '0.0.0.0')) parts.push(`${label} ${String(d[k])}`)
  }
  return parts.join(' ')
}
