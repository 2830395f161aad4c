// The entries of a followed network. A tunnelled network: its tunnel key classifies frames that other chassis
// send encapsulated (the network key is the tunnel id, as the store allocates it). A flat or VLAN provider
// network is never tunnelled (BEHAVIOUR.md "Ways in and out"): it gets an `uplink` on the patch port that
// --bridge-mappings gives its physical network here, or, when this node has none, nothing (reported).
import type { Entry } from '../../datapath/host/entries.js'
import type { Network } from '../../model/types.js'
import { providerPhysnet } from './model-state.js'
import type { CompileProblem } from './problems.js'

/** `uplinks`: physical network -> br-int ofport on this node. */
export function buildNetwork(network: Network, uplinks: ReadonlyMap<string, number>, problems: CompileProblem[]): Entry[] {
  const physnet = providerPhysnet(network)
  if (physnet === undefined) return [{ stage: 'classify', tunnel_key: network.key, network: network.key }]
  const ofport = uplinks.get(physnet)
  if (ofport === undefined) {
    problems.push({
      code: 'no_uplink',
      object: `networks/${network.id}`,
      detail: `physical network ${physnet} has no uplink on this node (--bridge-mappings): the network's remote ports are unreachable from here`,
    })
    return []
  }
  const vid = network['provider:segmentation_id']
  const vlan = network['provider:network_type'] === 'vlan' && typeof vid === 'number' && vid > 0 ? vid : undefined
  return [vlan === undefined ? { stage: 'uplink', network: network.key, ofport } : { stage: 'uplink', network: network.key, ofport, vlan }]
}
