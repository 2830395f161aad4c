// The model objects the compiler holds, with the reverse indexes that tell which objects depend on which
// (ports of a network, routers attached to a network or naming a port, ports bound to a host, ports and rules of
// a security group, rules naming a group as remote). Both the full compile and the incremental compiler read
// through this one class, so they cannot disagree on lookups. Security groups and rules are held whatever their
// network: a local port's group may have members anywhere. Floating IPs are held whatever their port: only the
// units of local ports' floating IPs emit anything.
import { DEVICE_OWNER_DHCP, DEVICE_OWNER_ROUTER_GW } from '../../model/attributes/ports.js'
import { TABLES } from '../../model/tables.js'
import type { Chassis, FloatingIp, Network, Port, Router, SecurityGroup, SecurityGroupRule, Subnet } from '../../model/types.js'

/** The tables the compiler reads; changes to any other table are ignored. */
export const COMPILED_TABLES = [
  TABLES.networks,
  TABLES.subnets,
  TABLES.ports,
  TABLES.routers,
  TABLES.chassis,
  TABLES.securityGroups,
  TABLES.securityGroupRules,
  TABLES.floatingips,
] as const
export type CompiledTable = (typeof COMPILED_TABLES)[number]

export function isCompiledTable(table: string): table is CompiledTable {
  return (COMPILED_TABLES as readonly string[]).includes(table)
}

/** A multimap of string -> set of ids. */
class Index {
  private readonly map = new Map<string, Set<string>>()
  add(key: string, id: string): void {
    let set = this.map.get(key)
    if (!set) this.map.set(key, (set = new Set()))
    set.add(id)
  }
  delete(key: string, id: string): void {
    const set = this.map.get(key)
    if (!set) return
    set.delete(id)
    if (set.size === 0) this.map.delete(key)
  }
  get(key: string): ReadonlySet<string> {
    return this.map.get(key) ?? EMPTY
  }
}
const EMPTY: ReadonlySet<string> = new Set()

export class ModelState {
  readonly networks = new Map<string, Network>()
  readonly subnets = new Map<string, Subnet>()
  readonly ports = new Map<string, Port>()
  readonly routers = new Map<string, Router>()
  readonly chassis = new Map<string, Chassis>()
  readonly securityGroups = new Map<string, SecurityGroup>()
  readonly securityGroupRules = new Map<string, SecurityGroupRule>()
  readonly floatingips = new Map<string, FloatingIp>()
  /** Neutron port id -> ofport, for ports plugged on this node. */
  readonly bindings = new Map<string, number>()
  /** physical network -> br-int ofport of its patch port (--bridge-mappings), on this node. */
  readonly uplinks = new Map<string, number>()

  private readonly portsByNetwork = new Index()
  private readonly portsBySubnet = new Index()
  private readonly subnetsByNetwork = new Index()
  private readonly dhcpPortsByNetwork = new Index()
  private readonly portsByHost = new Index()
  private readonly routersByNetwork = new Index()
  private readonly routersByPort = new Index()
  private readonly chassisByHost = new Index()
  private readonly portsByGroup = new Index()
  private readonly rulesByGroup = new Index()
  private readonly rulesByRemoteGroup = new Index()
  private readonly networksByPhysnet = new Index()
  /** router gateway ports by device_id (the router they belong to) */
  private readonly gatewayPortsByRouter = new Index()
  private readonly routersByGatewayNetwork = new Index()
  private readonly fipsByPort = new Index()
  private readonly fipsByRouter = new Index()
  private readonly fipsByFloatingPort = new Index()
  private readonly fipsByNetwork = new Index()

  /** Stores (value) or forgets (undefined) one object, keeping the indexes right. */
  set(table: CompiledTable, id: string, value: unknown): void {
    switch (table) {
      case TABLES.networks:
        return this.put(this.networks, id, value as Network | undefined, (n, add) => {
          const physnet = providerPhysnet(n)
          if (physnet !== undefined) add(this.networksByPhysnet, physnet)
        })
      case TABLES.subnets:
        return this.put(this.subnets, id, value as Subnet | undefined, (s, add) => add(this.subnetsByNetwork, s.network_id))
      case TABLES.ports:
        return this.put(this.ports, id, value as Port | undefined, (p, add) => {
          add(this.portsByNetwork, p.network_id)
          for (const f of p.fixed_ips ?? []) add(this.portsBySubnet, f.subnet_id)
          if (p.device_owner === DEVICE_OWNER_DHCP) add(this.dhcpPortsByNetwork, p.network_id)
          if (p['binding:host_id']) add(this.portsByHost, p['binding:host_id'])
          if (p.device_owner === DEVICE_OWNER_ROUTER_GW && p.device_id) add(this.gatewayPortsByRouter, p.device_id)
          for (const g of groupIdsOf(p)) add(this.portsByGroup, g)
        })
      case TABLES.routers:
        return this.put(this.routers, id, value as Router | undefined, (r, add) => {
          for (const i of r.interfaces ?? []) {
            add(this.routersByNetwork, i.network_id)
            add(this.routersByPort, i.port_id)
          }
          const gw = r.external_gateway_info
          if (gw?.network_id) add(this.routersByGatewayNetwork, gw.network_id)
          if (r.gw_port_id) add(this.routersByPort, r.gw_port_id)
        })
      case TABLES.chassis:
        return this.put(this.chassis, id, value as Chassis | undefined, (c, add) => {
          add(this.chassisByHost, c.id)
          if (c.hostname) add(this.chassisByHost, c.hostname)
        })
      case TABLES.floatingips:
        return this.put(this.floatingips, id, value as FloatingIp | undefined, (f, add) => {
          if (f.port_id) add(this.fipsByPort, f.port_id)
          if (f.router_id) add(this.fipsByRouter, f.router_id)
          if (f.floating_port_id) add(this.fipsByFloatingPort, f.floating_port_id)
          if (f.floating_network_id) add(this.fipsByNetwork, f.floating_network_id)
        })
      case TABLES.securityGroups:
        return this.put(this.securityGroups, id, value as SecurityGroup | undefined, () => undefined)
      case TABLES.securityGroupRules:
        return this.put(this.securityGroupRules, id, value as SecurityGroupRule | undefined, (r, add) => {
          if (typeof r.security_group_id === 'string') add(this.rulesByGroup, r.security_group_id)
          if (typeof r.remote_group_id === 'string') add(this.rulesByRemoteGroup, r.remote_group_id)
        })
    }
  }

