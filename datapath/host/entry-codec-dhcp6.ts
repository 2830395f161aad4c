// dhcp6 entries to their bytes (datapath/spec/entry-kinds.ts DHCPV6), with the reply's per-port options ready-made.
import { DHCP_MAX_OPTION_BYTES, ENTRY_DHCPV6 } from '../spec/entry-kinds.js'
import type { Dhcp6Entry } from './entries.js'
import { parseIp, parseMac } from './entry-addresses.js'
import { Writer, u32 } from './entry-codec.js'
import { EntryError } from './entry-error.js'

const OPTION_DNS_SERVERS = 23
const OPTION_DOMAIN_LIST = 24
const DEFAULT_VALID = 86400
const DEFAULT_DHCP6_RATE = 10

function option(out: number[], code: number, value: number[]): void {
  out.push(code >>> 8, code & 0xff, value.length >>> 8, value.length & 0xff, ...value)
}

/** RFC 1035 3.1 wire form, uncompressed (RFC 8415 10: DHCPv6 does not compress names). */
function domainName(name: string, field: string): number[] {
  const labels = name.replace(/\.$/, '').split('.')
  const out: number[] = []
  for (const label of labels) {
    const bytes = [...new TextEncoder().encode(label)]
    if (bytes.length === 0 || bytes.length > 63) throw new EntryError('bad_value', `${field}: label "${label}" must be 1..63 bytes`, field)
    out.push(bytes.length, ...bytes)
  }
  out.push(0)
  return out
}

/** Options 23 then 24, as the datapath appends them to every Advertise and Reply that configures. */
export function dhcp6OptionBytes(e: Dhcp6Entry): Uint8Array {
  const out: number[] = []
  const dns = e.dns ?? []
  if (dns.length > 0) {
    option(
      out,
      OPTION_DNS_SERVERS,
      dns.flatMap((d, i) => {
        const ip = parseIp(d, `dns[${i}]`)
        if (ip.family !== 6) throw new EntryError('bad_family', `dns[${i}] ${d} is not IPv6`, `dns[${i}]`)
        return [...ip.bytes]
      }),
    )
  }
  const domains = e.domains ?? []
  if (domains.length > 0)
    option(
      out,
      OPTION_DOMAIN_LIST,
      domains.flatMap((d, i) => domainName(d, `domains[${i}]`)),
    )
  return Uint8Array.from(out)
}

export function dhcp6(e: Dhcp6Entry): Uint8Array {
  const stateful = e.mode === 'dhcpv6-stateful'
  if (!stateful && e.mode !== 'dhcpv6-stateless') {
    throw new EntryError('bad_value', `mode must be dhcpv6-stateful or dhcpv6-stateless, got ${String(e.mode)}`, 'mode')
  }
  let ip: Uint8Array = new Uint8Array(16)
  let plen = 0
  if (stateful) {
    const parsed = parseIp(e.ip, 'ip')
    if (parsed.family !== 6) throw new EntryError('bad_family', `ip ${String(e.ip)} is not IPv6`, 'ip')
    ip = parsed.bytes
    plen = u32(e.prefix_len ?? 64, 'prefix_len', { max: 128 })
  }
  const valid = u32(e.valid ?? DEFAULT_VALID, 'valid', { min: 1 })
  const preferred = u32(e.preferred ?? valid, 'preferred', { max: valid })
  const options = dhcp6OptionBytes(e)
  if (options.length > DHCP_MAX_OPTION_BYTES) {
    throw new EntryError('too_many', `options take ${options.length} bytes, at most ${DHCP_MAX_OPTION_BYTES}`, 'dns')
  }
  return (
    new Writer()
      .u32(u32(e.port, 'port'))
      .raw(parseMac(e.mac, 'mac'))
      .u8(stateful ? 1 : 0)
      .u8(plen)
      .raw(ip)
      .raw(parseMac(e.server_mac, 'server_mac'))
      // the datapath writes lifetimes with st32 from these little-endian fields: see dhcp6-server.ts
      .u32(preferred)
      .u32(valid)
      .u32(u32(e.renewal ?? Math.floor(preferred / 2), 'renewal'))
      .u32(u32(e.rebind ?? Math.floor((preferred * 4) / 5), 'rebind'))
      .u16(u32(e.rate ?? DEFAULT_DHCP6_RATE, 'rate', { min: 1, max: 0xffff }))
      .u16(options.length)
      .raw(options)
      .finish(ENTRY_DHCPV6)
  )
}
