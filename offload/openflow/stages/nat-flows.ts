// lr_in_dnat and lr_out_snat: 1:1 floating IPs as plain set_field rewrites (BEHAVIOUR.md "Ways in and out").
// OVS updates the IPv4 header checksum and the TCP/UDP checksum (pseudo-header) itself when set_field rewrites
// an address, and leaves a zero UDP checksum zero, as RFC 1624 and the WASM pipeline do.
//
// OpenFlow cannot rewrite the header an ICMP error quotes: an error whose outer destination is a floating IP
// (DNAT) or whose outer source is a fixed IP with a floating IP leaving through the gateway (SNAT) is punted
// (cookie reason `unsupported`) and the WASM slow path translates it.
// Not done here: the hairpin source rewrite (from inside the router to one of its floating IPs, from a fixed IP
// that has one: BEHAVIOUR.md asks for the source's floating IP too). It would take one flow per (inside router
// port x floating IP as destination x floating IP as source); such a packet gets only its destination rewritten.
import type { NatEntry, RouterGatewayEntry, RouterPortEntry } from '../../../datapath/host/entries.js'
import { STAGE_DNAT, STAGE_L2_LOOKUP, STAGE_L3_ROUTE, STAGE_SNAT } from '../../../datapath/spec/stages.js'
import { REASON_GATEWAY_ELSEWHERE, REASON_NO_SNAT, REASON_UNSUPPORTED } from '../../../datapath/spec/verdicts.js'
import { FlowBuilder, act } from '../builder.js'
import { ETH_TYPE_IPV4, ETH_TYPE_IPV6, ICMP_ERROR_TYPES, ICMPV6_ERROR_TYPES, IP_PROTO_ICMP, IP_PROTO_ICMPV6 } from '../fields.js'
import type { Action, Flow } from '../flow.js'
import { FLAG_DNAT_TO_GATEWAY, FLAG_FROM_UPLINK, FLAG_ROUTED, REG_FLAGS, REG_NETWORK, REG_ROUTER, flagSet } from '../layout.js'
import { Ipv4Address, Ipv6Address, MacAddress } from '../values.js'
import { Context, isV6, key } from './context.js'

/** The per-family pieces of a NAT flow. */
interface NatFamily {
  ethType: number
  matchSrc: (b: FlowBuilder, ip: string) => FlowBuilder
  matchDst: (b: FlowBuilder, ip: string) => FlowBuilder
  setSrc: (ip: string) => Action
  setDst: (ip: string) => Action
  /** one flow per ICMP error type, each from a fresh builder */
  icmpErrors: (b: () => FlowBuilder) => FlowBuilder[]
}

const V4: NatFamily = {
  ethType: ETH_TYPE_IPV4,
  matchSrc: (b, ip) => b.match('nw_src', Ipv4Address.parse(ip)),
  matchDst: (b, ip) => b.match('nw_dst', Ipv4Address.parse(ip)),
  setSrc: ip => act.setIpv4Src(Ipv4Address.parse(ip)),
  setDst: ip => act.setIpv4Dst(Ipv4Address.parse(ip)),
  icmpErrors: b => ICMP_ERROR_TYPES.map(type => b().match('ip_proto', IP_PROTO_ICMP).match('icmp_type', type)),
}

const V6: NatFamily = {
  ethType: ETH_TYPE_IPV6,
  matchSrc: (b, ip) => b.match('ipv6_src', Ipv6Address.parse(ip)),
  matchDst: (b, ip) => b.match('ipv6_dst', Ipv6Address.parse(ip)),
  setSrc: ip => act.setIpv6Src(Ipv6Address.parse(ip)),
  setDst: ip => act.setIpv6Dst(Ipv6Address.parse(ip)),
  icmpErrors: b => ICMPV6_ERROR_TYPES.map(type => b().match('ip_proto', IP_PROTO_ICMPV6).match('icmpv6_type', type)),
}

const familyOf = (ip: string): NatFamily => isV6(ip) ? V6 : V4

export function natFlows(c: Context): Flow[] {
  return [...c.of<NatEntry>('nat').flatMap(e => natEntryFlows(c, e)), ...natFixedFlows(c)]
}

export function natFixedFlows(c: Context): Flow[] {
  return [
    c.flow(STAGE_DNAT).priority('TABLE_MISS').cookie({ key: 0 }).goto(STAGE_L3_ROUTE).build(),
    c.flow(STAGE_SNAT).priority('TABLE_MISS').cookie({ key: 0 }).goto(STAGE_L2_LOOKUP).build(),
  ]
}

/** One floating IP: its DNAT flows (per router port of the router, and its own MAC) and its SNAT flows. */
export function natEntryFlows(c: Context, e: NatEntry): Flow[] {
  return [...dnatFlows(c, e), ...snatFlows(c, e)]
}

