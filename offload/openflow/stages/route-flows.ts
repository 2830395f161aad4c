// lr_in_ip_route: packets to a router MAC: own addresses, TTL, longest prefix match, per family (BEHAVIOUR.md §7).
import type { RouteEntry, RouterPortEntry } from '../../../datapath/host/entries.js'
import { STAGE_L3_ROUTE, STAGE_NEXTHOP } from '../../../datapath/spec/stages.js'
import {
  REASON_PUNT_ICMP_ERROR, REASON_PUNT_ROUTER_LOCAL, REASON_NO_ROUTE, REASON_TTL_EXPIRED,
} from '../../../datapath/spec/verdicts.js'
import { FlowBuilder, act } from '../builder.js'
import {
  ETH_TYPE_IPV4, ETH_TYPE_IPV6, ICMP_ERROR_TYPES, ICMPV6_ERROR_TYPES, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST,
  ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST, ECHO_REPLY_TTL, IP_PROTO_ICMP, IP_PROTO_ICMPV6, NW_FRAG_ANY,
  NW_FRAG_LATER,
} from '../fields.js'
import type { Action, Flow } from '../flow.js'
import { FLAG_ROUTED, REG_NETWORK, REG_NEXTHOP, REG_NEXTHOP6 } from '../layout.js'
import { Bits, Ipv4Address, Ipv4Prefix, Ipv6Address, Ipv6Prefix, MacAddress } from '../values.js'
import { Context, isV6, key } from './context.js'

/** What routing needs per address family: the IPv4 and IPv6 flows differ only in these fields. */
interface Family {
  ethType: number
  /** the echo reply in place, out of the ingress port, for one of the router's addresses */
  echoReply: (b: FlowBuilder, address: string, mac: MacAddress) => FlowBuilder
  has: (text: string) => boolean
  matchDst: (b: FlowBuilder, cidrOrAddress: string) => FlowBuilder
  prefixLength: (cidr: string) => number
  /** directly connected: the next hop is the destination itself */
  dstToNexthop: Action
  setNexthop: (ip: string) => Action
  /** packets no ICMP error may be sent about (RFC 1122 3.2.2, RFC 4443 2.4 e) */
  noIcmpError: ((b: FlowBuilder) => FlowBuilder)[]
}

const LATER_FRAGMENT = (b: FlowBuilder): FlowBuilder =>
  b.match('nw_frag', new Bits(NW_FRAG_ANY | NW_FRAG_LATER, NW_FRAG_ANY | NW_FRAG_LATER))

const IPV4: Family = {
  ethType: ETH_TYPE_IPV4,
  echoReply: (b, address, mac) => b.match('ip_proto', IP_PROTO_ICMP).match('nw_dst', Ipv4Address.parse(address))
    .match('icmp_type', ICMP_ECHO_REQUEST)
    .apply(act.move({ field: 'eth_src' }, { field: 'eth_dst' }), act.setEthSrc(mac),
      act.move({ field: 'nw_src' }, { field: 'nw_dst' }), act.setIpv4Src(Ipv4Address.parse(address)),
      act.setTtl(ECHO_REPLY_TTL), act.setIcmpType(ICMP_ECHO_REPLY), act.inPort()),
  has: text => !isV6(text),
  matchDst: (b, text) => b.match('nw_dst', Ipv4Prefix.parse(text)),
  prefixLength: cidr => Ipv4Prefix.parse(cidr).length,
  dstToNexthop: act.move({ field: 'nw_dst' }, { field: REG_NEXTHOP }),
  setNexthop: ip => act.setNexthop(Ipv4Address.parse(ip)),
  // the slow path's own rule (datapath/assembly/stages/icmp-error.ts mayAnswer)
  noIcmpError: [
    LATER_FRAGMENT,
    b => b.match('nw_dst', Ipv4Prefix.parse('224.0.0.0/4')),
    b => b.match('nw_dst', Ipv4Address.parse('255.255.255.255')),
    b => b.match('nw_src', Ipv4Address.parse('0.0.0.0')),
    b => b.match('nw_src', Ipv4Prefix.parse('224.0.0.0/4')),
    b => b.match('nw_src', Ipv4Address.parse('255.255.255.255')),
    ...ICMP_ERROR_TYPES.map(type => (b: FlowBuilder) => b.match('ip_proto', IP_PROTO_ICMP).match('icmp_type', type)),
  ],
}

