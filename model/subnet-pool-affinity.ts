// Neutron's network/subnet-pool affinity (ipam_backend_mixin._validate_network_subnetpools, without address
// scopes, which we do not advertise): all subnets of one network and IP family come from the same subnet pool,
// or all from none, so that the network's addresses of a family share one allocation authority.
import { ApiError } from './errors.js'

export interface PoolMembership {
  ip_version: number
  subnetpool_id: string | null
}

/** Throws NetworkSubnetPoolAffinityError (400) when `added` would mix pools in its family on the network. */
export function checkSubnetPoolAffinity(existing: readonly PoolMembership[], added: PoolMembership): void {
  const mixed = existing.some(s => s.ip_version === added.ip_version && (s.subnetpool_id ?? null) !== (added.subnetpool_id ?? null))
  if (mixed) throw new ApiError('NetworkSubnetPoolAffinityError')
}
