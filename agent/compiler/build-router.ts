// The entries of a followed router: per interface port a router_port (MAC, addresses with their subnet's prefix
// length), its l2 and arp_nd rows (so the gateway answers ARP/ND and frames to it are known on the network), a
// direct route per interface subnet, then the extra routes (router.routes), each out of the interface whose
// subnet holds its nexthop. A router with an external gateway also gets a router_port for its gateway port, a
// direct route per external subnet, the default route(s) via the external subnets' gateway IPs and one
// router_gateway row; the gateway port's arp_nd and l2 only on the gateway chassis (`local`), so only one chassis
// answers ARP for the gateway IP and the physical switch learns its MAC in one place. One route per prefix per router (the datapath keys routes that way): direct routes
// win, then the first extra route; the others are reported, as are nexthops on no interface subnet. An interface
// with IPv6 subnets in an ipv6_ra_mode also gets a router_advert row (build-router-advert.ts).
import type { Entry, RouteEntry } from '../../datapath/host/entries.js'
import { ROUTER_PORT_MAX_PREFIXES } from '../../datapath/spec/entry-kinds.js'
import type { Network, Port, Router, Subnet } from '../../model/types.js'
import { cidrOf, contains, formatAddr, ipOf, lowerMac, networkPrefix } from './addresses.js'
import type { CompileProblem } from './problems.js'
import { buildRouterAdvert } from './build-router-advert.js'

export interface RouterInterfaceInput {
  port: Port
  network: Network
  /** The known subnets of the port's fixed IPs. */
  subnets: Map<string, Subnet>
}

export interface RouterGatewayInput extends RouterInterfaceInput {
  /** Neutron's enable_snat (default true). */
  snat: boolean
  /** This chassis is the router's gateway chassis (gateway-chassis.ts). */
  local: boolean
  /** Not local: the gateway chassis' tunnel endpoint (where traffic without a floating IP leaves). */
  redirect?: string
}

/** Default route prefixes per IP version. */
const DEFAULT_ROUTE = { 4: '0.0.0.0/0', 6: '::/0' } as const

export function buildRouter(
  router: Router,
  ifaces: RouterInterfaceInput[],
  problems: CompileProblem[],
  gateway?: RouterGatewayInput,
): Entry[] {
  const object = `routers/${router.id}`
  const out: Entry[] = []
  const routes = new Map<string, RouteEntry>()
  /** Interface subnets with the port that holds them, for nexthop lookups. */
  const connected: { cidr: string; port: number }[] = []
  const all: (RouterInterfaceInput & { gateway?: RouterGatewayInput })[] = gateway ? [...ifaces, { ...gateway, gateway }] : ifaces
  for (const { port, network, subnets, gateway: gw } of all) {
    const mac = lowerMac(port.mac_address ?? '')
    const ips: string[] = []
    for (const f of port.fixed_ips ?? []) {
      const subnet = subnets.get(f.subnet_id)
      const a = ipOf(f.ip_address)
      const c = subnet && cidrOf(subnet.cidr)
      if (!subnet || !a || !c) continue
      const ip = formatAddr(a)
      ips.push(`${ip}/${c.length}`)
      if (gw === undefined || gw.local) out.push({ stage: 'arp_nd', network: network.key, ip, mac })
      const prefix = networkPrefix(subnet.cidr) as string
      connected.push({ cidr: prefix, port: port.key })
      if (!routes.has(prefix)) routes.set(prefix, { stage: 'route', router: router.key, prefix, port: port.key })
    }
    if (ips.length > ROUTER_PORT_MAX_PREFIXES) {
      problems.push({
        code: 'too_many',
        object,
        detail: `port ${port.id} has ${ips.length} addresses, a router port holds ${ROUTER_PORT_MAX_PREFIXES}`,
      })
      ips.length = ROUTER_PORT_MAX_PREFIXES
    }
    out.push({ stage: 'router_port', port: port.key, router: router.key, network: network.key, mac, ips })
    if (gw === undefined || gw.local) out.push({ stage: 'l2', network: network.key, mac, port: port.key })
    // router advertisements on interface networks only: an external network has its own upstream router
    const ra = gw === undefined ? buildRouterAdvert({ port, network, subnets }, problems) : undefined
    if (ra !== undefined) out.push(ra)
  }
  if (gateway) {
    // The default route per family via the first external subnet (in the port's fixed IP order) with a gateway.
    for (const f of gateway.port.fixed_ips ?? []) {
      const subnet = gateway.subnets.get(f.subnet_id)
      const via = subnet?.gateway_ip ? ipOf(subnet.gateway_ip) : undefined
      if (!subnet || !via) continue
      const prefix = DEFAULT_ROUTE[subnet.ip_version === 6 ? 6 : 4]
      if (!routes.has(prefix))
        routes.set(prefix, { stage: 'route', router: router.key, prefix, port: gateway.port.key, nexthop: formatAddr(via) })
    }
    out.push({
      stage: 'router_gateway',
      router: router.key,
      port: gateway.port.key,
      snat: gateway.snat,
      local: gateway.local,
      ...(gateway.redirect !== undefined ? { redirect: gateway.redirect } : {}),
    })
  }
  for (const r of router.routes ?? []) {
    const prefix = networkPrefix(r.destination)
    const via = connected.find(c => contains(c.cidr, r.nexthop))
    if (!prefix || !via) {
      problems.push({
        code: 'route_unreachable',
        object,
        detail: `route ${r.destination} via ${r.nexthop}: the nexthop is on no interface subnet`,
      })
      continue
    }
    if (routes.has(prefix)) {
      problems.push({
        code: 'route_duplicate',
        object,
        detail: `route ${r.destination} via ${r.nexthop}: the router already routes ${prefix}`,
      })
      continue
    }
    const nexthop = formatAddr(ipOf(r.nexthop) as NonNullable<ReturnType<typeof ipOf>>)
    routes.set(prefix, { stage: 'route', router: router.key, prefix, port: via.port, nexthop })
  }
  out.push(...routes.values())
  return out
}
