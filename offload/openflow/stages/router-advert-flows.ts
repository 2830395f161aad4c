// ls_in_arp_nd_rsp, router solicitations: from a local port on a network with a router_advert entry they are
// punted, and the slow path's WASM pipeline validates them and answers with the advertisement (BEHAVIOUR.md §5).
// OpenFlow cannot check the ICMPv6 checksum or walk the options (RFC 4861 6.1.1), so every check is the slow
// path's; the switch only picks the solicitations out.
import type { RouterAdvertEntry } from '../../../datapath/host/entries.js'
import { STAGE_ARP_ND_RSP } from '../../../datapath/spec/stages.js'
import { REASON_PUNT_ROUTER_SOLICIT } from '../../../datapath/spec/verdicts.js'
import { act } from '../builder.js'
import { ETH_TYPE_IPV6, IP_PROTO_ICMPV6 } from '../fields.js'
import type { Flow } from '../flow.js'
import { FLAG_FROM_TUNNEL, FLAG_FROM_UPLINK, REG_FLAGS, REG_NETWORK, flagClear } from '../layout.js'
import { Context, key } from './context.js'

/** RFC 4861 4.1 router solicitation */
const ICMPV6_ND_RS = 133

export function routerSolicitPuntFlows(c: Context, e: RouterAdvertEntry): Flow[] {
  // the cookie names the reason; the sender's own chassis answers a solicitation that came through a tunnel
  return [
    c
      .flow(STAGE_ARP_ND_RSP)
      .priority('ENTRY')
      .cookie({ reason: REASON_PUNT_ROUTER_SOLICIT })
      .match(REG_NETWORK, key(e.network))
      .match('eth_type', ETH_TYPE_IPV6)
      .match('ip_proto', IP_PROTO_ICMPV6)
      .match('icmpv6_type', ICMPV6_ND_RS)
      .match(REG_FLAGS, flagClear(FLAG_FROM_TUNNEL | FLAG_FROM_UPLINK))
      .apply(act.controller())
      .build(),
  ]
}
