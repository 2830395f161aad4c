// IPv6 text in the RFC 5952 canonical form, shared by every place that prints an address (packet builders,
// entry decoding, OpenFlow values, the Neutron model), so that they all print the same text for one address.

/** Eight 16-bit groups -> lower-case hex, the longest run (>= 2) of zero groups as `::`, the first on a tie (4.2). */
export function formatIpv6Groups(groups: readonly number[]): string {
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) {
      best = i
      bestLen = j - i
    }
    i = j
  }
  const hex = (gs: readonly number[]): string => gs.map(g => g.toString(16)).join(':')
  if (best < 0) return hex(groups)
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`
}
