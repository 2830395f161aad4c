// A port's extra_dhcp_opts (Neutron, dnsmasq option names or numeric codes) mapped onto a DHCP entry: names the
// entry has a field for set that field (they win over the subnet's values, as in Neutron); other known names and
// numeric codes become raw options. Unknown names, options the datapath writes itself (RFC 2132 codes 0, 1, 51,
// 53, 54, 58, 59, 255) and bad values are reported and skipped: one bad option must not cost the port its DHCP.
import { type IpAddress } from '../../datapath/host/addresses.js'
import type { DhcpEntry } from '../../datapath/host/entries.js'
import type { DhcpOpt } from '../../model/types.js'
import { ipOf } from './addresses.js'
import type { CompileProblem } from './problems.js'

type Apply = (entry: DhcpEntry, value: string) => string | undefined

const ipv4List = (value: string): string[] | undefined => {
  const ips = value
    .split(',')
    .map(s => s.trim())
    .filter(s => s !== '')
  return ips.length > 0 && ips.every(ip => ipOf(ip)?.family === 4) ? ips : undefined
}
const ipv4Bytes = (ips: string[]): string => ips.map(ip => Buffer.from((ipOf(ip) as IpAddress).bytes).toString('hex')).join('')
const textBytes = (value: string): string => Buffer.from(value, 'utf8').toString('hex')
const seconds = (value: string): number | undefined => (/^\d+$/.test(value) ? Number(value) : undefined)

const raw =
  (code: number, encode: (value: string) => string | undefined): Apply =>
  (entry, value) => {
    const hex = encode(value)
    if (hex === undefined) return `value '${value}' does not fit option ${code}`
    entry.options = [...(entry.options ?? []).filter(o => o.code !== code), { code, hex }]
    return undefined
  }

const NAMED: Record<string, Apply> = {
  router: (e, v) => {
    const ips = ipv4List(v)
    if (!ips?.[0]) return `router '${v}' is not an IPv4 address`
    e.router = ips[0]
    return undefined
  },
  'dns-server': (e, v) => {
    const ips = ipv4List(v)
    if (!ips) return `dns-server '${v}' is not a list of IPv4 addresses`
    e.dns = ips
    return undefined
  },
  'domain-name': (e, v) => {
    if (!/^[\x21-\x7e]+$/.test(v)) return `domain-name '${v}' is not printable ASCII`
    e.domain = v
    return undefined
  },
  mtu: (e, v) => {
    const n = seconds(v)
    if (n === undefined || n < 68 || n > 65535) return `mtu '${v}' is not 68..65535`
    e.mtu = n
    return undefined
  },
  'lease-time': (e, v) => {
    const n = seconds(v)
    if (n === undefined) return `lease-time '${v}' is not a number of seconds`
    e.lease = n
    return undefined
  },
  T1: (e, v) => {
    const n = seconds(v)
    if (n === undefined) return `T1 '${v}' is not a number of seconds`
    e.renewal = n
    return undefined
  },
  T2: (e, v) => {
    const n = seconds(v)
    if (n === undefined) return `T2 '${v}' is not a number of seconds`
    e.rebind = n
    return undefined
  },
  'ntp-server': raw(42, v => {
    const ips = ipv4List(v)
    return ips && ipv4Bytes(ips)
  }),
  'tftp-server': raw(66, textBytes),
  'bootfile-name': raw(67, textBytes),
  'domain-search': raw(119, domainSearch),
}
/** dnsmasq spells some options by number only; numbers the entry has a field for use that field. */
const BY_CODE: Record<number, string> = { 3: 'router', 6: 'dns-server', 15: 'domain-name', 26: 'mtu', 51: 'lease-time', 58: 'T1', 59: 'T2' }
/** Written by the datapath from the entry itself (BEHAVIOUR.md step 6), or pad/end. */
const RESERVED = new Set([0, 1, 53, 54, 255])

/** RFC 1035 3.1 names, as option 119 carries them (RFC 3397 2), without compression. */
function domainSearch(value: string): string | undefined {
  const bytes: number[] = []
  for (const name of value
    .split(',')
    .map(s => s.trim())
    .filter(s => s !== '')) {
    for (const label of name.replace(/\.$/, '').split('.')) {
      if (label.length === 0 || label.length > 63 || !/^[\x21-\x7e]+$/.test(label)) return undefined
      bytes.push(label.length, ...Buffer.from(label, 'ascii'))
    }
    bytes.push(0)
  }
  return bytes.length > 0 ? Buffer.from(bytes).toString('hex') : undefined
}

/**
 * A numeric option's value: comma-separated IPv4 addresses become 4 bytes each, anything else is sent as text
 * (dnsmasq guesses the same way for unknown numbers).
 */
function numericValue(value: string): string {
  const ips = ipv4List(value)
  return ips ? ipv4Bytes(ips) : textBytes(value)
}

export function applyExtraDhcpOpts(entry: DhcpEntry, ctx: { opts: DhcpOpt[]; object: string; problems: CompileProblem[] }): void {
  for (const opt of ctx.opts) {
    if (opt.ip_version !== undefined && opt.ip_version !== 4) continue // DHCPv6 options are not served here
    if (opt.opt_value === null) continue // Neutron: a null value removes the option
    const name = opt.opt_name.replace(/^option:/, '')
    const report = (why: string): void => {
      ctx.problems.push({ code: 'dhcp_option', object: ctx.object, detail: `extra_dhcp_opts '${opt.opt_name}': ${why}` })
    }
    const code = /^\d+$/.test(name) ? Number(name) : undefined
    const named = code === undefined ? NAMED[name] : BY_CODE[code] !== undefined ? NAMED[BY_CODE[code]] : undefined
    if (named) {
      const why = named(entry, opt.opt_value)
      if (why) report(why)
    } else if (code !== undefined) {
      if (code < 1 || code > 254 || RESERVED.has(code)) report(`option ${code} cannot be set by a port`)
      else if (code === 121) report('option 121 comes from the subnet host_routes')
      else void raw(code, numericValue)(entry, opt.opt_value)
    } else {
      report('unknown option name')
    }
  }
}
