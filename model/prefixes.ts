// Prefix allocation for subnet pools: the first block of the wanted length, inside one of the pool's prefixes,
// that overlaps no subnet already carved from the pool.
import { type Cidr, bitsOf, cidrsOverlap, formatCidr, lastAddress, parseCidr } from './ip.js'

export function allocatePrefix(poolPrefixes: string[], used: string[], prefixlen: number): string | undefined {
  const taken = used.map(u => parseCidr(u)).filter((c): c is Cidr => !!c)
  for (const text of poolPrefixes) {
    const p = parseCidr(text)
    if (!p || prefixlen < p.prefix || prefixlen > bitsOf(p.version)) continue
    const step = 1n << BigInt(bitsOf(p.version) - prefixlen)
    for (let net = p.network; net <= lastAddress(p); net += step) {
      const cand: Cidr = { version: p.version, network: net, prefix: prefixlen }
      const clash = taken.find(t => cidrsOverlap(t, cand))
      if (!clash) return formatCidr(cand)
      // Jump to the first aligned block after the clash (the loop adds one step).
      const after = lastAddress(clash) + 1n - p.network
      const aligned = p.network + ((after + step - 1n) / step) * step
      if (aligned - step > net) net = aligned - step
    }
  }
  return undefined
}
