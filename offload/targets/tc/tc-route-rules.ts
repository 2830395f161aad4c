// lr_in_ip_route and lr_in_arp_resolve on TC (BEHAVIOUR.md §7, §8): a router port is specialised into its
// routes (flower has no register to hold the router); a route with a fixed next hop is resolved in the route
// rule itself, a directly connected one in the out network's next-hop chain (match on the destination).
import type { RouterPortEntry } from '../../../datapath/host/entries.js'
import { parseIp } from '../../../datapath/host/addresses.js'
import { STAGE_L2_LOOKUP, STAGE_L3_ROUTE, STAGE_NEXTHOP } from '../../../datapath/spec/stages.js'
import { ETH_TYPE_IPV4, ETH_TYPE_IPV6, isV6 } from '../frame-dissector.js'
import type { TcAction } from './flower-rule.js'
import { type StageEnv, canMatch, inSoftware } from './emit-tc.js'
import { goto, trap } from './tc-actions.js'
import type { PathContext, RuleSink } from './tc-context.js'
import { PRIO, routePrio } from './tc-prio.js'
import { afterNexthop, routedOut } from './tc-nat-rules.js'

/** Expiry: TTL / hop limit 0 or 1 gets an ICMP error or a silent drop (BEHAVIOUR.md §7). */
const EXPIRING_TTLS = [0, 1]

export function routeRules(env: StageEnv, ctx: PathContext, add: RuleSink): void {
  const ports = env.idx.of('router_port')
  if (inSoftware(env, STAGE_L3_ROUTE) && !canMatch(env, ['eth_dst', 'eth_type']) && ports.some(p => p.network === ctx.network)) {
    add({ prio: PRIO.MISS, match: {}, actions: [trap('the profile cannot match a router MAC to select routed traffic')] })
    return
  }
  for (const rp of ports.filter(p => p.network === ctx.network)) {
    for (const fam of [4, 6] as const) {
      const eth_type = fam === 4 ? ETH_TYPE_IPV4 : ETH_TYPE_IPV6
      const toRouter = { eth_dst: rp.mac, eth_type }
      if (inSoftware(env, STAGE_L3_ROUTE)) {
        add({ prio: PRIO.ENTRY, match: toRouter, actions: [trap('lr_in_ip_route stays in software on this profile')] })
        continue
      }
      const gateway = env.idx.of('router_gateway').find(g => g.router === rp.router && g.port === rp.port)
      if (gateway !== undefined && !gateway.local && ctx.fromUplink === true) {
        // only the gateway chassis routes what the physical network sends to the gateway MAC (gateway_elsewhere)
        add({ prio: PRIO.GUARD, match: toRouter, actions: [trap('to a router gateway MAC from the uplink, not on the gateway chassis')] })
        continue
      }
      const own = ports
        .filter(p => p.router === rp.router)
        .flatMap(p => p.ips)
        .filter(c => isV6(c) === (fam === 6))
      for (const cidr of own) {
        const address = cidr.split('/')[0] as string // CIDR text: address before the slash
        add({
          prio: PRIO.EXCEPTION,
          match: { ...toRouter, dst_ip: `${address}/${fam === 4 ? 32 : 128}` },
          actions: [trap('to the router itself (echo reply needs set(icmp))')],
        })
      }
      for (const ttl of EXPIRING_TTLS) {
        add({ prio: PRIO.EXCEPTION + 1, match: { ...toRouter, ip_ttl: ttl }, actions: [trap('TTL expiry: an ICMP error is a new frame')] })
      }
      for (const r of env.idx.of('route').filter(r => r.router === rp.router && isV6(r.prefix) === (fam === 6))) {
        const length = Number(r.prefix.split('/')[1])
        add({ prio: routePrio(length), match: { ...toRouter, dst_ip: r.prefix }, actions: routeActions(env, { route: r, fam, ports }) })
      }
      add({ prio: PRIO.ROUTE_MISS, match: toRouter, actions: [trap('no route: an ICMP error is a new frame')] })
    }
  }
  add({ prio: PRIO.MISS, match: {}, actions: [goto(env.chains.chain(STAGE_L2_LOOKUP, ctx))] })
}

function routeActions(
  env: StageEnv,
  o: { route: { router: number; port: number; nexthop?: string }; fam: 4 | 6; ports: RouterPortEntry[] },
): TcAction[] {
  const out = o.ports.find(p => p.port === o.route.port && p.router === o.route.router)
  if (out === undefined) return [trap('a route through a router port this node does not know')]
  if (inSoftware(env, STAGE_NEXTHOP)) return [trap('lr_in_arp_resolve stays in software on this profile')]
  const rewrite: TcAction[] = [
    { kind: 'dec_ttl', family: o.fam },
    { kind: 'pedit_eth', field: 'src', mac: out.mac },
  ]
  const routed = routedOut(env, { network: out.network, router: out.router, port: out.port })
  if (o.route.nexthop === undefined) return [...rewrite, goto(env.chains.chain(STAGE_NEXTHOP, routed))]
  const want = parseIp(o.route.nexthop).toString()
  const nh = env.idx.of('nexthop').find(n => n.network === out.network && parseIp(n.ip).toString() === want)
  if (nh === undefined) return [trap('unresolved next hop')]
  return [...rewrite, { kind: 'pedit_eth', field: 'dst', mac: nh.mac }, goto(afterNexthop(env, routed))]
}

export function nexthopRules(env: StageEnv, ctx: PathContext, add: RuleSink): void {
  for (const nh of env.idx.of('nexthop').filter(n => n.network === ctx.network)) {
    const v6 = isV6(nh.ip)
    add({
      prio: PRIO.ENTRY,
      match: { eth_type: v6 ? ETH_TYPE_IPV6 : ETH_TYPE_IPV4, dst_ip: `${nh.ip}/${v6 ? 128 : 32}` },
      actions: [{ kind: 'pedit_eth', field: 'dst', mac: nh.mac }, goto(afterNexthop(env, ctx))],
    })
  }
  add({ prio: PRIO.MISS, match: {}, actions: [trap('unresolved next hop')] })
}