  /** Replaces an object; `keys` names the index entries an object has, called for the old and the new value. */
  private put<T>(
    map: Map<string, T>,
    id: string,
    value: T | undefined,
    keys: (v: T, add: (index: Index, key: string) => void) => void,
  ): void {
    const old = map.get(id)
    if (old !== undefined) keys(old, (index, key) => index.delete(key, id))
    if (value === undefined) {
      map.delete(id)
      return
    }
    map.set(id, value)
    keys(value, (index, key) => index.add(key, id))
  }

  portsOn(networkId: string): ReadonlySet<string> {
    return this.portsByNetwork.get(networkId)
  }
  subnetsOn(networkId: string): ReadonlySet<string> {
    return this.subnetsByNetwork.get(networkId)
  }
  portsWithSubnet(subnetId: string): ReadonlySet<string> {
    return this.portsBySubnet.get(subnetId)
  }
  dhcpPortsOn(networkId: string): ReadonlySet<string> {
    return this.dhcpPortsByNetwork.get(networkId)
  }
  portsBoundTo(host: string): ReadonlySet<string> {
    return this.portsByHost.get(host)
  }
  routersOn(networkId: string): ReadonlySet<string> {
    return this.routersByNetwork.get(networkId)
  }
  routersWithPort(portId: string): ReadonlySet<string> {
    return this.routersByPort.get(portId)
  }
  networksOnPhysnet(physnet: string): ReadonlySet<string> {
    return this.networksByPhysnet.get(physnet)
  }
  /** Ports with device_owner network:router_gateway whose device_id is the router. */
  gatewayPortsOf(routerId: string): ReadonlySet<string> {
    return this.gatewayPortsByRouter.get(routerId)
  }
  /** Routers whose external gateway is on the network (not counted in routersOn: it does not pull them in). */
  routersWithGatewayOn(networkId: string): ReadonlySet<string> {
    return this.routersByGatewayNetwork.get(networkId)
  }
  fipsOfPort(portId: string): ReadonlySet<string> {
    return this.fipsByPort.get(portId)
  }
  fipsOfRouter(routerId: string): ReadonlySet<string> {
    return this.fipsByRouter.get(routerId)
  }
  fipsWithFloatingPort(portId: string): ReadonlySet<string> {
    return this.fipsByFloatingPort.get(portId)
  }
  fipsOnNetwork(networkId: string): ReadonlySet<string> {
    return this.fipsByNetwork.get(networkId)
  }
  /** Ports that list the group in security_groups (any network, bound anywhere or not). */
  portsInGroup(groupId: string): ReadonlySet<string> {
    return this.portsByGroup.get(groupId)
  }
  rulesOfGroup(groupId: string): ReadonlySet<string> {
    return this.rulesByGroup.get(groupId)
  }
  rulesWithRemoteGroup(groupId: string): ReadonlySet<string> {
    return this.rulesByRemoteGroup.get(groupId)
  }

  /**
   * The chassis a binding:host_id names: a chassis with that id, else one with that hostname (Neutron binds by
   * hostname; the agent registers with both). Several with one hostname: the smallest id, so it is stable.
   */
  chassisFor(host: string): Chassis | undefined {
    const byId = this.chassis.get(host)
    if (byId) return byId
    const ids = [...this.chassisByHost.get(host)].sort()
    return ids[0] === undefined ? undefined : this.chassis.get(ids[0])
  }
}

/** Provider network types that reach the physical network through an uplink instead of tunnels. */
const UPLINK_TYPES: ReadonlySet<string> = new Set(['flat', 'vlan'])

/** The physical network of a flat or VLAN provider network; undefined for a tunnelled one. */
export function providerPhysnet(network: Network): string | undefined {
  const physnet = network['provider:physical_network']
  return UPLINK_TYPES.has(network['provider:network_type']) && typeof physnet === 'string' && physnet !== '' ? physnet : undefined
}

/** admin_state_up false (absent or anything else counts as up: an old record without the field). */
export const isDown = (o: { admin_state_up?: boolean }): boolean => o.admin_state_up === false

/** A port's security group ids, deduplicated, in its order; a stored value of another shape gives none. */
export function groupIdsOf(port: Port): string[] {
  const list: unknown = port.security_groups
  if (!Array.isArray(list)) return []
  return [...new Set(list.filter((g): g is string => typeof g === 'string'))]
}
