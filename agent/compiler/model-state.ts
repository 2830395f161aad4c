// The model objects the compiler holds, with the reverse indexes that tell which objects depend on which
// (ports of a network, routers attached to a network or naming a port, ports bound to a host, ports and rules of
// a security group, rules naming a group as remote). Both the full compile and the incremental compiler read
// through this one class, so they cannot disagree on lookups. Security groups and rules are held whatever their
// network: a local port's group may have members anywhere.
import { DEVICE_OWNER_DHCP } from '../../model/attributes/ports.js'
import { TABLES } from '../../model/tables.js'
import type { Chassis, Network, Port, Router, SecurityGroup, SecurityGroupRule, Subnet } from '../../model/types.js'

/** The tables the compiler reads; changes to any other table are ignored. */
export const COMPILED_TABLES = [
  TABLES.networks, TABLES.subnets, TABLES.ports, TABLES.routers, TABLES.chassis, TABLES.securityGroups, TABLES.securityGroupRules,
] as const
export type CompiledTable = typeof COMPILED_TABLES[number]

export function isCompiledTable(table: string): table is CompiledTable {
  return (COMPILED_TABLES as readonly string[]).includes(table)
}

/** A multimap of string -> set of ids. */
class Index {
  private readonly map = new Map<string, Set<string>>()
  add(key: string, id: string): void {
    let set = this.map.get(key)
    if (!set) this.map.set(key, set = new Set())
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
  /** Neutron port id -> ofport, for ports plugged on this node. */
  readonly bindings = new Map<string, number>()

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

  /** Stores (value) or forgets (undefined) one object, keeping the indexes right. */
  set(table: CompiledTable, id: string, value: unknown): void {
    switch (table) {
      case TABLES.networks: return this.put(this.networks, id, value as Network | undefined, () => undefined)
      case TABLES.subnets: return this.put(this.subnets, id, value as Subnet | undefined, (s, add) => add(this.subnetsByNetwork, s.network_id))
      case TABLES.ports: return this.put(this.ports, id, value as Port | undefined, (p, add) => {
        add(this.portsByNetwork, p.network_id)
        for (const f of p.fixed_ips ?? []) add(this.portsBySubnet, f.subnet_id)
        if (p.device_owner === DEVICE_OWNER_DHCP) add(this.dhcpPortsByNetwork, p.network_id)
        if (p['binding:host_id']) add(this.portsByHost, p['binding:host_id'])
        for (const g of groupIdsOf(p)) add(this.portsByGroup, g)
      })
      case TABLES.routers: return this.put(this.routers, id, value as Router | undefined, (r, add) => {
        for (const i of r.interfaces ?? []) {
          add(this.routersByNetwork, i.network_id)
          add(this.routersByPort, i.port_id)
        }
      })
      case TABLES.chassis: return this.put(this.chassis, id, value as Chassis | undefined, (c, add) => {
        add(this.chassisByHost, c.id)
        if (c.hostname) add(this.chassisByHost, c.hostname)
      })
      case TABLES.securityGroups: return this.put(this.securityGroups, id, value as SecurityGroup | undefined, () => undefined)
      case TABLES.securityGroupRules: return this.put(this.securityGroupRules, id, value as SecurityGroupRule | undefined, (r, add) => {
        if (typeof r.security_group_id === 'string') add(this.rulesByGroup, r.security_group_id)
        if (typeof r.remote_group_id === 'string') add(this.rulesByRemoteGroup, r.remote_group_id)
      })
    }
  }

  /** Replaces an object; `keys` names the index entries an object has, called for the old and the new value. */
  private put<T>(map: Map<string, T>, id: string, value: T | undefined,
    keys: (v: T, add: (index: Index, key: string) => void) => void): void {
    const old = map.get(id)
    if (old !== undefined) keys(old, (index, key) => index.delete(key, id))
    if (value === undefined) {
      map.delete(id)
      return
    }
    map.set(id, value)
    keys(value, (index, key) => index.add(key, id))
  }

  portsOn(networkId: string): ReadonlySet<string> { return this.portsByNetwork.get(networkId) }
  subnetsOn(networkId: string): ReadonlySet<string> { return this.subnetsByNetwork.get(networkId) }
  portsWithSubnet(subnetId: string): ReadonlySet<string> { return this.portsBySubnet.get(subnetId) }
  dhcpPortsOn(networkId: string): ReadonlySet<string> { return this.dhcpPortsByNetwork.get(networkId) }
  portsBoundTo(host: string): ReadonlySet<string> { return this.portsByHost.get(host) }
  routersOn(networkId: string): ReadonlySet<string> { return this.routersByNetwork.get(networkId) }
  routersWithPort(portId: string): ReadonlySet<string> { return this.routersByPort.get(portId) }
  /** Ports that list the group in security_groups (any network, bound anywhere or not). */
  portsInGroup(groupId: string): ReadonlySet<string> { return this.portsByGroup.get(groupId) }
  rulesOfGroup(groupId: string): ReadonlySet<string> { return this.rulesByGroup.get(groupId) }
  rulesWithRemoteGroup(groupId: string): ReadonlySet<string> { return this.rulesByRemoteGroup.get(groupId) }

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

/** A port's security group ids, deduplicated, in its order; a stored value of another shape gives none. */
export function groupIdsOf(port: Port): string[] {
  const list: unknown = port.security_groups
  if (!Array.isArray(list)) return []
  return [...new Set(list.filter((g): g is string => typeof g === 'string'))]
}
