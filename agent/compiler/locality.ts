// Locality (DESIGN "Agent principles"): a node compiles only what its local ports can reach. Start from the
// networks of the ports plugged here, add every router with an interface on a followed network and every
// network of such a router, until nothing new is added (a graph closure across routers, not the tenant).
//
//   local port --> network A --> router R1 --> network B --> router R2 --> network C ...
//                                    \--gateway--> external network E (followed, but E pulls in no router)
//
// A followed router's external gateway pulls in its external network: the router routes out of its gateway port
// on every chassis that follows it (distributed floating IPs leave from the port's chassis). The other way does
// not hold: a router is not followed because its gateway network is, or every node on an external network
// would follow every router (and network behind it) with a gateway there.
import type { ModelState } from './model-state.js'

export interface Followed {
  networks: Set<string>
  routers: Set<string>
}

/** `seeds`: the networks of the plugged ports when the caller keeps them (else read from the bindings). */
export function followedClosure(state: ModelState, seeds?: Iterable<string>): Followed {
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
  for (let net = queue.shift(); net !== undefined; net = queue.shift()) {
    for (const routerId of state.routersOn(net)) {
      if (routers.has(routerId)) continue
      routers.add(routerId)
      const router = state.routers.get(routerId)
      for (const i of router?.interfaces ?? []) visitNetwork(i.network_id)
      const external = router?.external_gateway_info?.network_id
      if (external) visitNetwork(external)
    }
  }
  return { networks, routers }
}
