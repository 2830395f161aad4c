// The router_advert entry of a router interface: its port's IPv6 subnets that have an ipv6_ra_mode (Neutron sends
// RAs only for those: without a mode an external router is expected to advertise), each with that mode, the
// network's MTU and the DNS servers of those subnets (IPv6 ones only: RDNSS carries IPv6 addresses, RFC 8106 5.1).
// Returns undefined when the interface advertises nothing.
import type { Ipv6RaMode, RouterAdvertEntry } from '../../datapath/host/entries.js'
import { RA_MAX_DNS, RA_MAX_PREFIXES } from '../../datapath/spec/entry-kinds.js'
import type { Network, Port, Subnet } from '../../model/types.js'
import { formatAddr, ipOf, lowerMac, networkPrefix } from './addresses.js'
import type { CompileProblem } from './problems.js'

const RA_MODES: readonly string[] = ['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless'] satisfies Ipv6RaMode[]
const isRaMode = (m: string | null | undefined): m is Ipv6RaMode => m !== null && m !== undefined && RA_MODES.includes(m)

export function buildRouterAdvert(
  iface: { port: Port; network: Network; subnets: Map<string, Subnet> },
  problems: CompileProblem[],
): RouterAdvertEntry | undefined {
  const prefixes: RouterAdvertEntry['prefixes'] = []
  const dns: string[] = []
  const seen = new Set<string>()
  for (const f of iface.port.fixed_ips ?? []) {
    const subnet = iface.subnets.get(f.subnet_id)
    if (subnet === undefined || subnet.ip_version !== 6 || seen.has(subnet.id) || !isRaMode(subnet.ipv6_ra_mode)) continue
    seen.add(subnet.id)
    const prefix = networkPrefix(subnet.cidr)
    if (prefix === undefined) continue
    prefixes.push({ prefix, mode: subnet.ipv6_ra_mode })
    for (const d of subnet.dns_nameservers ?? []) {
      const a = ipOf(d)
      const text = a === undefined ? undefined : formatAddr(a)
      if (text !== undefined && text.includes(':') && !dns.includes(text)) dns.push(text)
    }
  }
  if (prefixes.length === 0) return undefined
  const object = `ports/${iface.port.id}`
  if (prefixes.length > RA_MAX_PREFIXES) {
    problems.push({
      code: 'too_many',
      object,
      detail: `${prefixes.length} IPv6 subnets to advertise, a router advertisement carries ${RA_MAX_PREFIXES}`,
    })
    prefixes.length = RA_MAX_PREFIXES
  }
  if (dns.length > RA_MAX_DNS) {
    problems.push({ code: 'too_many', object, detail: `${dns.length} IPv6 DNS servers, a router advertisement carries ${RA_MAX_DNS}` })
    dns.length = RA_MAX_DNS
  }
  const mtu = iface.network.mtu
  return {
    stage: 'router_advert',
    network: iface.network.key,
    port: iface.port.key,
    mac: lowerMac(iface.port.mac_address ?? ''),
    prefixes,
    // an MTU under IPv6's minimum (RFC 8200 5) is not advertised: hosts would ignore it (RFC 4861 6.3.4)
    ...(typeof mtu === 'number' && mtu >= 1280 ? { mtu } : {}),
    ...(dns.length > 0 ? { dns } : {}),
  }
}
