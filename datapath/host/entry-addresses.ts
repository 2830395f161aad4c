// Text addresses of entries (entries.ts) to the bytes the datapath stores: IPv4/IPv6 as 16 bytes plus a
// family, MACs as 6 bytes. Errors are EntryErrors naming the field.
import { EntryError } from './entry-error.js'
import { formatIpv6Groups } from './ipv6-text.js'

export interface IpBytes {
  family: 4 | 6
  /** 16 bytes; an IPv4 address fills the first 4 */
  bytes: Uint8Array
}

export interface PrefixBytes extends IpBytes {
  plen: number
}

export function parseMac(text: unknown, field: string): Uint8Array {
  const parts = typeof text === 'string' ? text.split(':') : []
  if (parts.length !== 6 || !parts.every(p => /^[0-9a-fA-F]{2}$/.test(p))) {
    throw new EntryError('bad_mac', `${field} must be a MAC like fa:16:3e:00:00:01, got ${String(text)}`, field)
  }
  return Uint8Array.from(parts, p => parseInt(p, 16))
}

function parseIpv4Into(text: string, out: Uint8Array, at: number): boolean {
  const parts = text.split('.')
  if (parts.length !== 4 || !parts.every(p => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return false
  parts.forEach((p, i) => { out[at + i] = Number(p) })
  return true
}

/** RFC 4291 2.2 text forms, including `::` and a trailing dotted IPv4. */
function parseIpv6(text: string): Uint8Array | undefined {
  const out = new Uint8Array(16)
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'))
  const head = groups(halves[0] ?? '')
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : []
  const words: number[] = []
  const tailWords: number[] = []
  const parse = (list: string[], into: number[], last: boolean): boolean => {
    for (let i = 0; i < list.length; i++) {
      const g = list[i] as string
      if (last && i === list.length - 1 && g.includes('.')) {
        const v4 = new Uint8Array(4)
        if (!parseIpv4Into(g, v4, 0)) return false
        into.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number))
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false
        into.push(parseInt(g, 16))
      }
    }
    return true
  }
  const headLast = halves.length === 1
  if (!parse(head, words, headLast) || !parse(tail, tailWords, true)) return undefined
  const total = words.length + tailWords.length
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined
  const all = [...words, ...new Array<number>(8 - total).fill(0), ...tailWords]
  all.forEach((w, i) => { out[i * 2] = w >> 8; out[i * 2 + 1] = w & 0xff })
  return out
}

export function parseIp(text: unknown, field: string): IpBytes {
  if (typeof text === 'string') {
    const v4 = new Uint8Array(16)
    if (parseIpv4Into(text, v4, 0)) return { family: 4, bytes: v4 }
    const v6 = text.includes(':') ? parseIpv6(text) : undefined
    if (v6) return { family: 6, bytes: v6 }
  }
  throw new EntryError('bad_ip', `${field} must be an IPv4 or IPv6 address, got ${String(text)}`, field)
}

export function parseIpv4(text: unknown, field: string): Uint8Array {
  const ip = parseIp(text, field)
  if (ip.family !== 4) throw new EntryError('bad_family', `${field} must be IPv4, got ${String(text)}`, field)
  return ip.bytes.subarray(0, 4)
}

/** "10.0.0.0/24"; a bare address means a host prefix when `bareIsHost`. The address part is kept as given. */
export function parseCidr(text: unknown, field: string, bareIsHost = false): PrefixBytes {
  if (typeof text !== 'string') throw new EntryError('bad_cidr', `${field} must be a CIDR, got ${String(text)}`, field)
  const slash = text.indexOf('/')
  if (slash < 0 && !bareIsHost) throw new EntryError('bad_cidr', `${field} must be address/length, got ${text}`, field)
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash), field)
  const max = ip.family === 4 ? 32 : 128
  const lenText = slash < 0 ? String(max) : text.slice(slash + 1)
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) {
    throw new EntryError('bad_prefix_len', `${field} has a prefix length outside 0..${max}: ${text}`, field)
  }
  return { ...ip, plen: Number(lenText) }
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
  return Array.from(bytes.subarray(0, 6), b => b.toString(16).padStart(2, '0')).join(':')
}

/** RFC 5952 text: lower case, the longest run of zero groups (two or more) as `::`. */
export function formatIp(family: number, bytes: Uint8Array): string {
  if (family === 4) return Array.from(bytes.subarray(0, 4)).join('.')
  const words = Array.from({ length: 8 }, (_, i) => ((bytes[i * 2] as number) << 8) | (bytes[i * 2 + 1] as number))
  return formatIpv6Groups(words)
}
