// lr_in_dnat and lr_out_snat on TC (BEHAVIOUR.md "Ways in and out"): 1:1 NAT is pedit of the address plus
// act_csum, and for a frame to a floating IP's MAC a pedit of eth_dst to the gateway router port's MAC; the
// target needs no state. What TC cannot do goes to software: ICMP to or from a translated address (an error
// quotes the header, whose rewrite is inside the ICMP payload: trapped by protocol, so echoes go too), IPv4
// fragments (later ones carry no L4 header for the pedit/csum pair), and every profile lacking the rewrites.
import type { NatEntry } from '../../../datapath/host/entries.js'
import { STAGE_DNAT, STAGE_L2_LOOKUP, STAGE_L3_ROUTE, STAGE_SNAT } from '../../../datapath/spec/stages.js'
import { ETH_TYPE_IPV4, ETH_TYPE_IPV6, IP_PROTO_ICMP, IP_PROTO_ICMPV6, isV6 } from '../frame-dissector.js'
import type { FlowerMatch, TcAction } from './flower-rule.js'
import { type StageEnv, inSoftware } from './emit-tc.js'
import { goto, trap } from './tc-actions.js'
import type { PathContext, RuleSink } from './tc-context.js'
import { PRIO } from './tc-prio.js'

const host = (ip: string): string => `${ip}/${isV6(ip) ? 128 : 32}`
const ipMatch = (ip: string): FlowerMatch => (isV6(ip) ? { eth_type: ETH_TYPE_IPV6 } : { eth_type: ETH_TYPE_IPV4 })
const icmpOf = (ip: string): number => (isV6(ip) ? IP_PROTO_ICMPV6 : IP_PROTO_ICMP)

/** Routing starts at lr_in_dnat when this node has NAT to do, else at lr_in_ip_route. */
export function routingChain(env: StageEnv, ctx: PathContext): number {
  const nat = env.idx.of('nat').length > 0
  return env.chains.chain(nat ? STAGE_DNAT : STAGE_L3_ROUTE, ctx)
}

/** The routed context after a route out of router port `port` of `router` on `network`. */
export function routedOut(env: StageEnv, o: { network: number; router: number; port: number }): PathContext {
  const gateway = env.idx.of('router_gateway').find(g => g.router === o.router && g.port === o.port)
  return { network: o.network, srcPort: 0, routed: true, fromTunnel: false, ...(gateway !== undefined ? { snatRouter: o.router } : {}) }
}

/** After the next hop: lr_out_snat for a packet leaving a gateway port, else the L2 lookup. */
export function afterNexthop(env: StageEnv, ctx: PathContext): number {
  return env.chains.chain(ctx.snatRouter !== undefined ? STAGE_SNAT : STAGE_L2_LOOKUP, ctx)
}

/** Whether the profile holds the rewrites 1:1 NAT needs (the planner's decision for the stage). */
const rewrites = (env: StageEnv, stage: number): boolean => !inSoftware(env, stage)

