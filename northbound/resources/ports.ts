// Ports: addresses through northbound/ipam.ts (atomic with the port), the project's default security group,
// port security rules (no groups or address pairs without it), one kind of group per port (stateful or
// stateless), binding fields, and the datapath port key.
import { PORT_ATTRIBUTES, isNetworkOwned } from '../../model/attributes/ports.js'
import { ApiError } from '../../model/errors.js'
import { KEY_SPACES, TABLES } from '../../model/tables.js'
import type { FloatingIp, Network, Port, SecurityGroup } from '../../model/types.js'
import type { RequestContext } from '../context.js'
import { now } from '../db.js'
import { type IpRequest, deletePortOps, writePort } from '../ipam.js'
import type { Neutron } from '../neutron.js'
import { findVisible } from '../policy/access.js'
import type { Resource } from '../resource.js'
import { hostLiveness } from './agents.js'
import { NETWORK_DELETING, networks } from './networks.js'
import { preventL3PortDeletion } from './routers.js'
import { ensureDefaultSecurityGroup, securityGroups } from './security-groups.js'

function binding(hostId: string): Pick<Port, never> & Record<string, unknown> {
  // The agent on `hostId` plugs the port into its integration bridge: an OVS VIF with port filtering.
  return hostId
    ? {
        'binding:vif_type': 'ovs',
        'binding:vif_details': { port_filter: true, connectivity: 'l2', bridge_name: 'br-int', datapath_type: 'netdev' },
      }
    : { 'binding:vif_type': 'unbound', 'binding:vif_details': {} }
}

/** The groups exist (and are visible), and are all stateful or all stateless (Neutron's _validate_sgs_for_port). */
async function checkSecurityGroups(nb: Neutron, ctx: RequestContext, ids: string[]): Promise<void> {
  const kinds = new Set<boolean>()
  for (const id of ids) kinds.add((await findVisible<SecurityGroup>(nb, securityGroups, ctx, id)).value.stateful ?? true)
  if (kinds.size > 1) {
    // Neutron: SecurityGroupConflict (409), "Error %(reason)s while attempting the operation."
    throw new ApiError('Conflict', {
      detail:
        'Error Cannot apply both stateful and stateless security groups on the same port at the same time while attempting the operation.',
    })
  }
}

/**
 * Port security off allows no address pairs and no groups, in ML2's order and with its two answers for groups:
 * groups in the request are invalid input (400 PortSecurityAndIPRequiredForSecurityGroups), groups the port
 * already has and keeps are a conflict (409 PortSecurityPortHasSecurityGroup).
 */
function checkPortSecurity(
  p: { port_security_enabled: boolean; security_groups: string[]; allowed_address_pairs: unknown[] },
  requested: unknown,
): void {
  if (p.port_security_enabled) return
  if (p.allowed_address_pairs.length) throw new ApiError('AddressPairAndPortSecurityRequired')
  if (Array.isArray(requested) && requested.length) {
    throw new ApiError('HTTPBadRequest', {
      detail: 'Port security must be enabled and port must have an IP address in order to use security groups.',
    })
  }
  if (p.security_groups.length) throw new ApiError('PortSecurityPortHasSecurityGroup')
}

export const ports: Resource<Port> = {
  collection: 'ports',
  member: 'port',
  table: TABLES.ports,
  attributes: PORT_ATTRIBUTES,
  notFound: 'PortNotFound',
  quota: 'port',

  async create(nb, ctx, input) {
    // visible, and shared or the project's: policy/access.ts authorizeCreate, as every create_port:* rule
    const net = await findVisible<Network>(nb, networks, ctx, input.network_id as string)
    if (net.value.status === NETWORK_DELETING) throw new ApiError('NetworkNotFound', { id: net.id })
    const project = input.project_id as string
    const owner = input.device_owner as string
    const portSecurity = (input.port_security_enabled as boolean | undefined) ?? net.value.port_security_enabled
    const requested = input.security_groups as string[] | undefined
    const pairs = input.allowed_address_pairs as unknown[]
    checkPortSecurity({ port_security_enabled: portSecurity, security_groups: requested ?? [], allowed_address_pairs: pairs }, requested)
    let groups = requested
    if (groups === undefined) {
      groups = portSecurity && !isNetworkOwned(owner) ? [await ensureDefaultSecurityGroup(nb, project)] : []
    } else {
      await checkSecurityGroups(nb, ctx, groups)
    }
    const key = await nb.db.allocateKey(KEY_SPACES.port)
    const { fixed_ips: fixed, mac_address: mac, ...rest } = input
    const port = {
      ...nb.stamp(project),
      ...rest,
      status: 'DOWN',
      security_groups: groups,
      port_security_enabled: portSecurity,
      ...binding(input['binding:host_id'] as string),
      fixed_ips: [],
      mac_address: '',
      key,
    } as unknown as Port
    const row = await writePort(nb, { port, requested: fixed as IpRequest[] | undefined, mac: mac as string | undefined })
    // A network delete marks the network before listing its ports (networks.ts): if the mark is there now, the
    // delete may not have seen this port, so the port is taken back rather than left without a network.
    const after = await nb.db.get<Network>(TABLES.networks, net.id)
    if (!after || after.value.status === NETWORK_DELETING) {
      await nb.db.transact(deletePortOps(row.value)).catch(() => undefined)
      throw new ApiError('NetworkNotFound', { id: net.id })
    }
    return row
  },

  async update(nb, ctx, row, changes) {
    // who may change the MAC is update_port:mac_address (policy/); a bound port's MAC stays, as in ML2
    if (changes.mac_address !== undefined && changes.mac_address !== row.value.mac_address) {
      if (row.value['binding:host_id'])
        throw new ApiError('Conflict', {
          detail: `Unable to complete operation on port ${row.id}, port is already bound, port type: ovs, old_mac ${row.value.mac_address}, new_mac ${changes.mac_address as string}.`,
        })
    }
    const { fixed_ips: fixed, mac_address: mac, ...rest } = changes
    const next = { ...row.value, ...(rest as Partial<Port>), updated_at: now() }
    if (changes['binding:host_id'] !== undefined) Object.assign(next, binding(next['binding:host_id']))
    checkPortSecurity(next, changes.security_groups)
    if (changes.security_groups !== undefined) await checkSecurityGroups(nb, ctx, changes.security_groups as string[])
    return writePort(nb, { port: next, previous: row, requested: fixed as IpRequest[] | undefined, mac: mac as string | undefined })
  },

  async remove(nb, _ctx, row) {
    await preventL3PortDeletion(nb, row.value)
    await nb.db.transact(deletePortOps(row.value))
    // Floating IPs on a deleted port are disassociated, as Neutron does.
    for (const f of await nb.db.list<FloatingIp>(TABLES.floatingips)) {
      if (f.value.port_id !== row.id) continue
      await nb.db.mutate<FloatingIp>(
        TABLES.floatingips,
        f.id,
        cur =>
          cur.value.port_id === row.id
            ? { ...cur.value, port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN', updated_at: now() }
            : undefined,
        () => new ApiError('FloatingIPNotFound', { id: f.id }),
      )
    }
  },

  async decorate(nb, _ctx, items) {
    // A port on a chassis that stopped its heartbeats reads DOWN, whatever its agent last wrote (heartbeat.ts)
    const live = items.some(i => i['binding:host_id']) ? await hostLiveness(nb) : undefined
    for (const i of items) {
      i.ip_allocation = 'immediate'
      i.dns_assignment = []
      if (live?.get(i['binding:host_id'] as string) === false) i.status = 'DOWN'
    }
  },
}
