// Floating IPs: an address on an external network held by a port (device_owner network:floatingip) created in
// the same transaction; association finds the router that joins the external network to the fixed IP's subnet.
import { DEVICE_OWNER_DHCP, DEVICE_OWNER_FLOATINGIP } from '../../model/attributes/ports.js'
import { FLOATINGIP_ATTRIBUTES } from '../../model/attributes/floatingips.js'
import { ApiError } from '../../model/errors.js'
import { tryParseIp } from '../../datapath/host/addresses.js'
import { KEY_SPACES, TABLES, topicsFor } from '../../model/tables.js'
import type { FloatingIp, Port, Router } from '../../model/types.js'
import type { TxOp } from '../../store/types.js'
import type { RequestContext } from '../context.js'
import { type Row, now } from '../db.js'
import { type IpRequest, deletePortOps, networkSubnets, writePort } from '../ipam.js'
import type { Neutron } from '../neutron.js'
import { findVisible } from '../policy/access.js'
import type { Resource } from '../resource.js'
import { networks } from './networks.js'
import { ports } from './ports.js'

const badFip = (detail: string): ApiError => new ApiError('BadRequest', { resource: 'floatingip', detail })

interface Association {
  port_id: string | null
  fixed_ip_address: string | null
  router_id: string | null
  status: string
}

type FipRef = { id: string; floating_network_id: string; project_id: string; port_id?: string | null }

/**
 * The association an update asks for, in Neutron's words (l3_db._check_and_get_fip_assoc): `port_id: null`
 * and an empty body both disassociate (the original API had nothing else to update), a body without
 * `port_id` keeps the current port, and `fixed_ip_address` alone is refused.
 */
export function requestedPort(changes: Record<string, unknown>, current: string | null): string | null {
  if (changes.fixed_ip_address && !changes.port_id) throw badFip('fixed_ip_address cannot be specified without a port_id')
  if (changes.port_id !== undefined) return (changes.port_id as string | null) || null
  return Object.keys(changes).length === 0 ? null : current
}