const IPV6: Family = {
  ethType: ETH_TYPE_IPV6,
  echoReply: (b, address, mac) => b.match('ip_proto', IP_PROTO_ICMPV6).match('ipv6_dst', Ipv6Address.parse(address))
    .match('icmpv6_type', ICMPV6_ECHO_REQUEST)
    .apply(act.move({ field: 'eth_src' }, { field: 'eth_dst' }), act.setEthSrc(mac),
      act.move({ field: 'ipv6_src' }, { field: 'ipv6_dst' }), act.setIpv6Src(Ipv6Address.parse(address)),
      act.setTtl(ECHO_REPLY_TTL), act.setIcmpv6Type(ICMPV6_ECHO_REPLY), act.inPort()),
  has: isV6,
  matchDst: (b, text) => b.match('ipv6_dst', Ipv6Prefix.parse(text)),
  prefixLength: cidr => Ipv6Prefix.parse(cidr).length,
  dstToNexthop: act.move({ field: 'ipv6_dst' }, { field: REG_NEXTHOP6 }),
  setNexthop: ip => act.setNexthop6(Ipv6Address.parse(ip)),
  noIcmpError: [
    LATER_FRAGMENT,
    b => b.match('ipv6_dst', Ipv6Prefix.parse('ff00::/8')),
    b => b.match('ipv6_src', Ipv6Prefix.parse('ff00::/8')),
    b => b.match('ipv6_src', Ipv6Address.parse('::')),
    ...ICMPV6_ERROR_TYPES.map(type => (b: FlowBuilder) => b.match('ip_proto', IP_PROTO_ICMPV6).match('icmpv6_type', type)),
  ],
}

export function routeFlows(c: Context): Flow[] {
  const out: Flow[] = []
  const ports = c.of<RouterPortEntry>('router_port')
  const routes = c.of<RouteEntry>('route')
  const f = (): FlowBuilder => c.flow(STAGE_L3_ROUTE)
  for (const rp of ports) {
    for (const fam of [IPV4, IPV6]) {
      const toRouter = (b: FlowBuilder): FlowBuilder =>
        b.match(REG_NETWORK, key(rp.network)).match('eth_dst', MacAddress.parse(rp.mac)).match('eth_type', fam.ethType)
      // any address of the router, whichever of its ports it sits on, before the TTL check (BEHAVIOUR.md §7)
      for (const other of ports.filter(p => p.router === rp.router)) {
        for (const cidr of other.ips.filter(fam.has)) {
          const address = cidr.split('/')[0] as string
          out.push(fam.echoReply(toRouter(f().priority('ROUTER_ECHO').cookie({ key: rp.router })), address,
            MacAddress.parse(rp.mac)).build())
          out.push(fam.matchDst(toRouter(f().priority('ROUTER_LOCAL').cookie({ reason: REASON_PUNT_ROUTER_LOCAL })),
            cidr.split('/')[0] as string).apply(act.controller()).build())
        }
      }
      for (const ttl of [0, 1]) {
        out.push(toRouter(f().priority('TTL_EXPIRED').cookie({ reason: REASON_PUNT_ICMP_ERROR }))
          .match('nw_ttl', ttl).apply(act.controller()).build())
        for (const only of fam.noIcmpError) {
          out.push(only(toRouter(f().priority('TTL_EXPIRED_SILENT').cookie({ reason: REASON_TTL_EXPIRED }))).match('nw_ttl', ttl).build())
        }
      }
      for (const r of routes.filter(r => r.router === rp.router && fam.has(r.prefix))) {
        const outPort = ports.find(p => p.port === r.port && p.router === r.router)
        if (outPort === undefined) continue // a route through a port this node does not know: the slow path decides
        const nexthop = r.nexthop !== undefined ? fam.setNexthop(r.nexthop) : fam.dstToNexthop
        out.push(fam.matchDst(toRouter(f().priority('ROUTE', fam.prefixLength(r.prefix)).cookie({ key: r.router })), r.prefix)
          .apply(act.decTtl(), act.setEthSrc(MacAddress.parse(outPort.mac)), act.setKey(REG_NETWORK, key(outPort.network)),
            nexthop, act.setFlags(FLAG_ROUTED))
          .goto(STAGE_NEXTHOP).build())
      }
      // to the router MAC, no route: ICMP destination unreachable from the slow path (BEHAVIOUR.md §7),
      // unless no error may be sent about the packet
      for (const only of fam.noIcmpError) {
        out.push(only(toRouter(f().priority('ROUTE_MISS_SILENT').cookie({ reason: REASON_NO_ROUTE }))).build())
      }
      out.push(toRouter(f().priority('ROUTE_MISS').cookie({ reason: REASON_PUNT_ICMP_ERROR })).apply(act.controller()).build())
    }
  }
  out.push(f().priority('TABLE_MISS').cookie({ key: 0 }).goto(STAGE_NEXTHOP).build())
  return out
}
