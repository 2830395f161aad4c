// The acl_port row of a local port: which security groups (by key) the datapath enforces for it and whether
// connections are tracked. Only ports with port security get one, and no network:* port (router interfaces,
// DHCP, gateways, floating IPs): Neutron's firewall drivers leave those "trusted" ports alone.
// Neutron forbids a port mixing stateful and stateless groups; a stored port that mixes anyway is reported and
// enforced as stateful (replies of allowed connections still pass; nothing is allowed that a rule does not).
// More groups than a row holds: the first ACL_PORT_MAX_GROUPS keys are kept and the rest reported, so that the
// port loses allowances rather than its enforcement.
import type { AclPortEntry } from '../../datapath/host/entries.js'
import { ACL_PORT_MAX_GROUPS } from '../../datapath/spec/entry-kinds.js'
import { isNetworkOwned } from '../../model/attributes/ports.js'
import type { Network, Port, SecurityGroup } from '../../model/types.js'
import type { CompileProblem } from './problems.js'

/** Whether the port's groups are enforced where it is plugged: port security on (the port's, else its network's). */
export function enforcesAcl(port: Port, network: Network): boolean {
  if (isNetworkOwned(port.device_owner)) return false
  const own: unknown = port.port_security_enabled
  return typeof own === 'boolean' ? own : network.port_security_enabled !== false
}

export interface AclPortResult {
  entry: AclPortEntry
  /** The groups the entry holds (after the cap): their rules are the ones this node needs. */
  groups: SecurityGroup[]
}

/** `groups`: the port's groups that are known and have a key, each once. */
export function buildAclPort(port: Port, groups: SecurityGroup[], problems: CompileProblem[]): AclPortResult {
  const object = `ports/${port.id}`
  let kept = [...groups].sort((a, b) => a.key - b.key)
  if (kept.length > ACL_PORT_MAX_GROUPS) {
    problems.push({
      code: 'too_many',
      object,
      detail: `${kept.length} security groups, a port holds ${ACL_PORT_MAX_GROUPS}: groups ${kept
        .slice(ACL_PORT_MAX_GROUPS)
        .map(g => g.id)
        .join(', ')} are not enforced (their rules allow nothing here)`,
    })
    kept = kept.slice(0, ACL_PORT_MAX_GROUPS)
  }
  // `stateful` absent on a stored group means the API default (true)
  const stateless = kept.filter(g => g.stateful === false)
  const mixed = stateless.length > 0 && stateless.length < kept.length
  if (mixed)
    problems.push({
      code: 'acl_mixed_stateful',
      object,
      detail: `stateful and stateless groups (${stateless.map(g => g.id).join(', ')} stateless): enforced as stateful`,
    })
  const stateful = kept.length === 0 || stateless.length < kept.length
  return { entry: { stage: 'acl_port', port: port.key, stateful, groups: kept.map(g => g.key) }, groups: kept }
}
