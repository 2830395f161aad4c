// lr_in_arp_resolve: next hop -> MAC on the out network, for routed packets only (BEHAVIOUR.md §8).
//
// This is where a routed frame is rewritten (TTL/hop limit, source MAC = the routing router's port on the out
// network, destination MAC = the next hop's), so nothing is modified before the next hop resolves: the
// punt_nexthop_miss punt carries the frame as it came in, and the WASM slow path, which runs the whole pipeline
// again from in_port, decides on what the workload sent. One flow per (router port on the network x next hop),
// told apart by the router key lr_in_ip_route wrote into REG_ROUTER.
import type { NexthopEntry } from '../../../datapath/host/entries.js'
import { STAGE_SNAT, STAGE_NEXTHOP } from '../../../datapath/spec/stages.js'
import { REASON_PUNT_NEXTHOP_MISS } from '../../../datapath/spec/verdicts.js'
import { act } from '../builder.js'
import { ETH_TYPE_IPV4, ETH_TYPE_IPV6 } from '../fields.js'
import type { Flow } from '../flow.js'
import { FLAG_ROUTED, REG_FLAGS, REG_NETWORK, REG_NEXTHOP, REG_NEXTHOP6, REG_ROUTER, flagSet } from '../layout.js'
import { Ipv4Address, Ipv6Address, MacAddress } from '../../../datapath/host/addresses.js'
import { Context, isV6, key } from './context.js'

export function nexthopFlows(c: Context): Flow[] {
  return [...c.of<NexthopEntry>('nexthop').flatMap(e => nexthopEntryFlows(c, e)), ...nexthopFixedFlows(c)]
}

export function nexthopFixedFlows(c: Context): Flow[] {
  return [
    c
      .flow(STAGE_NEXTHOP)
      .priority('CLASS_MISS')
      .cookie({ reason: REASON_PUNT_NEXTHOP_MISS })
      .match(REG_FLAGS, flagSet(FLAG_ROUTED))
      .apply(act.controller())
      .build(),
    c.flow(STAGE_NEXTHOP).priority('TABLE_MISS').cookie({ key: 0 }).goto(STAGE_SNAT).build(),
  ]
}

/**
 * One next hop x the router ports on its network (emit-units.ts: the entry's unit, also re-emitted when a router
 * port on the network changes). Two ports of one router on one network would yield the same match twice: the
 * agent's flow table keeps the least of them (a router has one port per subnet; Neutron refuses two on one
 * network's same subnet).
 */
export function nexthopEntryFlows(c: Context, e: NexthopEntry): Flow[] {
  return c.routerPortsOn(e.network).map(rp => {
    const b = c
      .flow(STAGE_NEXTHOP)
      .priority('ENTRY')
      .cookie({ key: e.network })
      .match(REG_FLAGS, flagSet(FLAG_ROUTED))
      .match(REG_NETWORK, key(e.network))
      .match(REG_ROUTER, key(rp.router))
    if (isV6(e.ip)) b.match(REG_NEXTHOP6, Ipv6Address.parse(e.ip)).match('eth_type', ETH_TYPE_IPV6)
    else b.match(REG_NEXTHOP, Ipv4Address.parse(e.ip)).match('eth_type', ETH_TYPE_IPV4)
    return b
      .apply(act.decTtl(), act.setEthSrc(MacAddress.parse(rp.mac)), act.setEthDst(MacAddress.parse(e.mac)))
      .goto(STAGE_SNAT)
      .build()
  })
}
