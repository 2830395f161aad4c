// lr_in_arp_resolve: next hop -> MAC on the out network, for routed packets only (BEHAVIOUR.md §8).
import type { NexthopEntry } from '../../../datapath/host/entries.js'
import { STAGE_L2_LOOKUP, STAGE_NEXTHOP } from '../../../datapath/spec/stages.js'
import { REASON_PUNT_NEXTHOP_MISS } from '../../../datapath/spec/verdicts.js'
import { act } from '../builder.js'
import { ETH_TYPE_IPV4, ETH_TYPE_IPV6 } from '../fields.js'
import type { Flow } from '../flow.js'
import { FLAG_ROUTED, REG_FLAGS, REG_NETWORK, REG_NEXTHOP, REG_NEXTHOP6, flagSet } from '../layout.js'
import { Ipv4Address, Ipv6Address, MacAddress } from '../values.js'
import { Context, isV6, key } from './context.js'

export function nexthopFlows(c: Context): Flow[] {
  const out: Flow[] = []
  for (const e of c.of<NexthopEntry>('nexthop')) {
    const b = c.flow(STAGE_NEXTHOP).priority('ENTRY').cookie({ key: e.network })
      .match(REG_FLAGS, flagSet(FLAG_ROUTED)).match(REG_NETWORK, key(e.network))
    if (isV6(e.ip)) b.match(REG_NEXTHOP6, Ipv6Address.parse(e.ip)).match('eth_type', ETH_TYPE_IPV6)
    else b.match(REG_NEXTHOP, Ipv4Address.parse(e.ip)).match('eth_type', ETH_TYPE_IPV4)
    out.push(b.apply(act.setEthDst(MacAddress.parse(e.mac))).goto(STAGE_L2_LOOKUP).build())
  }
  out.push(c.flow(STAGE_NEXTHOP).priority('CLASS_MISS').cookie({ reason: REASON_PUNT_NEXTHOP_MISS })
    .match(REG_FLAGS, flagSet(FLAG_ROUTED)).apply(act.controller()).build())
  out.push(c.flow(STAGE_NEXTHOP).priority('TABLE_MISS').cookie({ key: 0 }).goto(STAGE_L2_LOOKUP).build())
  return out
}
