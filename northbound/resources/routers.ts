// Routers: interfaces (add/remove_router_interface), the external gateway (a port on an external network),
// extra routes (PUT routes and the atomic add/remove_extraroutes), and the datapath router key. Each change of
// interfaces or gateway commits the port and the router together (the router by compare-and-swap).
import { DEVICE_OWNER_FLOATINGIP, DEVICE_OWNER_ROUTER_GW, DEVICE_OWNER_ROUTER_INTF } from '../../model/attributes/ports.js'
import { ROUTE, ROUTER_ATTRIBUTES, interfaceRequest } from '../../model/attributes/routers.js'
import { ApiError } from '../../model/errors.js'
import { Cidr } from '../../datapath/host/addresses.js'
import { inCidr } from '../../model/ipam.js'
import { KEY_SPACES, TABLES, topicsFor } from '../../model/tables.js'
import type { FloatingIp, GatewayInfo, HostRoute, Network, Port, Router, RouterInterface, Subnet } from '../../model/types.js'
import type { TxOp } from '../../store/types.js'
import type { RequestContext } from '../context.js'
import { type Row, isStoreError, now } from '../db.js'
import { type IpRequest, deletePortOps, writePort } from '../ipam.js'
import type { Neutron } from '../neutron.js'
import { findVisible } from '../policy/access.js'
import type { Resource } from '../resource.js'
import { networks } from './networks.js'
import { ports } from './ports.js'
import { subnets } from './subnets.js'

const badRouter = (detail: string): ApiError => new ApiError('BadRequest', { resource: 'router', detail })

function routerOp(router: Row<Router>, value: Router): TxOp {
  return {
    op: 'update',
    table: TABLES.routers,
    id: router.id,
    version: router.version,
    topics: router.topics,
    value: value as unknown as Record<string, unknown>,
  }
}

function newRouterPort(nb: Neutron, opts: { project: string; networkId: string; routerId: string; owner: string }): Port {
  return {
    ...nb.stamp(opts.project),
    name: '',
    network_id: opts.networkId,
    admin_state_up: true,
    mac_address: '',
    fixed_ips: [],
    device_id: opts.routerId,
    device_owner: opts.owner,
    status: 'ACTIVE',
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
    key: 0,
  } as unknown as Port
}

/** Writes the router again after a concurrent change made the CAS fail. */
async function retrying<R>(fn: () => Promise<R>): Promise<R> {
  for (let i = 0; ; i++) {
    try {
      return await fn()
    } catch (err) {
      const conflict = isStoreError(err, 'version_conflict') || (err instanceof ApiError && err.type === 'Conflict')
      if (!conflict || i >= 10) throw err
    }
  }
}

async function loadRouter(nb: Neutron, id: string): Promise<Row<Router>> {
  const r = await nb.db.get<Router>(TABLES.routers, id)
  if (!r) throw new ApiError('RouterNotFound', { id })
  return r
}

async function floatingIpsOf(nb: Neutron, routerId: string): Promise<Row<FloatingIp>[]> {
  return (await nb.db.list<FloatingIp>(TABLES.floatingips)).filter(f => f.value.router_id === routerId)
}

/** Sets, changes or clears the gateway; one transaction for the old port, the new port and the router. */
async function setGateway(nb: Neutron, ctx: RequestContext, routerId: string, info: GatewayInfo | null): Promise<Row<Router>> {
  if (info) {
    const net = await findVisible<Network>(nb, networks, ctx, info.network_id)
    if (!net.value['router:external']) throw badRouter(`Network ${info.network_id} is not an external network`)
  }
  return retrying(async () => {
    const router = await loadRouter(nb, routerId)
    const cur = router.value
    const old = cur.gw_port_id ? await nb.db.get<Port>(TABLES.ports, cur.gw_port_id) : undefined
    if (!info) {
      if (!old)
        return nb.db.mutate<Router>(
          TABLES.routers,
          routerId,
          c => ({ ...c.value, external_gateway_info: null, gw_port_id: null, status: 'ACTIVE', updated_at: now() }),
          () => new ApiError('RouterNotFound', { id: routerId }),
        )
      if ((await floatingIpsOf(nb, routerId)).length)
        throw new ApiError('RouterExternalGatewayInUseByFloatingIp', { router_id: routerId, net_id: old.value.network_id })
      await nb.db.transact([
        ...deletePortOps(old.value),
        routerOp(router, { ...cur, external_gateway_info: null, gw_port_id: null, status: 'ACTIVE', updated_at: now() }),
      ])
      return loadRouter(nb, routerId)
    }
    const snat = info.enable_snat ?? cur.external_gateway_info?.enable_snat ?? true
    const requested = info.external_fixed_ips as IpRequest[] | undefined
    const sameNet = old && old.value.network_id === info.network_id
    if (old && !sameNet && (await floatingIpsOf(nb, routerId)).length) {
      throw new ApiError('RouterExternalGatewayInUseByFloatingIp', { router_id: routerId, net_id: old.value.network_id })
    }
    const extra = (port: Port): TxOp[] => [
      ...(old && !sameNet ? deletePortOps(old.value) : []),
      routerOp(router, {
        ...cur,
        gw_port_id: port.id,
        external_gateway_info: { network_id: info.network_id, enable_snat: snat, external_fixed_ips: port.fixed_ips },
        status: GATEWAY_PENDING,
        updated_at: now(),
      }),
    ]
    if (sameNet && old) {
      await writePort(nb, { port: { ...old.value, updated_at: now() }, previous: old, requested, extraOps: extra })
    } else {
      // The gateway port belongs to no project, as in Neutron: only admins see it.
      const port = newRouterPort(nb, { project: '', networkId: info.network_id, routerId, owner: DEVICE_OWNER_ROUTER_GW })
      port.key = await nb.db.allocateKey(KEY_SPACES.port)
      await writePort(nb, { port, requested, extraOps: extra })
    }
    return loadRouter(nb, routerId)
  })
}

