// lr_in_ip_route: packets to a router MAC: own addresses, TTL, longest prefix match, per family (BEHAVIOUR.md §7).
//
// A route flow only writes registers (out network, router key, next hop, ROUTED); the frame is rewritten (TTL,
// source and destination MAC) by lr_in_arp_resolve once the next hop has resolved. So a punt from either stage
// carries the frame as it came in, and the WASM slow path, which runs the whole pipeline again from in_port,
// sees what the workload sent (not a frame with the router's MAC as source, or a TTL decremented twice).
//
// Reactive L3 (Dragonflow's L3 reactive app; the planner's 'reactive-cache' placement): no LPM flows. A packet to
// a router MAC that no cached flow matches is punted whole (cookie reactiveMiss); the slow path routes it, and
// the agent installs reactiveRouteFlow(): an exact match on the destination that does what the LPM flow would
// (the same register writes, the same next table), with an idle timeout.
import type { RouteEntry, RouterPortEntry } from '../../../datapath/host/entries.js'
import { STAGE_L3_ROUTE, STAGE_NEXTHOP } from '../../../datapath/spec/stages.js'
import {
  REASON_GATEWAY_ELSEWHERE,
  REASON_PUNT_ICMP_ERROR,
  REASON_PUNT_ROUTER_LOCAL,
  REASON_NO_ROUTE,
  REASON_TTL_EXPIRED,
} from '../../../datapath/spec/verdicts.js'
import { FlowBuilder, act } from '../builder.js'
import {
  ETH_TYPE_IPV4,
  ETH_TYPE_IPV6,
  ICMP_ERROR_TYPES,
  ICMPV6_ERROR_TYPES,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMPV6_ECHO_REPLY,
  ICMPV6_ECHO_REQUEST,
  ECHO_REPLY_TTL,
  IP_PROTO_ICMP,
  IP_PROTO_ICMPV6,
  NW_FRAG_ANY,
  NW_FRAG_LATER,
} from '../fields.js'
import type { Action, Flow } from '../flow.js'
import {
  FLAG_FROM_UPLINK,
  FLAG_ROUTED,
  FLAG_SNAT_EXEMPT,
  REG_FLAGS,
  REG_NETWORK,
  REG_NEXTHOP,
  REG_NEXTHOP6,
  REG_ROUTER,
  flagClear,
  flagSet,
} from '../layout.js'
import { Cidr, Ipv4Address, Ipv6Address, MacAddress } from '../../../datapath/host/addresses.js'
import { Bits, MATCH_PREFIX } from '../values.js'
import { Context, isV6, key } from './context.js'
import { gatewayRedirectOf } from './nat-flows.js'

/** What routing needs per address family: the IPv4 and IPv6 flows differ only in these fields. */
interface Family {
  ethType: number
  /** the echo reply in place, out of the ingress port, for one of the router's addresses (tagged with `vlan`) */
  echoReply: (b: FlowBuilder, address: string, mac: MacAddress, vlan?: number) => FlowBuilder
  has: (text: string) => boolean
  matchDst: (b: FlowBuilder, cidrOrAddress: string) => FlowBuilder
  prefixLength: (cidr: string) => number
  /** the prefix holds the address */
  contains: (cidr: string, address: string) => boolean
  /** bits of an address: the prefix length of an exact match */
  bits: number
  /** directly connected: the next hop is the destination itself */
  dstToNexthop: Action
  setNexthop: (ip: string) => Action
  /** packets no ICMP error may be sent about (RFC 1122 3.2.2, RFC 4443 2.4 e) */
  noIcmpError: ((b: FlowBuilder) => FlowBuilder)[]
}

/** The tag pushed on a reply in place to a frame from a VLAN uplink (none otherwise). */
const tagged = (vlan: number | undefined): Action[] => (vlan === undefined ? [] : act.pushVlan(vlan))

const LATER_FRAGMENT = (b: FlowBuilder): FlowBuilder =>
  b.match('nw_frag', new Bits(NW_FRAG_ANY | NW_FRAG_LATER, NW_FRAG_ANY | NW_FRAG_LATER))

