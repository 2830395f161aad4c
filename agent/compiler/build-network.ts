// The entries of a followed network: its tunnel key classifies frames that other chassis send encapsulated
// (the network key is the tunnel id, as the store allocates it).
import type { Entry } from '../../datapath/host/entries.js'
import type { Network } from '../../model/types.js'

export function buildNetwork(network: Network): Entry[] {
  return [{ stage: 'classify', tunnel_key: network.key, network: network.key }]
}
