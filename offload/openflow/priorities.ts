// Named priority bands for every table of the pipeline: no flow carries a bare priority number
// (CONVENTIONS.md 2). Higher wins (OpenFlow 1.3.5 §6.4). A band with a width takes an offset below it
// (ROUTE: the prefix length, so longer prefixes win: longest-prefix match by priority).
export const PRIORITY_BANDS = {
  /** the table-miss flow (OpenFlow 1.3.5 §5.4): what stages.ts `miss` says */
  TABLE_MISS: { base: 0, width: 1 },
  /** a catch-all for a class of packets that has no entry (unknown tunnel key, DHCP from an unknown port) */
  CLASS_MISS: { base: 10, width: 1 },
  /** flood the network (broadcast, multicast, unknown unicast) */
  FLOOD: { base: 50, width: 1 },
  /** flood of a packet that came in through a tunnel: local ports only (split horizon) */
  FLOOD_FROM_TUNNEL: { base: 60, width: 1 },
  /** one chunk of a network's flood (reg6 = chunk id), reached by the flood flow's resubmits */
  FLOOD_CHUNK: { base: 70, width: 1 },
  /** port security: any frame from the port's MAC (non-IP, non-ARP ethertypes are switched) */
  PORT_SEC_L2_ALLOW: { base: 100, width: 1 },
  /** port security: IP or ARP from the port's MAC not allowed by a more specific flow */
  PORT_SEC_L3_DENY: { base: 200, width: 1 },
  /** port security: an allowed source address, or DHCP/ARP probe/DAD before an address exists */
  PORT_SEC_L3_ALLOW: { base: 300, width: 1 },
  /** port security: a neighbour advertisement from the port's MAC whose target the port does not own, and any router advertisement from it (rogue-RA guard) */
  PORT_SEC_ND_DENY: { base: 400, width: 1 },
  /** port security: a neighbour advertisement for one of the port's own addresses (above PORT_SEC_ND_DENY) */
  PORT_SEC_ND_ALLOW: { base: 500, width: 1 },
  /** an entry of the stage, exact match */
  ENTRY: { base: 1000, width: 1 },
  /** an entry's reply in place to a frame from a VLAN uplink: the same reply, tagged (above ENTRY) */
  ENTRY_TAGGED: { base: 1010, width: 1 },
  /** a route: base + prefix length */
  ROUTE: { base: 1200, width: 129 },
  /** no route for a packet sent to a router MAC (below every route) */
  ROUTE_MISS: { base: 900, width: 1 },
  /** no route, and no ICMP error may be sent about this packet: drop in place (above ROUTE_MISS) */
  ROUTE_MISS_SILENT: { base: 950, width: 1 },
  /** lr_out_snat: port translation of a source without a floating IP (below the floating IPs' ENTRY flows) */
  SNAT_TRANSLATE: { base: 800, width: 1 },
  /** lr_out_snat: a later IPv4 fragment has no port to translate it by: no_snat (above SNAT_TRANSLATE) */
  SNAT_LATER_FRAGMENT: { base: 850, width: 1 },
  /** lr_in_dnat: a source with a floating IP is marked, so that it is not redirected to the gateway chassis
   * (below ENTRY: a hairpin to a floating IP is translated instead) */
  SNAT_EXEMPT: { base: 700, width: 1 },
  /** exceptions of an entry: hairpin, addresses of the router itself */
  ENTRY_EXCEPTION: { base: 2000, width: 1 },
  /** TTL <= 1 before routing */
  TTL_EXPIRED: { base: 2100, width: 1 },
  /** TTL <= 1, and no ICMP error may be sent about this packet: drop in place */
  TTL_EXPIRED_SILENT: { base: 2150, width: 1 },
  /** a packet for one of the router's own addresses: before the TTL check (BEHAVIOUR.md §7) */
  ROUTER_LOCAL: { base: 2200, width: 1 },
  /** an echo request to a router address, answered in place (BEHAVIOUR.md §7) */
  ROUTER_ECHO: { base: 2300, width: 1 },
  /** a frame from an uplink to the gateway MAC of a router whose gateway chassis is another one (above all of
   * the router port's flows: only the gateway chassis routes it) */
  GATEWAY_ELSEWHERE: { base: 2400, width: 1 },
  /** ICMP errors about translated packets: the quoted header needs rewriting too, which OpenFlow cannot do */
  NAT_ICMP_ERROR: { base: 2450, width: 1 },
  /** ROUTER_ECHO for a frame from a VLAN uplink: the reply leaves tagged */
  ROUTER_ECHO_TAGGED: { base: 2350, width: 1 },
  /** a source MAC with the I/G bit set, dropped before anything else (BEHAVIOUR.md §1) */
  SOURCE_CHECK: { base: 2500, width: 1 },
  /** security groups, ls_*_acl (BEHAVIOUR.md "Security groups"), from the top: */
  /** always-allowed traffic (DHCP, DHCPv6, MLD, RS/RA, NS/NA), whatever the rules and the connection state */
  ACL_ALWAYS: { base: 2800, width: 1 },
  /** what conntrack decides before any rule: invalid (3), reply of a blocked connection (2), reply or related of
   * an allowed one (1) */
  ACL_CT_STATE: { base: 2600, width: 4 },
  /** a rule's action flow (conj_id) for a new connection or a blocked one in its original direction: commit */
  ACL_CONJ_COMMIT: { base: 1500, width: 1 },
  /** a rule's action flow (conj_id) otherwise: pass */
  ACL_CONJ_PASS: { base: 1400, width: 1 },
  /** the clauses of the rules' conjunctive matches (one priority: OVS ties a conjunction to one) */
  ACL_CONJUNCTION: { base: 1300, width: 1 },
  /** no rule allows an established connection's packet in its original direction: mark it blocked, drop */
  ACL_MISS_ESTABLISHED: { base: 1100, width: 1 },
  /** no rule allows the packet of an enforced port: drop */
  ACL_MISS: { base: 1050, width: 1 },
  /** packets a stage does not apply to (from a tunnel, at port security) */
  SKIP: { base: 3000, width: 1 },
} as const

export type PriorityBand = keyof typeof PRIORITY_BANDS

export function priorityOf(band: PriorityBand, offset = 0): number {
  const b = PRIORITY_BANDS[band]
  if (!Number.isInteger(offset) || offset < 0 || offset >= b.width) {
    throw new Error(`priority offset ${offset} outside band ${band} (width ${b.width})`)
  }
  return b.base + offset
}