/** Subnets reachable from the router: those of its interfaces and of its gateway port. */
async function connectedSubnets(nb: Neutron, router: Router): Promise<Subnet[]> {
  const ids = new Set(router.interfaces.map(i => i.subnet_id))
  for (const f of router.external_gateway_info?.external_fixed_ips ?? []) ids.add(f.subnet_id)
  const out: Subnet[] = []
  for (const id of ids) {
    const s = await nb.db.get<Subnet>(TABLES.subnets, id)
    if (s) out.push(s.value)
  }
  return out
}

async function checkRoutes(nb: Neutron, router: Router, routes: HostRoute[]): Promise<void> {
  if (routes.length > 30) throw new ApiError('HTTPBadRequest', { detail: 'Number of routes exceeds the maximum 30' })
  const connected = await connectedSubnets(nb, router)
  const own = new Set((await routerPorts(nb, router.id)).flatMap(p => p.value.fixed_ips.map(f => f.ip_address)))
  for (const r of routes) {
    const text = JSON.stringify(r).replace(/"/g, "'")
    if (!connected.some(s => inCidr(s.cidr, r.nexthop)))
      throw new ApiError('InvalidRoutes', { routes: text, reason: 'the nexthop is not connected with router' })
    if (own.has(r.nexthop)) throw new ApiError('InvalidRoutes', { routes: text, reason: 'the nexthop is used by router' })
  }
}

async function routerPorts(nb: Neutron, routerId: string): Promise<Row<Port>[]> {
  return (await nb.db.list<Port>(TABLES.ports)).filter(
    p =>
      p.value.device_id === routerId &&
      (p.value.device_owner === DEVICE_OWNER_ROUTER_INTF || p.value.device_owner === DEVICE_OWNER_ROUTER_GW),
  )
}

function interfaceInfo(router: Router, port: Port): Record<string, unknown> {
  const subnetIds = port.fixed_ips.map(f => f.subnet_id)
  return {
    id: router.id,
    tenant_id: router.project_id,
    project_id: router.project_id,
    port_id: port.id,
    network_id: port.network_id,
    subnet_id: subnetIds[0],
    subnet_ids: subnetIds,
  }
}

async function checkNoOverlap(nb: Neutron, router: Router, subnet: Subnet): Promise<void> {
  const c = Cidr.tryParse(subnet.cidr, { bareIsHost: true })
  for (const s of await connectedSubnets(nb, { ...router, external_gateway_info: null })) {
    if (s.id === subnet.id) throw badRouter(`Router already has a port on subnet ${subnet.id}`)
    const o = Cidr.tryParse(s.cidr, { bareIsHost: true })
    if (c && o && c.overlaps(o))
      throw badRouter(`Cidr ${subnet.cidr} of subnet ${subnet.id} overlaps with cidr ${s.cidr} of subnet ${s.id}`)
  }
}

async function addInterface(nb: Neutron, ctx: RequestContext, row: Row<Router>, body: unknown): Promise<unknown> {
  const req = interfaceRequest(body, { forRemoval: false })
  return retrying(async () => {
    const router = await loadRouter(nb, row.id)
    const add = (port: Port): TxOp[] => {
      const intf: RouterInterface[] = port.fixed_ips.map(f => ({ port_id: port.id, subnet_id: f.subnet_id, network_id: port.network_id }))
      return [routerOp(router, { ...router.value, interfaces: [...router.value.interfaces, ...intf], updated_at: now() })]
    }
    let written: Row<Port>
    if (req.subnet_id) {
      const subnet = await findVisible<Subnet>(nb, subnets, ctx, req.subnet_id)
      if (!subnet.value.gateway_ip) throw badRouter(`Subnet for router interface must have a gateway IP`)
      await checkNoOverlap(nb, router.value, subnet.value)
      const port = newRouterPort(nb, {
        project: subnet.value.project_id,
        networkId: subnet.value.network_id,
        routerId: router.id,
        owner: DEVICE_OWNER_ROUTER_INTF,
      })
      port.key = await nb.db.allocateKey(KEY_SPACES.port)
      written = await writePort(nb, { port, requested: [{ subnet_id: subnet.id, ip_address: subnet.value.gateway_ip }], extraOps: add })
    } else {
      const port = await findVisible<Port>(nb, ports, ctx, req.port_id as string)
      if (port.value.device_id || port.value.device_owner)
        throw new ApiError('PortInUse', { port_id: port.id, net_id: port.value.network_id, device_id: port.value.device_id })
      if (!port.value.fixed_ips.length) throw badRouter('Router port must have at least one fixed IP')
      for (const f of port.value.fixed_ips) {
        const s = await nb.db.get<Subnet>(TABLES.subnets, f.subnet_id)
        if (s) await checkNoOverlap(nb, router.value, s.value)
      }
      const next: Port = {
        ...port.value,
        device_id: router.id,
        device_owner: DEVICE_OWNER_ROUTER_INTF,
        security_groups: [],
        status: 'ACTIVE',
        updated_at: now(),
      }
      written = await writePort(nb, { port: next, previous: port, extraOps: add })
    }
    return interfaceInfo(router.value, written.value)
  })
}

async function removeInterface(nb: Neutron, ctx: RequestContext, row: Row<Router>, body: unknown): Promise<unknown> {
  const req = interfaceRequest(body, { forRemoval: true })
  return retrying(async () => {
    const router = await loadRouter(nb, row.id)
    const intfPorts = (await routerPorts(nb, router.id)).filter(p => p.value.device_owner === DEVICE_OWNER_ROUTER_INTF)
    let port: Row<Port> | undefined
    if (req.port_id) {
      port = intfPorts.find(p => p.id === req.port_id)
      if (!port) throw new ApiError('RouterInterfaceNotFound', { router_id: router.id, port_id: req.port_id })
      if (req.subnet_id && !port.value.fixed_ips.some(f => f.subnet_id === req.subnet_id))
        throw new ApiError('RouterInterfaceNotFoundForSubnet', { router_id: router.id, subnet_id: req.subnet_id })
    } else {
      await findVisible(nb, subnets, ctx, req.subnet_id as string)
      port = intfPorts.find(p => p.value.fixed_ips.some(f => f.subnet_id === req.subnet_id))
      if (!port) throw new ApiError('RouterInterfaceNotFoundForSubnet', { router_id: router.id, subnet_id: req.subnet_id })
    }
    const p = port
    const subnetIds = new Set(p.value.fixed_ips.map(f => f.subnet_id))
    for (const sid of subnetIds) {
      const s = await nb.db.get<Subnet>(TABLES.subnets, sid)
      if (s && router.value.routes.some(r => inCidr(s.value.cidr, r.nexthop)))
        throw new ApiError('RouterInterfaceInUseByRoute', { router_id: router.id, subnet_id: sid })
      const fips = await floatingIpsOf(nb, router.id)
      if (s && fips.some(f => f.value.fixed_ip_address && inCidr(s.value.cidr, f.value.fixed_ip_address))) {
        throw new ApiError('RouterInterfaceInUseByFloatingIP', { router_id: router.id, subnet_id: sid })
      }
    }
    await nb.db.transact([
      ...deletePortOps(p.value),
      routerOp(router, { ...router.value, interfaces: router.value.interfaces.filter(i => i.port_id !== p.id), updated_at: now() }),
    ])
    return interfaceInfo(router.value, p.value)
  })
}

function routesBody(body: unknown): HostRoute[] {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const r = (typeof b.router === 'object' && b.router !== null ? b.router : {}) as Record<string, unknown>
  if (!Array.isArray(r.routes))
    throw new ApiError('HTTPBadRequest', { detail: "Invalid input for routes. Reason: body must be {'router': {'routes': [...]}}." })
  return r.routes.map(x => ROUTE(x, 'routes') as HostRoute)
}

const routeKey = (r: HostRoute): string => `${r.destination}|${r.nexthop}`

async function changeRoutes(
  nb: Neutron,
  ctx: RequestContext,
  row: Row<Router>,
  change: (cur: HostRoute[]) => HostRoute[],
): Promise<unknown> {
  const updated = await nb.db.mutate<Router>(
    TABLES.routers,
    row.id,
    async cur => {
      const routes = change(cur.value.routes)
      await checkRoutes(nb, cur.value, routes)
      return { ...cur.value, routes, updated_at: now() }
    },
    () => new ApiError('RouterNotFound', { id: row.id }),
  )
  const { renderOne } = await import('../controller.js')
  return { router: await renderOne(nb, routers, ctx, updated) }
}

/**
 * A router with a gateway is DOWN until its gateway chassis has the gateway's flows committed (the agent then
 * writes ACTIVE: agent/controller/nat-status.ts); without a gateway it is ACTIVE as before.
 */
const GATEWAY_PENDING = 'DOWN'

export const routers: Resource<Router> = {
  collection: 'routers',
  member: 'router',
  table: TABLES.routers,
  attributes: ROUTER_ATTRIBUTES,
  notFound: 'RouterNotFound',
  quota: 'router',
  hidden: ['gw_port_id', 'interfaces'],

  async create(nb, ctx, input) {
    const { external_gateway_info: gw, ...rest } = input
    const key = await nb.db.allocateKey(KEY_SPACES.router)
    const value = {
      ...nb.stamp(input.project_id as string),
      ...rest,
      status: 'ACTIVE',
      routes: [],
      external_gateway_info: null,
      gw_port_id: null,
      interfaces: [],
      flavor_id: (rest.flavor_id as string | undefined) ?? null,
      key,
    } as unknown as Router
    const row = await nb.db.create<Router>(TABLES.routers, value.id, value, topicsFor(value.project_id))
    if (!gw) return row
    try {
      return await setGateway(nb, ctx, row.id, gw as GatewayInfo)
    } catch (err) {
      await nb.db.transact([{ op: 'delete', table: TABLES.routers, id: row.id }]).catch(() => undefined)
      throw err
    }
  },

  async update(nb, ctx, row, changes) {
    const { external_gateway_info: gw, ...rest } = changes
    if (gw !== undefined) await setGateway(nb, ctx, row.id, gw as GatewayInfo | null)
    return nb.db.mutate<Router>(
      TABLES.routers,
      row.id,
      async cur => {
        if (rest.routes !== undefined) await checkRoutes(nb, cur.value, rest.routes as HostRoute[])
        return { ...cur.value, ...(rest as Partial<Router>), updated_at: now() }
      },
      () => new ApiError('RouterNotFound', { id: row.id }),
    )
  },

  async remove(nb, _ctx, row) {
    const portsOf = await routerPorts(nb, row.id)
    if (portsOf.some(p => p.value.device_owner === DEVICE_OWNER_ROUTER_INTF))
      throw new ApiError('RouterInUse', { router_id: row.id, reason: 'still has ports' })
    if ((await floatingIpsOf(nb, row.id)).length) throw new ApiError('RouterInUse', { router_id: row.id, reason: 'still has floating IPs' })
    const ops: TxOp[] = portsOf.flatMap(p => deletePortOps(p.value))
    ops.push({ op: 'delete', table: TABLES.routers, id: row.id })
    await nb.db.transact(ops)
  },

  async decorate(nb, _ctx, items) {
    for (const i of items) i.availability_zones = []
    void nb
  },

  actions: {
    add_router_interface: addInterface,
    remove_router_interface: removeInterface,
    add_extraroutes: (nb, ctx, row, body) => {
      const add = routesBody(body)
      return changeRoutes(nb, ctx, row, cur => [...cur, ...add.filter(r => !cur.some(c => routeKey(c) === routeKey(r)))])
    },
    remove_extraroutes: (nb, ctx, row, body) => {
      const del = new Set(routesBody(body).map(routeKey))
      return changeRoutes(nb, ctx, row, cur => cur.filter(c => !del.has(routeKey(c))))
    },
  },
}

/**
 * Router interface, gateway and floating IP ports go with their router or floating IP, never through DELETE
 * /ports, for admins too (Neutron's prevent_l3_port_deletion, 409 ServicePortInUse); one whose owner is gone
 * may be deleted.
 */
export async function preventL3PortDeletion(nb: Neutron, port: Port): Promise<void> {
  const owner = port.device_owner
  const table =
    owner === DEVICE_OWNER_FLOATINGIP
      ? TABLES.floatingips
      : owner === DEVICE_OWNER_ROUTER_INTF || owner === DEVICE_OWNER_ROUTER_GW
        ? TABLES.routers
        : undefined
  if (!table || !port.device_id || !(await nb.db.get(table, port.device_id))) return
  throw new ApiError('ServicePortInUse', { port_id: port.id, reason: `has device owner ${owner}` })
}