function dnatFlows(c: Context, e: NatEntry): Flow[] {
  const fam = familyOf(e.external_ip)
  const out: Flow[] = []
  const to = (network: number, mac: string, band: 'ENTRY' | 'NAT_ICMP_ERROR' | 'TTL_EXPIRED'): FlowBuilder =>
    fam.matchDst(c.flow(STAGE_DNAT).priority(band).cookie(band === 'NAT_ICMP_ERROR' ? { reason: REASON_UNSUPPORTED } : { key: e.router })
      .match(REG_NETWORK, key(network)).match('eth_dst', MacAddress.parse(mac)).match('eth_type', fam.ethType), e.external_ip)
  const punt = (network: number, mac: string): void => {
    for (const b of fam.icmpErrors(() => to(network, mac, 'NAT_ICMP_ERROR'))) out.push(b.apply(act.controller()).build())
  }
  // TTL / hop limit <= 1 enters the router untranslated: lr_in_ip_route's time exceeded quotes it as sent
  const expiring = (network: number, mac: string, ...actions: Action[]): void => {
    for (const ttl of [0, 1]) out.push(to(network, mac, 'TTL_EXPIRED').match('nw_ttl', ttl).apply(...actions).goto(STAGE_L3_ROUTE).build())
  }
  // entering the router through one of its port MACs (from outside on the gateway port, or a hairpin from inside)
  for (const rp of c.routerPortsOf(e.router)) {
    punt(rp.network, rp.mac)
    expiring(rp.network, rp.mac)
    out.push(to(rp.network, rp.mac, 'ENTRY').apply(fam.setDst(e.internal_ip)).goto(STAGE_L3_ROUTE).build())
  }
  // through the floating IP's own MAC: into the router as if to its gateway port MAC (not gateway_elsewhere)
  const gateway = c.routerPort(e.router, e.gateway_port)
  if (gateway !== undefined) {
    const intoGateway = [act.setEthDst(MacAddress.parse(gateway.mac)), act.setFlags(FLAG_DNAT_TO_GATEWAY)]
    punt(e.network, e.mac)
    expiring(e.network, e.mac, ...intoGateway)
    out.push(to(e.network, e.mac, 'ENTRY').apply(fam.setDst(e.internal_ip), ...intoGateway).goto(STAGE_L3_ROUTE).build())
  }
  return out
}

/** Routed out of the gateway port (router, gateway network) from the fixed IP: the floating IP and its MAC. */
function snatFlows(c: Context, e: NatEntry): Flow[] {
  const gateway = c.routerPort(e.router, e.gateway_port)
  if (gateway === undefined) return []
  const fam = familyOf(e.internal_ip)
  const from = (band: 'ENTRY' | 'NAT_ICMP_ERROR'): FlowBuilder =>
    fam.matchSrc(outOfGateway(c.flow(STAGE_SNAT).priority(band).cookie(band === 'ENTRY' ? { key: e.router } : { reason: REASON_UNSUPPORTED }),
      e.router, gateway).match('eth_type', fam.ethType), e.internal_ip)
  return [
    ...fam.icmpErrors(() => from('NAT_ICMP_ERROR')).map(b => b.apply(act.controller()).build()),
    from('ENTRY').apply(fam.setSrc(e.external_ip), act.setEthSrc(MacAddress.parse(e.mac))).goto(STAGE_L2_LOOKUP).build(),
  ]
}

const outOfGateway = (b: FlowBuilder, router: number, gateway: RouterPortEntry): FlowBuilder =>
  b.match(REG_FLAGS, flagSet(FLAG_ROUTED)).match(REG_ROUTER, key(router)).match(REG_NETWORK, key(gateway.network))

/**
 * A router's gateway: with snat, a source without a floating IP drops no_snat (port translation is not
 * implemented); without, it leaves untranslated (the table miss). Where the gateway chassis is another one, a
 * frame from an uplink to the gateway MAC drops gateway_elsewhere in lr_in_ip_route.
 */
export function gatewayEntryFlows(c: Context, e: RouterGatewayEntry): Flow[] {
  const gateway = c.routerPort(e.router, e.port)
  if (gateway === undefined) return []
  const out: Flow[] = []
  if (e.snat) {
    for (const ethType of [ETH_TYPE_IPV4, ETH_TYPE_IPV6]) {
      out.push(outOfGateway(c.flow(STAGE_SNAT).priority('CLASS_MISS').cookie({ reason: REASON_NO_SNAT }), e.router, gateway)
        .match('eth_type', ethType).build())
    }
  }
  if (!e.local) {
    out.push(c.flow(STAGE_L3_ROUTE).priority('GATEWAY_ELSEWHERE').cookie({ reason: REASON_GATEWAY_ELSEWHERE })
      .match(REG_NETWORK, key(gateway.network)).match('eth_dst', MacAddress.parse(gateway.mac))
      .match(REG_FLAGS, flagSet(FLAG_FROM_UPLINK)).build())
  }
  return out
}

export function gatewayFlows(c: Context): Flow[] {
  return c.of<RouterGatewayEntry>('router_gateway').flatMap(e => gatewayEntryFlows(c, e))
}
