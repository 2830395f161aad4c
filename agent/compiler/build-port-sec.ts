// port_sec rows of a local port: the port's MAC with its fixed IPs (/32, /128) and the allowed address pairs that
// use that MAC; one more row per other pair MAC with its prefixes; { disabled } when port security is off.
import type { PortSecEntry } from '../../datapath/host/entries.js'
import { PORT_SEC_MAX_PREFIXES } from '../../datapath/spec/entry-kinds.js'
import type { Port } from '../../model/types.js'
import { anyPrefix, hostPrefix, lowerMac } from './addresses.js'
import type { CompileProblem } from './problems.js'

export function buildPortSec(port: Port, problems: CompileProblem[]): PortSecEntry[] {
  if (port.port_security_enabled === false) return [{ stage: 'port_sec', port: port.key, disabled: true }]
  const own = lowerMac(port.mac_address)
  // MAC -> prefixes, the port's own MAC first so its row always exists (a port with no IP still gets DHCP).
  const rows = new Map<string, string[]>([[own, []]])
  const add = (mac: string, prefix: string | undefined): void => {
    if (prefix === undefined) return
    const list = rows.get(mac) ?? []
    if (!list.includes(prefix)) list.push(prefix)
    rows.set(mac, list)
  }
  for (const f of port.fixed_ips ?? []) add(own, hostPrefix(f.ip_address))
  for (const pair of port.allowed_address_pairs ?? []) add(lowerMac(pair.mac_address ?? own), anyPrefix(pair.ip_address))
  return [...rows].map(([mac, ips]) => ({ stage: 'port_sec', port: port.key, mac, ips: capped(port, ips, problems) }))
}

/** The datapath holds PORT_SEC_MAX_PREFIXES per family per MAC; more would refuse the whole row. */
function capped(port: Port, ips: string[], problems: CompileProblem[]): string[] {
  const v4 = ips.filter(p => !p.includes(':'))
  const v6 = ips.filter(p => p.includes(':'))
  if (v4.length <= PORT_SEC_MAX_PREFIXES && v6.length <= PORT_SEC_MAX_PREFIXES) return ips
  problems.push({
    code: 'too_many',
    object: `ports/${port.id}`,
    detail: `more than ${PORT_SEC_MAX_PREFIXES} allowed prefixes per family for one MAC; the rest are not allowed`,
  })
  const keep = new Set([...v4.slice(0, PORT_SEC_MAX_PREFIXES), ...v6.slice(0, PORT_SEC_MAX_PREFIXES)])
  return ips.filter(p => keep.has(p))
}
