// acl_member rows of one port: for each of its groups that some compiled rule names as remote_group, the port's
// addresses, as Neutron's remote-group rules see them (the fixed IPs as /32 or /128, and the allowed address
// pairs as given: a pair CIDR stays a prefix). Membership is cloud-wide: the port may be on any network, bound to
// any chassis or to none.
import type { AclMemberEntry } from '../../datapath/host/entries.js'
import type { Port } from '../../model/types.js'
import { anyPrefix, hostPrefix } from './addresses.js'

/** `groupKeys`: the keys of the port's groups that are named as remote groups here. */
export function buildAclMembers(port: Port, groupKeys: number[]): AclMemberEntry[] {
  if (groupKeys.length === 0) return []
  const prefixes = new Set<string>()
  for (const f of port.fixed_ips ?? []) {
    const p = hostPrefix(f.ip_address)
    if (p) prefixes.add(p)
  }
  for (const pair of port.allowed_address_pairs ?? []) {
    const p = anyPrefix(pair.ip_address)
    if (p) prefixes.add(p)
  }
  return groupKeys.flatMap(group => [...prefixes].map(prefix => ({ stage: 'acl_member' as const, group, prefix })))
}
