// ls_in_arp_nd_rsp: ARP requests answered in place; known-target neighbour solicitations and router solicitations
// punted (BEHAVIOUR.md §5).
import type { ArpNdEntry, NatEntry, RouterAdvertEntry, RouterPortEntry } from '../../../datapath/host/entries.js'
import { STAGE_ARP_ND_RSP, STAGE_DHCP } from '../../../datapath/spec/stages.js'
import { REASON_PUNT_NEIGHBOUR, REASON_UNSUPPORTED } from '../../../datapath/spec/verdicts.js'
import { act } from '../builder.js'
import { ARP_OP_REPLY, ARP_OP_REQUEST, ETH_TYPE_ARP, ETH_TYPE_IPV6, ICMPV6_ND_NA, ICMPV6_ND_NS, IP_PROTO_ICMPV6 } from '../fields.js'
import type { Action, Flow } from '../flow.js'
import { FLAG_FROM_UPLINK, REG_FLAGS, REG_NETWORK, flagSet } from '../layout.js'
import { Ipv4Address, Ipv6Address, MacAddress } from '../../../datapath/host/addresses.js'
import { Context, isV6, key } from './context.js'
import { routerSolicitPuntFlows } from './router-advert-flows.js'

export function arpFlows(c: Context): Flow[] {
  const entries = c.of<ArpNdEntry>('arp_nd')
  return [...entries.filter(e => !isV6(e.ip)), ...entries.filter(e => isV6(e.ip))]
    .flatMap(e => arpEntryFlows(c, e))
    .concat(
      c.of<RouterPortEntry>('router_port').flatMap(rp => neighbourPuntFlows(c, rp)),
      c.of<NatEntry>('nat').flatMap(e => natNeighbourPuntFlows(c, e)),
      c.of<RouterAdvertEntry>('router_advert').flatMap(e => routerSolicitPuntFlows(c, e)),
      arpFixedFlows(c),
    )
}

/**
 * An ARP reply or NA to a router port MAC on its network answers a resolution the slow path sent: punted
 * punt_neighbour (the agent learns the next hop from it), above the responder's flows.
 */
export function neighbourPuntFlows(c: Context, rp: RouterPortEntry): Flow[] {
  return neighbourPuntsTo(c, rp.network, rp.mac)
}

/**
 * The same for a floating IP's MAC on its external network: off the router's gateway chassis the slow path asks
 * for the upstream next hop from the floating IP (agent/controller/neighbours.ts), never from the gateway MAC.
 */
export function natNeighbourPuntFlows(c: Context, e: NatEntry): Flow[] {
  return neighbourPuntsTo(c, e.network, e.mac)
}

function neighbourPuntsTo(c: Context, network: number, mac: string): Flow[] {
  const to = (): ReturnType<Context['flow']> =>
    c
      .flow(STAGE_ARP_ND_RSP)
      .priority('ENTRY_EXCEPTION')
      .cookie({ reason: REASON_PUNT_NEIGHBOUR })
      .match(REG_NETWORK, key(network))
      .match('eth_dst', MacAddress.parse(mac))
  return [
    to().match('eth_type', ETH_TYPE_ARP).match('arp_op', ARP_OP_REPLY).apply(act.controller()).build(),
    to()
      .match('eth_type', ETH_TYPE_IPV6)
      .match('ip_proto', IP_PROTO_ICMPV6)
      .match('icmpv6_type', ICMPV6_ND_NA)
      .apply(act.controller())
      .build(),
  ]
}

export function arpFixedFlows(c: Context): Flow[] {
  return [c.flow(STAGE_ARP_ND_RSP).priority('TABLE_MISS').cookie({ key: 0 }).goto(STAGE_DHCP).build()]
}

/** An ARP request for the entry's IPv4 address is answered in place; an NS for its IPv6 address is punted. */
export function arpEntryFlows(c: Context, e: ArpNdEntry): Flow[] {
  if (!isV6(e.ip)) {
    const mac = MacAddress.parse(e.mac)
    const ip = Ipv4Address.parse(e.ip)
    // The reply in place (BEHAVIOUR.md §5, RFC 826): order matters, each move reads the request's fields.
    const reply: Action[] = [
      act.move({ field: 'eth_src' }, { field: 'eth_dst' }),
      act.setEthSrc(mac),
      act.setArpOp(ARP_OP_REPLY),
      act.move({ field: 'arp_sha' }, { field: 'arp_tha' }),
      act.move({ field: 'arp_spa' }, { field: 'arp_tpa' }),
      act.setArpSha(mac),
      act.setArpSpa(ip),
      act.inPort(),
    ]
    const request = (band: 'ENTRY' | 'ENTRY_TAGGED'): ReturnType<Context['flow']> =>
      c
        .flow(STAGE_ARP_ND_RSP)
        .priority(band)
        .cookie({ key: e.network })
        .match(REG_NETWORK, key(e.network))
        .match('eth_type', ETH_TYPE_ARP)
        .match('arp_op', ARP_OP_REQUEST)
        .match('arp_tpa', ip)
    // the owner's own request (an RFC 5227 probe or announcement) is not answered: it goes on, as for ND (BEHAVIOUR.md §5)
    const out = [
      request('ENTRY')
        .apply(...reply)
        .build(),
      c
        .flow(STAGE_ARP_ND_RSP)
        .priority('ENTRY_EXCEPTION')
        .cookie({ key: e.network })
        .match(REG_NETWORK, key(e.network))
        .match('eth_type', ETH_TYPE_ARP)
        .match('arp_op', ARP_OP_REQUEST)
        .match('arp_tpa', ip)
        .match('eth_src', mac)
        .goto(STAGE_DHCP)
        .build(),
    ]
    // a request from the network's VLAN uplink: the reply goes back tagged (emit-units.ts: the uplink re-emits it)
    const vlan = c.uplinkVlanOf(e.network)
    if (vlan !== undefined) {
      out.push(
        request('ENTRY_TAGGED')
          .match(REG_FLAGS, flagSet(FLAG_FROM_UPLINK))
          .apply(...reply.slice(0, -1), ...act.pushVlan(vlan), act.inPort())
          .build(),
      )
    }
    return out
  }
  const ns = (band: 'ENTRY' | 'ENTRY_EXCEPTION'): ReturnType<Context['flow']> =>
    c
      .flow(STAGE_ARP_ND_RSP)
      .priority(band)
      .match(REG_NETWORK, key(e.network))
      .match('eth_type', ETH_TYPE_IPV6)
      .match('ip_proto', IP_PROTO_ICMPV6)
      .match('icmpv6_type', ICMPV6_ND_NS)
      .match('nd_target', Ipv6Address.parse(e.ip))
  return [
    ns('ENTRY').cookie({ reason: REASON_UNSUPPORTED }).apply(act.controller()).build(),
    // the owner's own solicitation (its duplicate address detection) is not answered: it goes on (BEHAVIOUR.md §5)
    ns('ENTRY_EXCEPTION').cookie({ key: e.network }).match('eth_src', MacAddress.parse(e.mac)).goto(STAGE_DHCP).build(),
  ]
}
