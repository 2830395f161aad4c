// IPv4/IPv6 addresses and CIDRs as bigints, so that one code path serves both families (IPAM, overlap checks,
// route validation). Formatting follows RFC 5952 (lowercase, longest zero run compressed) so that the text
// stored and compared is canonical.
import { formatIpv6Groups } from '../datapath/host/ipv6-text.js'

export type IpVersion = 4 | 6

export interface IpAddr {
  version: IpVersion
  value: bigint
}

export interface Cidr {
  version: IpVersion
  /** The network address (host bits zero when the CIDR is canonical). */
  network: bigint
  prefix: number
}

export function bitsOf(version: IpVersion): number {
  return version === 4 ? 32 : 128
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.')
  if (parts.length !== 4) return undefined
  let v = 0n
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined
    const n = Number(p)
    if (n > 255) return undefined
    v = (v << 8n) | BigInt(n)
  }
  return v
}

function parseV6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined
  let text = s
  // An embedded IPv4 tail (::ffff:1.2.3.4) is rewritten as its two 16-bit groups.
  if (text.includes('.')) {
    const cut = text.lastIndexOf(':')
    const v4 = parseV4(text.slice(cut + 1))
    if (v4 === undefined) return undefined
    text = `${text.slice(0, cut + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const split = (h: string): string[] => (h === '' ? [] : h.split(':'))
  const head = split(halves[0] ?? '')
  const rest = halves.length === 2 ? split(halves[1] ?? '') : []
  let groups: string[]
  if (halves.length === 2) {
    const fill = 8 - head.length - rest.length
    if (fill < 1) return undefined
    groups = [...head, ...Array<string>(fill).fill('0'), ...rest]
  } else {
    if (head.length !== 8) return undefined
    groups = head
  }
  let v = 0n
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined
    v = (v << 16n) | BigInt('0x' + g)
  }
  return v
}

export function parseIp(s: unknown): IpAddr | undefined {
  if (typeof s !== 'string' || s.length > 45) return undefined
  if (s.includes(':')) {
    const v = parseV6(s)
    return v === undefined ? undefined : { version: 6, value: v }
  }
  const v = parseV4(s)
  return v === undefined ? undefined : { version: 4, value: v }
}

export function formatIp(a: IpAddr): string {
  if (a.version === 4) {
    return [24n, 16n, 8n, 0n].map(sh => String((a.value >> sh) & 0xffn)).join('.')
  }
  const groups: number[] = []
  for (let i = 7; i >= 0; i--) groups.push(Number((a.value >> BigInt(i * 16)) & 0xffffn))
  return formatIpv6Groups(groups)
}

/** Canonical text of an address, or undefined when it is not one. */
export function normalizeIp(s: unknown): string | undefined {
  const a = parseIp(s)
  return a ? formatIp(a) : undefined
}

export function hostMask(c: Cidr): bigint {
  return (1n << BigInt(bitsOf(c.version) - c.prefix)) - 1n
}

/** Parses `addr/prefix`; `strict` refuses host bits (Neutron refuses '10.0.0.1/24' for a subnet). */
export function parseCidr(s: unknown, opts: { strict?: boolean } = {}): Cidr | undefined {
  if (typeof s !== 'string') return undefined
  const slash = s.indexOf('/')
  const addr = parseIp(slash < 0 ? s : s.slice(0, slash))
  if (!addr) return undefined
  const bits = bitsOf(addr.version)
  let prefix = bits
  if (slash >= 0) {
    const p = s.slice(slash + 1)
    if (!/^\d{1,3}$/.test(p)) return undefined
    prefix = Number(p)
    if (prefix > bits) return undefined
  }
  const mask = (1n << BigInt(bits - prefix)) - 1n
  if (opts.strict && (addr.value & mask) !== 0n) return undefined
  return { version: addr.version, network: addr.value & ~mask, prefix }
}

export function formatCidr(c: Cidr): string {
  return `${formatIp({ version: c.version, value: c.network })}/${c.prefix}`
}

export function lastAddress(c: Cidr): bigint {
  return c.network | hostMask(c)
}

export function cidrContains(c: Cidr, a: IpAddr): boolean {
  return c.version === a.version && a.value >= c.network && a.value <= lastAddress(c)
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.network <= lastAddress(b) && b.network <= lastAddress(a)
}
