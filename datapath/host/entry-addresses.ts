// Entry fields (entries.ts) in the byte layout the datapath stores: IPv4/IPv6 as 16 bytes plus a family, MACs as
// 6 bytes. The text is parsed by addresses.ts (the one parser); a refusal here becomes an EntryError naming the field.
import { Cidr, Ipv4Address, Ipv6Address, MacAddress, tryParseIp, type IpAddress } from './addresses.js'
import { EntryError } from './entry-error.js'

export interface IpBytes {
  family: 4 | 6
  /** 16 bytes; an IPv4 address fills the first 4 */
  bytes: Uint8Array
}

export interface PrefixBytes extends IpBytes {
  plen: number
}

const shown = (text: unknown): string => {
  const s = String(text)
  return s.length > 60 ? `${s.slice(0, 60)}...` : s
}

function widened(ip: IpAddress): IpBytes {
  const bytes = new Uint8Array(16)
  bytes.set(ip.bytes)
  return { family: ip.family, bytes }
}

export function parseMac(text: unknown, field: string): Uint8Array {
  const mac = MacAddress.tryParse(text)
  if (mac === undefined) {
    throw new EntryError('bad_mac', `${field} must be a MAC like fa:16:3e:00:00:01, got ${shown(text)}`, field)
  }
  return mac.bytes
}

export function parseIp(text: unknown, field: string): IpBytes {
  const ip = tryParseIp(text)
  if (ip === undefined) throw new EntryError('bad_ip', `${field} must be an IPv4 or IPv6 address, got ${shown(text)}`, field)
  return widened(ip)
}

export function parseIpv4(text: unknown, field: string): Uint8Array {
  const ip = parseIp(text, field)
  if (ip.family !== 4) throw new EntryError('bad_family', `${field} must be IPv4, got ${shown(text)}`, field)
  return ip.bytes.subarray(0, 4)
}

/** "10.0.0.0/24"; a bare address means a host prefix when `bareIsHost`. The address part is kept as given. */
export function parseCidr(text: unknown, field: string, bareIsHost = false): PrefixBytes {
  if (typeof text !== 'string') throw new EntryError('bad_cidr', `${field} must be a CIDR, got ${shown(text)}`, field)
  const slash = text.indexOf('/')
  if (slash < 0 && !bareIsHost) throw new EntryError('bad_cidr', `${field} must be address/length, got ${shown(text)}`, field)
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash), field)
  const prefix = Cidr.tryParse(text, { bareIsHost })
  if (prefix === undefined) {
    const max = ip.family === 4 ? 32 : 128
    throw new EntryError('bad_prefix_len', `${field} has a prefix length outside 0..${max}: ${shown(text)}`, field)
  }
  return { ...ip, plen: prefix.length }
}

/** Zeroes the bits past `plen`. */
export function maskPrefix(p: PrefixBytes): PrefixBytes {
  const bytes = Uint8Array.from(p.bytes)
  for (let i = 0; i < 16; i++) {
    const keep = p.plen - i * 8
    bytes[i] = (bytes[i] as number) & (keep >= 8 ? 0xff : keep <= 0 ? 0 : (0xff << (8 - keep)) & 0xff)
  }
  return { ...p, bytes }
}

export function formatMac(bytes: Uint8Array): string {
  return MacAddress.fromBytes(bytes.subarray(0, 6)).toString()
}

/** RFC 5952 text for IPv6, dotted quad for IPv4 (the first 4 of the 16 bytes). */
export function formatIp(family: number, bytes: Uint8Array): string {
  return family === 4 ? Ipv4Address.fromBytes(bytes.subarray(0, 4)).toString() : Ipv6Address.fromBytes(bytes.subarray(0, 16)).toString()
}
