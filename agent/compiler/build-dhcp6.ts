// The DHCPv6 entry of a local port (RFC 8415; BEHAVIOUR.md step 6): its first fixed IP on an IPv6 subnet with
// enable_dhcp and ipv6_address_mode dhcpv6-stateful (the address is leased) or dhcpv6-stateless (DNS servers and
// the domain search list only), the subnet's IPv6 DNS servers, then the port's extra_dhcp_opts of ip_version 6
// named dns-server / domain-search (dnsmasq's names, or the codes 23 / 24), which win over the subnet's.
//
// Server MAC, and so the server DUID (DUID-LL) and the reply's link-local source: the network's DHCP port with an
// address on the subnet, as for DHCPv4, else the MAC derived from the subnet id. Both come from the model, so the
// DUID is the same on every node and across restarts.
import type { Dhcp6Entry } from '../../datapath/host/entries.js'
import { cidrOf, ipOf, lowerMac } from './addresses.js'
import { type DhcpInput, derivedServerMac } from './build-dhcp.js'
import type { CompileProblem } from './problems.js'

/** RFC 1035 2.3.4: a label is 1..63 bytes */
const LABEL = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/

function serverMac(input: Omit<DhcpInput, 'network'>, subnetId: string): string {
  const sorted = [...input.dhcpPorts].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const own = sorted.find(p => p.mac_address && (p.fixed_ips ?? []).some(f => f.subnet_id === subnetId))
  return own?.mac_address ? lowerMac(own.mac_address) : derivedServerMac(subnetId)
}

function applyExtraOpts(entry: Dhcp6Entry, input: Omit<DhcpInput, 'network'>, problems: CompileProblem[]): void {
  const object = `ports/${input.port.id}`
  for (const o of input.port.extra_dhcp_opts ?? []) {
    if (o.ip_version !== 6 || o.opt_value === null) continue
    const name = o.opt_name.replace(/^option6:/, '')
    const values = o.opt_value
      .split(',')
      .map(s => s.trim())
      .filter(s => s !== '')
    if (name === 'dns-server' || name === '23') {
      if (values.length > 0 && values.every(v => ipOf(v)?.family === 6)) entry.dns = values
      else
        problems.push({
          code: 'dhcp_option',
          object,
          detail: `extra_dhcp_opts 'dns-server': '${o.opt_value}' is not a list of IPv6 addresses`,
        })
    } else if (name === 'domain-search' || name === '24') {
      if (
        values.length > 0 &&
        values.every(v =>
          v
            .replace(/\.$/, '')
            .split('.')
            .every(l => LABEL.test(l)),
        )
      )
        entry.domains = values
      else
        problems.push({
          code: 'dhcp_option',
          object,
          detail: `extra_dhcp_opts 'domain-search': '${o.opt_value}' is not a list of domain names`,
        })
    }
  }
}

export function buildDhcp6(input: Omit<DhcpInput, 'network'>, problems: CompileProblem[]): Dhcp6Entry | undefined {
  const { port } = input
  for (const f of port.fixed_ips ?? []) {
    const subnet = input.subnets.get(f.subnet_id)
    if (!subnet || subnet.ip_version !== 6 || !subnet.enable_dhcp || ipOf(f.ip_address)?.family !== 6) continue
    const mode = subnet.ipv6_address_mode
    if (mode !== 'dhcpv6-stateful' && mode !== 'dhcpv6-stateless') continue
    const entry: Dhcp6Entry = {
      stage: 'dhcp6',
      port: port.key,
      mac: lowerMac(port.mac_address),
      mode,
      server_mac: serverMac(input, subnet.id),
    }
    if (mode === 'dhcpv6-stateful') {
      entry.ip = f.ip_address
      entry.prefix_len = cidrOf(subnet.cidr)?.length ?? 64
    }
    const dns = (subnet.dns_nameservers ?? []).filter(d => ipOf(d)?.family === 6)
    if (dns.length > 0) entry.dns = dns
    applyExtraOpts(entry, input, problems)
    return entry
  }
  return undefined
}