export function dnatRules(env: StageEnv, ctx: PathContext, add: RuleSink): void {
  const next = env.chains.chain(STAGE_L3_ROUTE, ctx)
  const nats = env.idx.of('nat')
  const natsOf = (router: number): NatEntry[] => nats.filter(n => n.router === router)
  const gatewayMac = (n: NatEntry): string | undefined => env.idx.of('router_port').find(p => p.port === n.gateway_port)?.mac
  // a frame enters router R through one of R's router port MACs on this network, or a floating IP's MAC
  const doors: { mac: string; router: number; viaNat?: NatEntry }[] = [
    ...env.idx
      .of('router_port')
      .filter(p => p.network === ctx.network)
      .map(p => ({ mac: p.mac, router: p.router })),
    ...nats.filter(n => n.network === ctx.network).map(n => ({ mac: n.mac, router: n.router, viaNat: n })),
  ]
  for (const door of doors) {
    // a floating IP's MAC admits only that floating IP (its port's MAC)
    for (const n of door.viaNat !== undefined ? [door.viaNat] : natsOf(door.router)) {
      const to: FlowerMatch = { eth_dst: door.mac, ...ipMatch(n.external_ip), dst_ip: host(n.external_ip) }
      if (!rewrites(env, STAGE_DNAT)) {
        add({ prio: PRIO.ENTRY, match: to, actions: [trap('lr_in_dnat stays in software on this profile')] })
        continue
      }
      add({
        prio: PRIO.EXCEPTION,
        match: { ...to, ip_proto: icmpOf(n.external_ip) },
        actions: [trap("ICMP to a floating IP: an error's quoted header is rewritten in software")],
      })
      if (!isV6(n.external_ip))
        add({
          prio: PRIO.EXCEPTION,
          match: { ...to, ip_frag: true },
          actions: [trap('an IPv4 fragment to a floating IP: the L4 checksum cannot be fixed per fragment')],
        })
      const rewrite: TcAction[] = [{ kind: 'pedit_ip', field: 'dst', ip: n.internal_ip }]
      const mac = door.viaNat !== undefined ? gatewayMac(n) : undefined
      if (mac !== undefined) rewrite.push({ kind: 'pedit_eth', field: 'dst', mac })
      if (ctx.network !== n.network) {
        // hairpin from inside: a source with a floating IP leaves from it, so the reply comes back through R
        for (const own of natsOf(door.router).filter(o => isV6(o.internal_ip) === isV6(n.external_ip))) {
          add({
            prio: PRIO.ENTRY,
            match: { ...to, src_ip: host(own.internal_ip) },
            actions: [...rewrite, { kind: 'pedit_ip', field: 'src', ip: own.external_ip }, goto(next)],
          })
        }
      }
      add({ prio: PRIO.ENTRY + 1, match: to, actions: [...rewrite, goto(next)] })
    }
  }
  // replies of port-translated connections, to a gateway IP of a router whose gateway chassis this is
  for (const g of env.idx.of('router_gateway').filter(x => x.snat && x.local)) {
    const rp = env.idx.of('router_port').find(p => p.port === g.port && p.network === ctx.network)
    if (rp === undefined) continue
    for (const cidr of rp.ips) {
      const ip = cidr.split('/')[0] as string
      if (isV6(ip)) continue
      add({
        prio: PRIO.EXCEPTION,
        match: { eth_dst: rp.mac, eth_type: ETH_TYPE_IPV4, dst_ip: host(ip) },
        actions: [trap('to the gateway IP: replies of port-translated connections, the connection table is in software')],
      })
    }
  }
  add({ prio: PRIO.MISS, match: {}, actions: [goto(next)] })
}

export function snatRules(env: StageEnv, ctx: PathContext, add: RuleSink): void {
  const router = ctx.snatRouter ?? 0
  const next = env.chains.chain(STAGE_L2_LOOKUP, { ...ctx, snatRouter: undefined })
  const gateway = env.idx.of('router_gateway').find(g => g.router === router)
  for (const n of env.idx.of('nat').filter(x => x.router === router)) {
    const from: FlowerMatch = { ...ipMatch(n.internal_ip), src_ip: host(n.internal_ip) }
    if (!rewrites(env, STAGE_SNAT)) {
      add({ prio: PRIO.ENTRY, match: from, actions: [trap('lr_out_snat stays in software on this profile')] })
      continue
    }
    add({
      prio: PRIO.EXCEPTION,
      match: { ...from, ip_proto: icmpOf(n.internal_ip) },
      actions: [trap("ICMP from a fixed IP with a floating IP: an error's quoted header is rewritten in software")],
    })
    if (!isV6(n.internal_ip))
      add({
        prio: PRIO.EXCEPTION,
        match: { ...from, ip_frag: true },
        actions: [trap('an IPv4 fragment from a floating IP: the L4 checksum cannot be fixed per fragment')],
      })
    add({
      prio: PRIO.ENTRY,
      match: from,
      actions: [{ kind: 'pedit_ip', field: 'src', ip: n.external_ip }, { kind: 'pedit_eth', field: 'src', mac: n.mac }, goto(next)],
    })
  }
  // no floating IP: off the gateway chassis it is redirected there (lr_in_ip_route, in software here: the model
  // has no tunnel redirect); on it, Neutron's enable_snat false leaves it untranslated, true translates IPv4
  // ports, which needs a connection table that translates: software (the model has no ct_nat); IPv6 untranslated
  if (gateway !== undefined && !gateway.local)
    add({ prio: PRIO.DENY, match: {}, actions: [trap('off the gateway chassis: redirected to it in software')] })
  else if (gateway?.snat === true)
    add({
      prio: PRIO.DENY,
      match: { eth_type: ETH_TYPE_IPV4 },
      actions: [trap('SNAT with port translation: the connection table is in software')],
    })
  add({ prio: PRIO.MISS, match: {}, actions: [goto(next)] })
}
