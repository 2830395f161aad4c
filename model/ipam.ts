// IP address management as pure functions over a subnet's CIDR, pools and the set of used addresses.
// The store makes allocation atomic (northbound/ipam.ts writes one allocation record per address in the
// port's transaction); this file only decides which address to try.
import { ApiError } from './errors.js'
import { Cidr, MacAddress, ipOf, tryParseIp, type IpFamily } from '../datapath/host/addresses.js'

export interface Pool {
  start: string
  end: string
}

interface Range {
  start: bigint
  end: bigint
}

/** The subnet's prefix, host bits cleared (a bare address is a host prefix). */
export function subnetOf(cidr: string): Cidr {
  const c = Cidr.tryParse(cidr, { bareIsHost: true })
  if (!c) throw new ApiError('InvalidInput', { detail: `invalid cidr ${cidr}` })
  return c.canonical()
}

/** The first usable address: Neutron's default gateway. None for a subnet of one or two addresses. */
export function defaultGateway(cidr: string): string | null {
  const c = subnetOf(cidr)
  if (c.size <= 2n) return null
  return c.nth(1n).toString()
}

/** Usable range of a subnet: IPv4 leaves out network and broadcast; IPv6 leaves out the subnet-router anycast (RFC 4291 2.6.1). */
function usable(c: Cidr): Range {
  if (c.size <= 2n) return { start: c.first, end: c.last }
  return { start: c.first + 1n, end: c.family === 4 ? c.last - 1n : c.last }
}

function toRange(family: IpFamily, p: Pool): Range {
  const s = tryParseIp(p.start),
    e = tryParseIp(p.end)
  if (!s || !e || s.family !== family || e.family !== family) throw new ApiError('InvalidAllocationPool', { pool: `${p.start}-${p.end}` })
  return { start: s.value, end: e.value }
}

function fromRange(family: IpFamily, r: Range): Pool {
  return { start: ipOf(family, r.start).toString(), end: ipOf(family, r.end).toString() }
}

/** Neutron's default pools: the usable range with the gateway cut out. */
export function defaultPools(cidr: string, gateway: string | null): Pool[] {
  const c = subnetOf(cidr)
  const r = usable(c)
  const g = gateway ? tryParseIp(gateway) : undefined
  if (!g || g.family !== c.family || g.value < r.start || g.value > r.end) return [fromRange(c.family, r)]
  const out: Range[] = []
  if (g.value > r.start) out.push({ start: r.start, end: g.value - 1n })
  if (g.value < r.end) out.push({ start: g.value + 1n, end: r.end })
  return out.map(x => fromRange(c.family, x))
}

/** Pools given by the user must lie inside the CIDR, not overlap and not hold the gateway. */
export function checkPools(cidr: string, pools: Pool[], gateway: string | null): void {
  const c = subnetOf(cidr)
  const ranges = pools.map(p => ({ p, r: toRange(c.family, p) }))
  for (const { p, r } of ranges) {
    if (r.start > r.end) throw new ApiError('InvalidAllocationPool', { pool: `${p.start}-${p.end}` })
    if (r.start < c.first || r.end > c.last)
      throw new ApiError('OutOfBoundsAllocationPool', { pool: `${p.start}-${p.end}`, subnet_cidr: c.toString() })
  }
  const sorted = [...ranges].sort((a, b) => (a.r.start < b.r.start ? -1 : 1))
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!,
      b = sorted[i]!
    if (b.r.start <= a.r.end) {
      throw new ApiError('OverlappingAllocationPools', {
        pool_1: `${a.p.start}-${a.p.end}`,
        pool_2: `${b.p.start}-${b.p.end}`,
        subnet_cidr: c.toString(),
      })
    }
  }
  const g = gateway ? tryParseIp(gateway) : undefined
  if (g) {
    const hit = ranges.find(x => g.value >= x.r.start && g.value <= x.r.end)
    if (hit) throw new ApiError('GatewayConflictWithAllocationPools', { ip_address: gateway, pool: `${hit.p.start}-${hit.p.end}` })
  }
}

export function inPools(pools: Pool[], address: string): boolean {
  const a = tryParseIp(address)
  if (!a) return false
  return pools.some(p => {
    const s = tryParseIp(p.start),
      e = tryParseIp(p.end)
    return !!s && !!e && s.family === a.family && a.value >= s.value && a.value <= e.value
  })
}

export function inCidr(cidr: string, address: string): boolean {
  const c = Cidr.tryParse(cidr, { bareIsHost: true }),
    a = tryParseIp(address)
  return !!c && !!a && c.contains(a)
}

/**
 * The first address of the pools that is not taken, scanning in order so that allocation is predictable
 * (.2, .3, ...), from `from` on when given (a caller's mark below which every address is known to be taken).
 * Undefined when the pools are exhausted from there.
 */
export function pickAddress(pools: Pool[], taken: (address: string) => boolean, from?: bigint): string | undefined {
  return freeAddresses(pools, taken, { from, limit: 1 }).addresses[0]
}

export interface FreeScan {
  /** Free addresses in pool order, at most `limit`. */
  addresses: string[]
  /** The first free address seen (as a number): every pool address from `from` up to it is taken. */
  firstFree?: bigint
}

/**
 * Up to `limit` free addresses of the pools, in order, from `from` on. The scan is bounded by the taken
 * addresses it steps over plus `limit`; a cap keeps a huge exhausted range from stalling the caller.
 */
export function freeAddresses(
  pools: Pool[],
  taken: (address: string) => boolean,
  opts: { from?: bigint | undefined; limit: number },
): FreeScan {
  const out: FreeScan = { addresses: [] }
  let budget = 1_000_000
  for (const p of pools) {
    const s = tryParseIp(p.start),
      e = tryParseIp(p.end)
    if (!s || !e) continue
    for (let v = opts.from !== undefined && opts.from > s.value ? opts.from : s.value; v <= e.value && budget > 0; v++, budget--) {
      const text = ipOf(s.family, v).toString()
      if (taken(text)) continue
      out.firstFree ??= v
      out.addresses.push(text)
      if (out.addresses.length >= opts.limit) return out
    }
  }
  return out
}

/** Size of the pools (for quota details and subnet usage). */
export function poolSize(pools: Pool[]): bigint {
  let n = 0n
  for (const p of pools) {
    const s = tryParseIp(p.start),
      e = tryParseIp(p.end)
    if (s && e && e.value >= s.value) n += e.value - s.value + 1n
  }
  return n
}

/** The SLAAC address of `mac` in a /64 (RFC 4291 appendix A: modified EUI-64, universal/local bit flipped). */
export function eui64Address(cidr: string, mac: string): string | undefined {
  const c = Cidr.tryParse(cidr)
  const m = MacAddress.tryParse(mac)
  if (!c || !m || c.family !== 6 || c.length !== 64) return undefined
  const b = m.bytes
  const bytes = [(b[0] as number) ^ 0x02, b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]] as number[]
  const iid = bytes.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n)
  return ipOf(6, c.first | iid).toString()
}
