// The per-port part of a DHCP reply's options, built once when the entry is encoded: router (3), DNS (6),
// domain (15), MTU (26), classless static routes (121), then the extra options by code. The datapath adds
// 53, 54, 51, 58, 59 and 1 in front and 255 behind (BEHAVIOUR.md step 6).
import type { DhcpEntry } from './entries.js'
import { EntryError } from './entry-error.js'
import { maskPrefix, parseCidr, parseIpv4 } from './entry-addresses.js'

const OPT_ROUTER = 3
const OPT_DNS = 6
const OPT_DOMAIN = 15
const OPT_MTU = 26
const OPT_CLASSLESS_ROUTES = 121
/** Options the datapath writes itself, plus pad and end (RFC 2132 3.1, 3.2): not allowed as extras. */
const RESERVED = new Set([0, 1, 51, 53, 54, 58, 59, 255])
/** RFC 2132 5.1: the smallest MTU a client may be told. */
const MIN_MTU = 68

/** TLVs; values longer than 255 bytes are split into consecutive instances (RFC 3396). */
function tlv(out: number[], code: number, value: number[]): void {
  let at = 0
  do {
    const part = value.slice(at, at + 255)
    out.push(code, part.length, ...part)
    at += 255
  } while (at < value.length)
}

/** RFC 3442 3: width, the significant octets of the destination, then the router. */
function classlessRoutes(entry: DhcpEntry): number[] {
  const value: number[] = []
  const routes = [...(entry.routes ?? [])]
  // RFC 3442: a client that gets 121 ignores option 3, so the default route goes in 121 as well.
  if (entry.router !== undefined && !routes.some(r => r.destination.endsWith('/0'))) {
    routes.push({ destination: '0.0.0.0/0', nexthop: entry.router })
  }
  routes.forEach((r, i) => {
    const dest = maskPrefix(parseCidr(r.destination, `routes[${i}].destination`))
    if (dest.family !== 4) throw new EntryError('bad_family', `routes[${i}].destination must be IPv4`, 'routes')
    const via = parseIpv4(r.nexthop, `routes[${i}].nexthop`)
    value.push(dest.plen, ...dest.bytes.subarray(0, Math.ceil(dest.plen / 8)), ...via)
  })
  return value
}

export function dhcpOptionBytes(entry: DhcpEntry): Uint8Array {
  const out: number[] = []
  if (entry.router !== undefined) tlv(out, OPT_ROUTER, [...parseIpv4(entry.router, 'router')])
  if (entry.dns !== undefined && entry.dns.length > 0) {
    tlv(
      out,
      OPT_DNS,
      entry.dns.flatMap((d, i) => [...parseIpv4(d, `dns[${i}]`)]),
    )
  }
  if (entry.domain !== undefined) {
    if (entry.domain.length === 0 || !/^[\x21-\x7e]+$/.test(entry.domain)) {
      throw new EntryError('bad_option', `domain must be printable ASCII, got ${entry.domain}`, 'domain')
    }
    tlv(
      out,
      OPT_DOMAIN,
      Array.from(entry.domain, c => c.charCodeAt(0)),
    )
  }
  if (entry.mtu !== undefined) {
    if (!Number.isInteger(entry.mtu) || entry.mtu < MIN_MTU || entry.mtu > 0xffff) {
      throw new EntryError('bad_number', `mtu must be an integer in ${MIN_MTU}..65535`, 'mtu')
    }
    tlv(out, OPT_MTU, [entry.mtu >> 8, entry.mtu & 0xff])
  }
  if (entry.routes !== undefined && entry.routes.length > 0) {
    tlv(out, OPT_CLASSLESS_ROUTES, classlessRoutes(entry))
  }
  const extras = [...(entry.options ?? [])].sort((a, b) => a.code - b.code)
  extras.forEach((o, i) => {
    const field = `options[${i}]`
    if (!Number.isInteger(o.code) || o.code < 1 || o.code > 254 || RESERVED.has(o.code)) {
      throw new EntryError('bad_option', `${field}.code ${o.code} is not an option a port may add`, 'options')
    }
    if (present(entry, o.code)) {
      throw new EntryError('bad_option', `${field}.code ${o.code} is already given by a named field`, 'options')
    }
    if (i > 0 && extras[i - 1]?.code === o.code) {
      throw new EntryError('bad_option', `${field}.code ${o.code} appears twice`, 'options')
    }
    if (typeof o.hex !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(o.hex)) {
      throw new EntryError('bad_option', `${field}.hex must be an even number of hex digits`, 'options')
    }
    tlv(
      out,
      o.code,
      Array.from({ length: o.hex.length / 2 }, (_, k) => parseInt(o.hex.slice(k * 2, k * 2 + 2), 16)),
    )
  })
  return Uint8Array.from(out)
}

function present(entry: DhcpEntry, code: number): boolean {
  switch (code) {
    case OPT_ROUTER:
      return entry.router !== undefined
    case OPT_DNS:
      return (entry.dns?.length ?? 0) > 0
    case OPT_DOMAIN:
      return entry.domain !== undefined
    case OPT_MTU:
      return entry.mtu !== undefined
    case OPT_CLASSLESS_ROUTES:
      return (entry.routes?.length ?? 0) > 0
    default:
      return false
  }
}