const IPV4: Family = {
  ethType: ETH_TYPE_IPV4,
  echoReply: (b, address, mac, vlan) =>
    b
      .match('ip_proto', IP_PROTO_ICMP)
      .match('nw_dst', Ipv4Address.parse(address))
      .match('icmp_type', ICMP_ECHO_REQUEST)
      .apply(
        act.move({ field: 'eth_src' }, { field: 'eth_dst' }),
        act.setEthSrc(mac),
        act.move({ field: 'nw_src' }, { field: 'nw_dst' }),
        act.setIpv4Src(Ipv4Address.parse(address)),
        act.setTtl(ECHO_REPLY_TTL),
        act.setIcmpType(ICMP_ECHO_REPLY),
        ...tagged(vlan),
        act.inPort(),
      ),
  has: text => !isV6(text),
  matchDst: (b, text) => b.match('nw_dst', Cidr.parseIpv4(text, MATCH_PREFIX)),
  prefixLength: cidr => Cidr.parseIpv4(cidr, MATCH_PREFIX).length,
  contains: (cidr, address) => {
    const p = Cidr.parseIpv4(cidr, MATCH_PREFIX)
    return (Ipv4Address.parse(address).value & p.mask) === p.address.value
  },
  bits: 32,
  dstToNexthop: act.move({ field: 'nw_dst' }, { field: REG_NEXTHOP }),
  setNexthop: ip => act.setNexthop(Ipv4Address.parse(ip)),
  // the slow path's own rule (datapath/assembly/stages/icmp-error.ts mayAnswer)
  noIcmpError: [
    LATER_FRAGMENT,
    b => b.match('nw_dst', Cidr.parseIpv4('224.0.0.0/4', MATCH_PREFIX)),
    b => b.match('nw_dst', Ipv4Address.parse('255.255.255.255')),
    b => b.match('nw_src', Ipv4Address.parse('0.0.0.0')),
    b => b.match('nw_src', Cidr.parseIpv4('224.0.0.0/4', MATCH_PREFIX)),
    b => b.match('nw_src', Ipv4Address.parse('255.255.255.255')),
    ...ICMP_ERROR_TYPES.map(type => (b: FlowBuilder) => b.match('ip_proto', IP_PROTO_ICMP).match('icmp_type', type)),
  ],
}

const IPV6: Family = {
  ethType: ETH_TYPE_IPV6,
  echoReply: (b, address, mac, vlan) =>
    b
      .match('ip_proto', IP_PROTO_ICMPV6)
      .match('ipv6_dst', Ipv6Address.parse(address))
      .match('icmpv6_type', ICMPV6_ECHO_REQUEST)
      .apply(
        act.move({ field: 'eth_src' }, { field: 'eth_dst' }),
        act.setEthSrc(mac),
        act.move({ field: 'ipv6_src' }, { field: 'ipv6_dst' }),
        act.setIpv6Src(Ipv6Address.parse(address)),
        act.setTtl(ECHO_REPLY_TTL),
        act.setIcmpv6Type(ICMPV6_ECHO_REPLY),
        ...tagged(vlan),
        act.inPort(),
      ),
  has: isV6,
  matchDst: (b, text) => b.match('ipv6_dst', Cidr.parseIpv6(text, MATCH_PREFIX)),
  prefixLength: cidr => Cidr.parseIpv6(cidr, MATCH_PREFIX).length,
  contains: (cidr, address) => {
    const p = Cidr.parseIpv6(cidr, MATCH_PREFIX)
    return (Ipv6Address.parse(address).value & p.mask) === p.address.value
  },
  bits: 128,
  dstToNexthop: act.move({ field: 'ipv6_dst' }, { field: REG_NEXTHOP6 }),
  setNexthop: ip => act.setNexthop6(Ipv6Address.parse(ip)),
  noIcmpError: [
    LATER_FRAGMENT,
    b => b.match('ipv6_dst', Cidr.parseIpv6('ff00::/8', MATCH_PREFIX)),
    b => b.match('ipv6_src', Cidr.parseIpv6('ff00::/8', MATCH_PREFIX)),
    b => b.match('ipv6_src', Ipv6Address.parse('::')),
    ...ICMPV6_ERROR_TYPES.map(type => (b: FlowBuilder) => b.match('ip_proto', IP_PROTO_ICMPV6).match('icmpv6_type', type)),
  ],
}

export type L3Mode = 'proactive' | 'reactive'

export interface RouteFlowOptions {
  /** proactive (default): one flow per router port x route; reactive: none, misses go to the slow path */
  l3?: L3Mode
}

const toRouter = (b: FlowBuilder, rp: RouterPortEntry, fam: Family): FlowBuilder =>
  b.match(REG_NETWORK, key(rp.network)).match('eth_dst', MacAddress.parse(rp.mac)).match('eth_type', fam.ethType)

/** What a routed packet gets, whether the flow is an LPM flow or a reactive exact match: registers only. */
function routeActions(fam: Family, r: RouteEntry, outPort: RouterPortEntry): Action[] {
  const nexthop = r.nexthop !== undefined ? fam.setNexthop(r.nexthop) : fam.dstToNexthop
  return [act.setKey(REG_NETWORK, key(outPort.network)), act.setKey(REG_ROUTER, key(r.router)), nexthop, act.setFlags(FLAG_ROUTED)]
}

