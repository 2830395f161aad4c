// router_advert entries to their bytes (datapath/spec/entry-kinds.ts ROUTER_ADVERT).
import {
  ENTRY_ROUTER_ADVERT,
  RA_MAX_DNS,
  RA_MAX_PREFIXES,
  RA_MODE_DHCPV6_STATEFUL,
  RA_MODE_DHCPV6_STATELESS,
  RA_MODE_SLAAC,
} from '../spec/entry-kinds.js'
import type { Ipv6RaMode, RouterAdvertEntry } from './entries.js'
import { maskPrefix, parseCidr, parseIp, parseMac } from './entry-addresses.js'
import { Writer, required, u32 } from './entry-codec.js'
import { EntryError } from './entry-error.js'

const MODES: Record<Ipv6RaMode, number> = {
  slaac: RA_MODE_SLAAC,
  'dhcpv6-stateful': RA_MODE_DHCPV6_STATEFUL,
  'dhcpv6-stateless': RA_MODE_DHCPV6_STATELESS,
}

export function routerAdvert(e: RouterAdvertEntry): Uint8Array {
  const prefixes = required(e.prefixes, 'prefixes')
  if (!Array.isArray(prefixes) || prefixes.length === 0) {
    throw new EntryError('missing_field', 'prefixes must list at least one IPv6 subnet', 'prefixes')
  }
  if (prefixes.length > RA_MAX_PREFIXES) {
    throw new EntryError('too_many', `at most ${RA_MAX_PREFIXES} prefixes per router advertisement`, 'prefixes')
  }
  const dns = e.dns ?? []
  if (dns.length > RA_MAX_DNS) throw new EntryError('too_many', `at most ${RA_MAX_DNS} DNS servers`, 'dns')
  const w = new Writer()
    .u32(u32(e.network, 'network'))
    .u32(u32(e.port, 'port'))
    .raw(parseMac(e.mac, 'mac'))
    // RFC 4861 4.6.4: an MTU below IPv6's minimum link MTU (RFC 8200 5) would be ignored by hosts
    .u32(e.mtu === undefined || e.mtu === 0 ? 0 : u32(e.mtu, 'mtu', { min: 1280 }))
    .u8(prefixes.length)
    .u8(dns.length)
  prefixes.forEach((p, i) => {
    const mode = MODES[p.mode]
    if (mode === undefined) {
      throw new EntryError(
        'bad_value',
        `prefixes[${i}].mode must be slaac, dhcpv6-stateful or dhcpv6-stateless, got ${String(p.mode)}`,
        `prefixes[${i}].mode`,
      )
    }
    const prefix = maskPrefix(parseCidr(p.prefix, `prefixes[${i}].prefix`))
    if (prefix.family !== 6) throw new EntryError('bad_family', `prefixes[${i}].prefix ${p.prefix} is not IPv6`, `prefixes[${i}].prefix`)
    w.u8(mode).u8(prefix.plen).raw(prefix.bytes)
  })
  dns.forEach((d, i) => {
    const ip = parseIp(d, `dns[${i}]`)
    if (ip.family !== 6) throw new EntryError('bad_family', `dns[${i}] ${d} is not IPv6`, `dns[${i}]`)
    w.raw(ip.bytes)
  })
  return w.finish(ENTRY_ROUTER_ADVERT)
}
