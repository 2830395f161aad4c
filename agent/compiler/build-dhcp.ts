// The DHCPv4 entry of a local port: its first IPv4 fixed IP on a subnet with enable_dhcp, the subnet's gateway,
// DNS servers and host routes (option 121), the network MTU, and the port's extra_dhcp_opts on top.
//
// Server address (option 54 and the reply's source): the network's DHCP port (device_owner network:dhcp) address
// on that subnet, as Neutron's DHCP agent would answer from; without one, the subnet's gateway IP with a MAC
// derived from the subnet id (locally administered, so it collides with no Neutron fa:16:3e MAC). The datapath
// answers in place on every node, so no packet ever goes to that address: it only has to be stable and
// inside the subnet. A subnet with neither gets no DHCP entry (reported).
import type { DhcpEntry } from '../../datapath/host/entries.js'
import type { Network, Port, Subnet } from '../../model/types.js'
import { cidrOf, ipOf, lowerMac } from './addresses.js'
import { applyExtraDhcpOpts } from './dhcp-extra-options.js'
import type { CompileProblem } from './problems.js'

export interface DhcpInput {
  port: Port
  network: Network
  /** The subnets of the port's fixed IPs that are known (missing ones wait). */
  subnets: Map<string, Subnet>
  /** The network's DHCP ports. */
  dhcpPorts: Port[]
}

/** FNV-1a over the subnet id: a stable, well-spread 32-bit value for the derived server MAC. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0
  return h
}

/** 02:xx:... is unicast and locally administered (IEEE 802 bit 1 of the first octet). */
export function derivedServerMac(subnetId: string): string {
  const h = fnv1a(subnetId)
  const bytes = [0x02, 0xdf, h >>> 24, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff]
  return bytes.map(b => b.toString(16).padStart(2, '0')).join(':')
}

export function dhcpServer(subnet: Subnet, dhcpPorts: Port[]): { ip: string; mac: string } | undefined {
  const sorted = [...dhcpPorts].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  for (const p of sorted) {
    const f = (p.fixed_ips ?? []).find(x => x.subnet_id === subnet.id)
    if (f && p.mac_address) return { ip: f.ip_address, mac: lowerMac(p.mac_address) }
  }
  if (subnet.gateway_ip) return { ip: subnet.gateway_ip, mac: derivedServerMac(subnet.id) }
  return undefined
}

export function buildDhcp(input: DhcpInput, problems: CompileProblem[]): DhcpEntry | undefined {
  const { port, network } = input
  for (const f of port.fixed_ips ?? []) {
    const subnet = input.subnets.get(f.subnet_id)
    if (!subnet || subnet.ip_version !== 4 || !subnet.enable_dhcp || ipOf(f.ip_address)?.family !== 4) continue
    const object = `ports/${port.id}`
    const server = dhcpServer(subnet, input.dhcpPorts)
    if (!server) {
      problems.push({ code: 'dhcp_no_server', object, detail: `subnet ${subnet.id} has DHCP but neither a DHCP port nor a gateway` })
      return undefined
    }
    const entry: DhcpEntry = {
      stage: 'dhcp',
      port: port.key,
      mac: lowerMac(port.mac_address),
      ip: f.ip_address,
      prefix_len: cidrOf(subnet.cidr)?.length ?? 32,
      server_ip: server.ip,
      server_mac: server.mac,
    }
    if (subnet.gateway_ip) entry.router = subnet.gateway_ip
    const dns = (subnet.dns_nameservers ?? []).filter(d => ipOf(d)?.family === 4)
    if (dns.length > 0) entry.dns = dns
    const routes = (subnet.host_routes ?? []).filter(r => cidrOf(r.destination)?.family === 4 && ipOf(r.nexthop)?.family === 4)
    if (routes.length > 0) entry.routes = routes.map(r => ({ destination: r.destination, nexthop: r.nexthop }))
    // RFC 2132 5.1: 68 is the smallest MTU a client may be told.
    if (Number.isInteger(network.mtu) && network.mtu >= 68) entry.mtu = network.mtu
    applyExtraDhcpOpts(entry, { opts: port.extra_dhcp_opts ?? [], object, problems })
    return entry
  }
  return undefined
}