/** The routes of a router with a port this node knows, per family, each with that out port. */
function knownRoutes(ports: RouterPortEntry[], routes: RouteEntry[], router: number, fam: Family): [RouteEntry, RouterPortEntry][] {
  const out: [RouteEntry, RouterPortEntry][] = []
  for (const r of routes) {
    if (r.router !== router || !fam.has(r.prefix)) continue
    const outPort = ports.find(p => p.port === r.port && p.router === r.router)
    if (outPort !== undefined) out.push([r, outPort]) // a route through a port this node does not know: the slow path decides
  }
  return out
}

export function routeFlows(c: Context, opts: RouteFlowOptions = {}): Flow[] {
  return [...c.of<RouterPortEntry>('router_port').flatMap(rp => routerPortFlows(c, rp, opts)), ...routeFixedFlows(c)]
}

export function routeFixedFlows(c: Context): Flow[] {
  return [c.flow(STAGE_L3_ROUTE).priority('TABLE_MISS').cookie({ key: 0 }).goto(STAGE_NEXTHOP).build()]
}

/** Every flow of one router (emit-units.ts: one unit per router): its ports x (its addresses, TTL, its routes). */
export function routerFlows(c: Context, router: number, opts: RouteFlowOptions = {}): Flow[] {
  return c.routerPortsOf(router).flatMap(rp => routerPortFlows(c, rp, opts))
}

function routerPortFlows(c: Context, rp: RouterPortEntry, opts: RouteFlowOptions): Flow[] {
  const reactive = opts.l3 === 'reactive'
  const out: Flow[] = []
  const ports = c.routerPortsOf(rp.router)
  const routes = c.routesOf(rp.router)
  const f = (): FlowBuilder => c.flow(STAGE_L3_ROUTE)
  for (const fam of [IPV4, IPV6]) {
    // any address of the router, whichever of its ports it sits on, before the TTL check (BEHAVIOUR.md §7)
    for (const other of ports) {
      for (const cidr of other.ips.filter(fam.has)) {
        const address = cidr.split('/')[0] as string
        out.push(
          fam
            .echoReply(toRouter(f().priority('ROUTER_ECHO').cookie({ key: rp.router }), rp, fam), address, MacAddress.parse(rp.mac))
            .build(),
        )
        // from the network's VLAN uplink: the reply leaves tagged (emit-units.ts: the uplink re-emits the router)
        const vlan = c.uplinkVlanOf(rp.network)
        if (vlan !== undefined) {
          out.push(
            fam
              .echoReply(
                toRouter(f().priority('ROUTER_ECHO_TAGGED').cookie({ key: rp.router }), rp, fam).match(
                  REG_FLAGS,
                  flagSet(FLAG_FROM_UPLINK),
                ),
                address,
                MacAddress.parse(rp.mac),
                vlan,
              )
              .build(),
          )
        }
        out.push(
          fam
            .matchDst(
              toRouter(f().priority('ROUTER_LOCAL').cookie({ reason: REASON_PUNT_ROUTER_LOCAL }), rp, fam),
              cidr.split('/')[0] as string,
            )
            .apply(act.controller())
            .build(),
        )
      }
    }
    for (const ttl of [0, 1]) {
      out.push(
        toRouter(f().priority('TTL_EXPIRED').cookie({ reason: REASON_PUNT_ICMP_ERROR }), rp, fam)
          .match('nw_ttl', ttl)
          .apply(act.controller())
          .build(),
      )
      for (const only of fam.noIcmpError) {
        out.push(
          only(toRouter(f().priority('TTL_EXPIRED_SILENT').cookie({ reason: REASON_TTL_EXPIRED }), rp, fam))
            .match('nw_ttl', ttl)
            .build(),
        )
      }
    }
    if (reactive) {
      // no LPM flows and no silent no-route drops (a later fragment or an ICMP error may well have a route):
      // whatever no cached flow matches goes whole to the slow path, which routes, answers or drops it
      out.push(
        toRouter(f().priority('ROUTE_MISS').cookie({ reactiveMiss: rp.router }), rp, fam)
          .apply(act.controller())
          .build(),
      )
      continue
    }
    const redirect = gatewayRedirectOf(c, rp.router)
    for (const [r, outPort] of knownRoutes(ports, routes, rp.router, fam)) {
      const route = (): FlowBuilder =>
        fam.matchDst(toRouter(f().priority('ROUTE', fam.prefixLength(r.prefix)).cookie({ key: r.router }), rp, fam), r.prefix)
      if (redirect === undefined || outPort.port !== redirect.gatewayPort || rp.port === redirect.gatewayPort) {
        out.push(
          route()
            .apply(...routeActions(fam, r, outPort))
            .goto(STAGE_NEXTHOP)
            .build(),
        )
        continue
      }
      // out of the gateway, the gateway chassis another one: a source with a floating IP (marked by lr_in_dnat,
      // nat-flows.ts snatExemptFlows) is routed here, any other goes there as it entered the router
      out.push(
        route()
          .match(REG_FLAGS, flagSet(FLAG_SNAT_EXEMPT))
          .apply(...routeActions(fam, r, outPort))
          .goto(STAGE_NEXTHOP)
          .build(),
      )
      // its cookie names the ingress router port, the port key BEHAVIOUR.md gives the redirect's tunnel verdict
      out.push(redirectFlow(c, route().cookie({ key: rp.port }).match(REG_FLAGS, flagClear(FLAG_SNAT_EXEMPT)), redirect.redirect))
    }
    // to the router MAC, no route: ICMP destination unreachable from the slow path (BEHAVIOUR.md §7),
    // unless no error may be sent about the packet
    for (const only of fam.noIcmpError) {
      out.push(only(toRouter(f().priority('ROUTE_MISS_SILENT').cookie({ reason: REASON_NO_ROUTE }), rp, fam)).build())
    }
    out.push(
      toRouter(f().priority('ROUTE_MISS').cookie({ reason: REASON_PUNT_ICMP_ERROR }), rp, fam)
        .apply(act.controller())
        .build(),
    )
  }
  return out
}