async function associate(
  nb: Neutron,
  ctx: RequestContext,
  fip: FipRef,
  portId: string | null,
  fixedIp?: string | null,
): Promise<Association> {
  if (!portId) return { port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN' }
  const port = await findVisible<Port>(nb, ports, ctx, portId)
  // Seeing a port (as its network's owner) is not owning it: only an admin joins projects this way.
  if (port.value.project_id !== fip.project_id && !ctx.isAdmin) {
    throw badFip(`Cannot process floating IP association with Port ${portId}, since that port is owned by a different project`)
  }
  if (port.value.device_owner === DEVICE_OWNER_DHCP) throw badFip(`Port ${portId} is unable to be assigned a floating IP`)
  const v4 = port.value.fixed_ips.filter(f => tryParseIp(f.ip_address)?.family === 4)
  let fixed = v4[0]
  if (fixedIp) {
    fixed = port.value.fixed_ips.find(f => f.ip_address === fixedIp)
    if (!fixed) throw badFip(`Port ${portId} does not have fixed ip ${fixedIp}`)
  } else if (v4.length > 1) {
    throw badFip(`Port ${portId} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP`)
  }
  if (!fixed) throw badFip(`Cannot add floating IP to port ${portId} that has no fixed IPv4 addresses`)
  const routers = await nb.db.list<Router>(TABLES.routers)
  const router = routers.find(
    r =>
      r.value.external_gateway_info?.network_id === fip.floating_network_id &&
      r.value.interfaces.some(i => i.subnet_id === fixed.subnet_id),
  )
  if (!router) {
    throw new ApiError('ExternalGatewayForFloatingIPNotFound', {
      external_network_id: fip.floating_network_id,
      subnet_id: fixed.subnet_id,
      port_id: portId,
    })
  }
  // Another floating IP on the same fixed IP and external network clashes; the same port again is no change.
  const clash =
    portId === fip.port_id
      ? undefined
      : (await nb.db.list<FloatingIp>(TABLES.floatingips)).find(
          f =>
            f.id !== fip.id &&
            f.value.port_id === portId &&
            f.value.fixed_ip_address === fixed.ip_address &&
            f.value.floating_network_id === fip.floating_network_id,
        )
  if (clash) {
    throw new ApiError('FloatingIPPortAlreadyAssociated', {
      floating_ip_address: clash.value.floating_ip_address,
      fip_id: clash.id,
      port_id: portId,
      fixed_ip: fixed.ip_address,
      net_id: fip.floating_network_id,
    })
  }
  // DOWN, not ACTIVE: no chassis installs floating IP flows yet (status never claims what the wire does not do;
  // the agent will set ACTIVE once the chassis hosting the port has the DNAT/SNAT flows)
  return { port_id: portId, fixed_ip_address: fixed.ip_address, router_id: router.id, status: 'DOWN' }
}

export const floatingips: Resource<FloatingIp> = {
  collection: 'floatingips',
  member: 'floatingip',
  table: TABLES.floatingips,
  attributes: FLOATINGIP_ATTRIBUTES,
  notFound: 'FloatingIPNotFound',
  quota: 'floatingip',
  hidden: ['floating_port_id'],

  async create(nb, ctx, input) {
    const netId = input.floating_network_id as string
    // Through the visibility policy: an external network not granted to the caller's project is not found.
    const net = await findVisible<{ 'router:external': boolean }>(nb, networks, ctx, netId)
    if (!net.value['router:external']) throw badFip(`Network ${netId} is not a valid external network`)
    const subnetsOf = (await networkSubnets(nb, netId)).filter(s => s.value.ip_version === 4)
    const subnetId = input.subnet_id as string | undefined
    if (!subnetsOf.length) throw badFip(`Network ${netId} does not contain any IPv4 subnet`)
    if (subnetId && !subnetsOf.some(s => s.id === subnetId)) throw badFip(`Subnet ${subnetId} is not on external network ${netId}`)
    const id = nb.stamp('').id as string
    const assoc = await associate(
      nb,
      ctx,
      { id, floating_network_id: netId, project_id: input.project_id as string },
      (input.port_id as string | null) ?? null,
      input.fixed_ip_address as string | undefined,
    )
    const requested: IpRequest[] = [
      {
        ...(subnetId ? { subnet_id: subnetId } : { subnet_id: subnetsOf[0]!.id }),
        ...(input.floating_ip_address ? { ip_address: input.floating_ip_address as string } : {}),
      },
    ]
    if (input.floating_ip_address && !subnetId) delete requested[0]!.subnet_id
    const port = {
      ...nb.stamp(''),
      name: '',
      network_id: netId,
      admin_state_up: true,
      mac_address: '',
      fixed_ips: [],
      device_id: id,
      device_owner: DEVICE_OWNER_FLOATINGIP,
      status: 'N/A',
      security_groups: [],
      port_security_enabled: false,
      allowed_address_pairs: [],
      extra_dhcp_opts: [],
      'binding:host_id': '',
      'binding:vnic_type': 'normal',
      'binding:profile': {},
      'binding:vif_type': 'unbound',
      'binding:vif_details': {},
      dns_name: '',
      propagate_uplink_status: false,
      key: await nb.db.allocateKey(KEY_SPACES.port),
    } as unknown as Port
    const { subnet_id: _s, ...rest } = input
    let value: FloatingIp | undefined
    const topics = topicsFor(input.project_id as string, netId)
    const extra = (p: Port): TxOp[] => {
      value = {
        ...nb.stamp(input.project_id as string, { id }),
        ...rest,
        ...assoc,
        floating_ip_address: p.fixed_ips[0]?.ip_address ?? '',
        floating_port_id: p.id,
      } as unknown as FloatingIp
      return [{ op: 'create', table: TABLES.floatingips, id, topics, value: value as unknown as Record<string, unknown> }]
    }
    await writePort(nb, { port, requested, extraOps: extra })
    const row = await nb.db.get<FloatingIp>(TABLES.floatingips, id)
    if (!row) throw new ApiError('FloatingIPNotFound', { id })
    return row
  },

  async update(nb, ctx, row, changes) {
    const portId = requestedPort(changes, row.value.port_id)
    // A kept port keeps its fixed IP unless another is asked for.
    const fixedIp =
      (changes.fixed_ip_address as string | null | undefined) ?? (portId === row.value.port_id ? row.value.fixed_ip_address : undefined)
    const assoc =
      portId === row.value.port_id && changes.fixed_ip_address === undefined && changes.port_id === undefined
        ? undefined
        : await associate(nb, ctx, row.value, portId, fixedIp)
    const { port_id: _p, fixed_ip_address: _f, ...rest } = changes
    return nb.db.mutate<FloatingIp>(
      TABLES.floatingips,
      row.id,
      cur => ({ ...cur.value, ...(rest as Partial<FloatingIp>), ...(assoc ?? {}), updated_at: now() }),
      () => new ApiError('FloatingIPNotFound', { id: row.id }),
    )
  },

  async remove(nb, _ctx, row: Row<FloatingIp>) {
    const port = await nb.db.get<Port>(TABLES.ports, row.value.floating_port_id)
    await nb.db.transact([...(port ? deletePortOps(port.value) : []), { op: 'delete', table: TABLES.floatingips, id: row.id }])
  },

  async decorate(_nb, _ctx, items) {
    for (const i of items) i.port_forwardings = []
  },
}
