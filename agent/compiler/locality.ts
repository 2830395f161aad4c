// Locality (DESIGN "Agent principles"): a node compiles only what its local ports can reach. Start from the
// networks of the ports plugged here, add every router with an interface on a followed network and every
// network of such a router, until nothing new is added (a graph closure across routers, not the tenant).
//
//   local port --> network A --> router R1 --> network B --> router R2 --> network C ...
//
// A router's external gateway does not pull its external network in: nothing compiled here uses it yet
// (SNAT and floating IPs are not compiled), and following it would make every node follow the whole
// provider network. A local port on the external network still follows it.
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
      for (const i of state.routers.get(routerId)?.interfaces ?? []) visitNetwork(i.network_id)
    }
  }
  return { networks, routers }
}