/**
 * The frame unchanged (eth_dst still the router port's MAC, TTL not decremented) to the gateway chassis, as
 * ls_out_dispatch sends to a remote port: tunnel key = the frame's network (reg0 before routing), outer
 * destination = the gateway chassis. With no gateway chassis known or no tunnel port here: gateway_elsewhere.
 */
function redirectFlow(c: Context, b: FlowBuilder, to: string | undefined): Flow {
  if (to === undefined || c.tunnelOfport === undefined) return b.cookie({ reason: REASON_GATEWAY_ELSEWHERE }).build()
  return b
    .apply(
      act.move({ field: REG_NETWORK }, { field: 'tun_id', ofs: 0, nBits: 32 }),
      act.setTunDst(Ipv4Address.parse(to)),
      act.output(c.tunnelPort(`the gateway chassis ${to}`)),
    )
    .build()
}

export interface ReactiveQuery {
  /** the router key from the reactive-miss punt's cookie */
  router: number
  /** the router port MAC the packet was sent to (its eth_dst) */
  routerMac: string
  /** the packet's IPv4 or IPv6 destination */
  dst: string
  idleTimeout: number
}

/**
 * The reactive flow for one destination: exact match on (network, router MAC, eth_type, destination), the
 * register writes of the route the LPM flows would have chosen (the longest prefix among the routes whose out
 * port this node knows), cookie reactive, an idle timeout. Undefined when no such route exists (the slow path
 * answers with an ICMP error or drops; nothing is cached, so a route added later is seen at once).
 */
export function reactiveRouteFlow(c: Context, q: ReactiveQuery, generation: number): Flow | undefined {
  const ports = c.routerPortsOf(q.router)
  const mac = MacAddress.parse(q.routerMac).value
  const rp = ports.find(p => MacAddress.parse(p.mac).value === mac)
  if (rp === undefined) return undefined
  const fam = isV6(q.dst) ? IPV6 : IPV4
  let best: [RouteEntry, RouterPortEntry] | undefined
  for (const cand of knownRoutes(ports, c.routesOf(rp.router), rp.router, fam)) {
    if (!fam.contains(cand[0].prefix, q.dst)) continue
    if (best === undefined || fam.prefixLength(cand[0].prefix) > fam.prefixLength(best[0].prefix)) best = cand
  }
  if (best === undefined) return undefined
  const [r, outPort] = best
  // a route out of a gateway whose gateway chassis is another one depends on the source (floating IP or not):
  // an exact match on the destination cannot tell, so such packets stay on the slow path, which redirects them
  const redirect = gatewayRedirectOf(c, rp.router)
  if (redirect !== undefined && outPort.port === redirect.gatewayPort && rp.port !== redirect.gatewayPort) return undefined
  return fam
    .matchDst(
      toRouter(FlowBuilder.forStage(STAGE_L3_ROUTE, { generation }).priority('ROUTE', fam.bits).cookie({ reactive: rp.router }), rp, fam),
      q.dst,
    )
    .apply(...routeActions(fam, r, outPort))
    .goto(STAGE_NEXTHOP)
    .idleTimeout(q.idleTimeout)
    .build()
}
