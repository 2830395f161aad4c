// Locality (DESIGN "Agent principles"): a node compiles only what its local ports can reach. Start from the
// networks of the ports plugged here, add every router with an interface on a followed network and every
// network of such a router, until nothing new is added (a graph closure across routers, not the tenant).
//
//   local port --> network A --> router R1 --> network B --> router R2 --> network C ...
//                                    \--gateway--> external network E (followed, but E pulls in no router)
//   router R whose gateway chassis is this one --> R, its networks and E (no local port needed)
//
// A followed router's external gateway pulls in its external network: the router routes out of its gateway port
// on every chassis that follows it (distributed floating IPs leave from the port's chassis). The other way does
// not hold: a router is not followed because its gateway network is, or every node on an external network
// would follow every router (and network behind it) with a gateway there.
import { gatewayChassis } from './gateway-chassis.js'
import type { ModelState } from './model-state.js'

export interface Followed {
  networks: Set<string>
  routers: Set<string>
}

/**
 * `seeds`: the networks of the plugged ports when the caller keeps them (else read from the bindings).
 * `self`: this chassis; the routers whose gateway chassis it is are followed too, with no local port: the
 * replies from outside arrive there, and traffic to be port-translated is sent there (BEHAVIOUR.md "SNAT for
 * ports without a floating IP").
 */
export function followedClosure(state: ModelState, seeds?: Iterable<string>, self?: string): Followed {
  const networks = new Set<string>()
  const routers = new Set<string>()
  const queue: string[] = []
  const visitNetwork = (id: string): void => {
    if (networks.has(id)) return
    networks.add(id)
    queue.push(id)
  }
  if (seeds !== undefined) for (const net of seeds) visitNetwork(net)
  else {
    for (const portId of state.bindings.keys()) {
      const port = state.ports.get(portId)
      if (port) visitNetwork(port.network_id)
    }
  }
  const visitRouter = (routerId: string): void => {
    if (routers.has(routerId)) return
    routers.add(routerId)
    const router = state.routers.get(routerId)
    for (const i of router?.interfaces ?? []) visitNetwork(i.network_id)
    const external = router?.external_gateway_info?.network_id
    if (external) visitNetwork(external)
  }
  if (self !== undefined) for (const routerId of gatewayRoutersOf(state, self)) visitRouter(routerId)
  for (let net = queue.shift(); net !== undefined; net = queue.shift()) {
    for (const routerId of state.routersOn(net)) visitRouter(routerId)
  }
  return { networks, routers }
}

/** The routers whose gateway chassis is `self`. */
export function gatewayRoutersOf(state: ModelState, self: string): string[] {
  const out: string[] = []
  for (const [id, router] of state.routers) {
    const external = router.external_gateway_info?.network_id
    const network = external !== undefined ? state.networks.get(external) : undefined
    if (network !== undefined && gatewayChassis(id, network, state.chassis.values()) === self) out.push(id)
  }
  return out
}
