// The entries of one port of a followed network. Every port (local, remote or unbound) makes its MAC and
// addresses known on the network: l2, arp_nd (fixed IPs, and exact allowed-address-pair IPs with a MAC of their
// own) and
// nexthop (fixed IPs, so routers resolve without a punt). Where the port is: classify + egress local for a port
// plugged here, egress remote for one bound to another chassis, nothing for an unbound one (frames to it drop
// egress_no_port; the l2 entry still keeps them from flooding); on a provider network, egress uplink instead of
// remote (nothing of a provider network is tunnelled). Port security and DHCP only matter where
// the port is plugged, so only local ports get them.
import type { Entry } from '../../datapath/host/entries.js'
import type { Network, Port } from '../../model/types.js'
import { exactIp, formatAddr, ipOf, lowerMac } from './addresses.js'
import { buildDhcp, type DhcpInput } from './build-dhcp.js'
import { buildDhcp6 } from './build-dhcp6.js'
import { buildPortSec } from './build-port-sec.js'
import type { CompileProblem } from './problems.js'

export interface PortInput {
  port: Port
  network: Network
  /** ofport when the port is plugged on this node. */
  ofport?: number | undefined
  /** Tunnel endpoint of the chassis the port is bound to, when that is another chassis. */
  remote?: string | undefined
  /** Bound to another chassis on a provider network: reached through the network's uplink, not a tunnel. */
  uplink?: boolean
  /** For DHCP (local ports only). */
  dhcp: Omit<DhcpInput, 'port' | 'network'>
}

export function buildPort(input: PortInput, problems: CompileProblem[]): Entry[] {
  const { port, network } = input
  const net = network.key
  const mac = lowerMac(port.mac_address ?? '')
  const out: Entry[] = []
  if (input.ofport !== undefined) {
    // VLAN 0: ports are plugged untagged; trunk subports are not modelled yet.
    out.push({ stage: 'classify', in_port: input.ofport, network: net, port: port.key })
    out.push({ stage: 'egress', port: port.key, local: input.ofport })
    out.push(...buildPortSec(port, problems))
    const dhcp = buildDhcp({ port, network, ...input.dhcp }, problems)
    if (dhcp) out.push(dhcp)
    const dhcp6 = buildDhcp6({ port, ...input.dhcp }, problems)
    if (dhcp6) out.push(dhcp6)
  } else if (input.uplink === true) {
    out.push({ stage: 'egress', port: port.key, uplink: true })
  } else if (input.remote !== undefined) {
    out.push({ stage: 'egress', port: port.key, remote: input.remote })
  }
  if (!mac) return out // no MAC yet (should not happen once stored): nothing to learn on the network
  out.push({ stage: 'l2', network: net, mac, port: port.key })
  for (const f of port.fixed_ips ?? []) {
    const a = ipOf(f.ip_address)
    if (!a) continue
    const ip = formatAddr(a)
    out.push({ stage: 'arp_nd', network: net, ip, mac })
    out.push({ stage: 'nexthop', network: net, ip, mac })
  }
  // Only pairs with a MAC of their own (a container or a second interface behind the port) are answered. A pair
  // on the port's own MAC is how VRRP/keepalived peers share a VIP: several ports claim it and only the current
  // master may answer, so its ARP is left to flood (the northbound fills a missing pair MAC with the port's).
  for (const pair of port.allowed_address_pairs ?? []) {
    const a = exactIp(pair.ip_address)
    const pairMac = pair.mac_address ? lowerMac(pair.mac_address) : mac
    if (a && pairMac !== mac) out.push({ stage: 'arp_nd', network: net, ip: formatAddr(a), mac: pairMac })
  }
  return out
}
