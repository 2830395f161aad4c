// Named priority bands of the TC rules (tc prio: lower is tried first). Bare numbers appear nowhere else.
export const PRIO = {
  /** checks before any entry: multicast source MAC */
  GUARD: 1,
  /** an entry's exceptions: hairpin, own router addresses, TTL expiry */
  EXCEPTION: 5,
  ENTRY: 10,
  /** a port's catch-all denials after its entries (port security per protocol, tagged on an access port) */
  DENY: 20,
  /** longest prefix first: ROUTE + (128 - prefix length) */
  ROUTE: 100,
  /** what is left on a router MAC after its routes */
  ROUTE_MISS: 300,
  /** the chain's catch-all */
  MISS: 1000,
} as const

export const routePrio = (prefixLength: number): number => PRIO.ROUTE + (128 - prefixLength)
