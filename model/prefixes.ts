// Prefix allocation for subnet pools: the first block of the wanted length, inside one of the pool's prefixes,
// that overlaps no subnet already carved from the pool.
import { Cidr, ipOf } from '../datapath/host/addresses.js'

// A pool prefix or a used subnet: host bits tolerated and cleared, a bare address is a host prefix.
const prefixOf = (text: string): Cidr | undefined => Cidr.tryParse(text, { bareIsHost: true })?.canonical()

export function allocatePrefix(poolPrefixes: string[], used: string[], prefixlen: number): string | undefined {
  const taken = used.map(prefixOf).filter((c): c is Cidr => !!c)
  for (const text of poolPrefixes) {
    const p = prefixOf(text)
    if (!p || prefixlen < p.length || prefixlen > p.bits) continue
    const step = 1n << BigInt(p.bits - prefixlen)
    for (let net = p.first; net <= p.last; net += step) {
      const cand = Cidr.of(ipOf(p.family, net), prefixlen)
      const clash = taken.find(t => t.overlaps(cand))
      if (!clash) return cand.toString()
      // Jump to the first aligned block after the clash (the loop adds one step).
      const after = clash.last + 1n - p.first
      const aligned = p.first + ((after + step - 1n) / step) * step
      if (aligned - step > net) net = aligned - step
    }
  }
  return undefined
}
