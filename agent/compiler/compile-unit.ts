// One compile unit = one model object that owns entries ("networks/<id>", "ports/<id>", "routers/<id>",
// "security_group_rules/<id>", and "acl_members/<port id>" for a port's addresses in remote groups): looks up what
// the object refers to and calls its pure builder. The full compile is every unit; the incremental compiler
// recompiles only the units a change touches. Both go through here, so they build entries the same way.
//
// Security groups compile in three passes, because what a unit emits depends on what earlier units emitted:
//
//   pass 0: ports/<id>              acl_port of a local port    --uses-->   the groups it holds ("used")
//   pass 1: security_group_rules/*  acl_rule if its group is used  --uses-->  its remote group ("remote")
//   pass 2: acl_members/<port id>   acl_member for its groups that are remote
//
// A unit reports what it uses (UnitResult.groups / remotes); the compilers count uses per group and give the
// next pass the groups with a count (AclUse). Nothing in a later pass feeds an earlier one.
import type { Entry } from '../../datapath/host/entries.js'
import { DEVICE_OWNER_FLOATINGIP, DEVICE_OWNER_ROUTER_GW, isNetworkOwned } from '../../model/attributes/ports.js'
import { TABLES } from '../../model/tables.js'
import type { Network, Port, Router, SecurityGroup, Subnet } from '../../model/types.js'
import { buildAclMembers } from './build-acl-members.js'
import { buildAclPort, enforcesAcl } from './build-acl-port.js'
import { buildAclRule } from './build-acl-rule.js'
import { buildNetwork } from './build-network.js'
import { buildPort } from './build-port.js'
import { buildFloatingIp } from './build-floating-ip.js'
import { buildRouter, type RouterGatewayInput, type RouterInterfaceInput } from './build-router.js'
import { gatewayChassis } from './gateway-chassis.js'
import type { Followed } from './locality.js'
import { groupIdsOf, isDown, type ModelState, providerPhysnet } from './model-state.js'
import type { CompileProblem } from './problems.js'

export interface ChassisIdentity {
  chassisId: string
  chassisTunnelIp?: string
}

/** Security group ids with at least one use, as the earlier passes left them. */
export interface AclUse {
  /** groups held by some local port's acl_port: their rules are compiled */
  used: ReadonlyMap<string, number>
  /** groups named as remote_group by some compiled rule: their members' addresses are compiled */
  remote: ReadonlyMap<string, number>
}

export interface UnitContext {
  state: ModelState
  followed: Followed
  self: ChassisIdentity
  acl: AclUse
}

export interface UnitResult {
  entries: Entry[]
  problems: CompileProblem[]
  /** security group ids this unit's acl_port holds */
  groups: string[]
  /** security group ids this unit's acl_rule names as remote */
  remotes: string[]
}

export const unitOf = (table: string, id: string): string => `${table}/${id}`

/** The unit of a port's acl_member rows (a pseudo-table: it is a port's, compiled after the rules). */
export const ACL_MEMBERS_UNIT = 'acl_members'

/** The pass a unit compiles in (see the top of this file). */
export function passOf(unit: string): 0 | 1 | 2 {
  if (unit.startsWith(`${TABLES.securityGroupRules}/`)) return 1
  if (unit.startsWith(`${ACL_MEMBERS_UNIT}/`)) return 2
  return 0
}

export function compileUnit(ctx: UnitContext, unit: string): UnitResult {
  const slash = unit.indexOf('/')
  const table = unit.slice(0, slash)
  const id = unit.slice(slash + 1)
  const out: UnitResult = { entries: [], problems: [], groups: [], remotes: [] }
  try {
    if (table === TABLES.networks) out.entries = networkUnit(ctx, id, out.problems)
    else if (table === TABLES.ports) out.entries = portUnit(ctx, id, out)
    else if (table === TABLES.routers) out.entries = routerUnit(ctx, id, out.problems)
    else if (table === TABLES.securityGroupRules) out.entries = ruleUnit(ctx, id, out)
    else if (table === ACL_MEMBERS_UNIT) out.entries = memberUnit(ctx, id)
    else if (table === TABLES.floatingips) out.entries = floatingIpUnit(ctx, id, out.problems)
    return out
  } catch (err) {
    // A store record of an unexpected shape costs only its own entries (CONVENTIONS 6): reported, not thrown.
    return {
      entries: [],
      problems: [{ code: 'bad_object', object: unit, detail: err instanceof Error ? err.message : String(err) }],
      groups: [],
      remotes: [],
    }
  }
}

/** Datapath keys are small positive integers; anything else is a record the compiler cannot use. */
function checkKey(object: string, key: unknown): void {
  if (!hasKey(key)) throw new Error(`${object} has no datapath key (key: ${String(key)})`)
}

function hasKey(key: unknown): key is number {
  return Number.isInteger(key) && (key as number) > 0
}

function networkUnit(ctx: UnitContext, id: string, problems: CompileProblem[]): Entry[] {
  const network = ctx.state.networks.get(id)
  // admin down: the network carries nothing here (its ports compile to nothing either)
  if (!network || !ctx.followed.networks.has(id) || isDown(network)) return []
  checkKey(`networks/${id}`, network.key)
  return buildNetwork(network, ctx.state.uplinks, problems)
}

function knownSubnets(ctx: UnitContext, port: Port): { subnets: Map<string, Subnet>; missing: string[] } {
  const subnets = new Map<string, Subnet>()
  const missing: string[] = []
  for (const f of port.fixed_ips ?? []) {
    const s = ctx.state.subnets.get(f.subnet_id)
    if (s) subnets.set(s.id, s)
    else missing.push(f.subnet_id)
  }
  return { subnets, missing }
}

/** Whether binding:host_id names this node (then the port is local once plugged, never a tunnel target). */
function isSelf(ctx: UnitContext, host: string): boolean {
  if (host === ctx.self.chassisId) return true
  const ch = ctx.state.chassisFor(host)
  return (
    ch !== undefined &&
    (ch.id === ctx.self.chassisId || (ctx.self.chassisTunnelIp !== undefined && ch.tunnel_ip === ctx.self.chassisTunnelIp))
  )
}

function portUnit(ctx: UnitContext, id: string, out: UnitResult): Entry[] {
  const { state } = ctx
  const { problems } = out
  const port = state.ports.get(id)
  if (!port || !ctx.followed.networks.has(port.network_id)) return []
  // Its router or floating IP unit owns a gateway or floating IP port: their addresses answer on one chassis only.
  if (port.device_owner === DEVICE_OWNER_ROUTER_GW || port.device_owner === DEVICE_OWNER_FLOATINGIP) return []
  const network = state.networks.get(port.network_id)
  if (!network) {
    problems.push({ code: 'parked', object: `ports/${id}`, detail: `waits for network ${port.network_id}` })
    return []
  }
  if (isDown(port) || isDown(network)) return [] // admin down: as if the port were not there, on every chassis
  checkKey(`ports/${id}`, port.key)
  checkKey(`networks/${network.id}`, network.key)
  const { subnets, missing } = knownSubnets(ctx, port)
  for (const s of missing) problems.push({ code: 'parked', object: `ports/${id}`, detail: `fixed IP waits for subnet ${s}` })
  const ofport = state.bindings.get(id)
  const host = port['binding:host_id'] ?? ''
  let remote: string | undefined
  let uplink = false
  if (ofport === undefined && host && !isSelf(ctx, host)) {
    // a provider network's other chassis are reached over the physical network, whatever their tunnel endpoint
    if (providerPhysnet(network) !== undefined) uplink = true
    else {
      remote = state.chassisFor(host)?.tunnel_ip || undefined
      if (remote === undefined)
        problems.push({ code: 'parked', object: `ports/${id}`, detail: `bound to ${host}, a chassis not known yet` })
    }
  }
  const dhcpPorts =
    ofport === undefined
      ? []
      : [...state.dhcpPortsOn(port.network_id)].map(p => state.ports.get(p)).filter((p): p is Port => p !== undefined)
  const entries = buildPort({ port, network, ofport, remote, uplink, dhcp: { subnets, dhcpPorts } }, problems)
  if (ofport !== undefined && enforcesAcl(port, network)) {
    const acl = buildAclPort(port, portGroups(ctx, port, problems), problems)
    entries.push(acl.entry)
    out.groups = acl.groups.map(g => g.id)
  }
  return entries
}

/**
 * A local port's groups that can be enforced: known and with a key. A group not here yet parks (the port is
 * enforced without it meanwhile: less is allowed, never more); a group stored before keys existed is skipped.
 */
function portGroups(ctx: UnitContext, port: Port, problems: CompileProblem[]): SecurityGroup[] {
  const object = `ports/${port.id}`
  if (port.security_groups != null && !Array.isArray(port.security_groups)) {
    problems.push({ code: 'bad_object', object, detail: 'security_groups is not a list: enforced with no group' })
  }
  const groups: SecurityGroup[] = []
  for (const id of groupIdsOf(port)) {
    const g = ctx.state.securityGroups.get(id)
    if (!g) problems.push({ code: 'parked', object, detail: `waits for security group ${id}` })
    else if (!hasKey(g.key))
      problems.push({
        code: 'bad_object',
        object: `security_groups/${id}`,
        detail: `has no datapath key (key: ${String(g.key)}; stored before keys existed?): not enforced on port ${port.id}`,
      })
    else groups.push(g)
  }
  return groups
}

/** A rule of a group that some local port holds; its remote group must be known (else it parks). */
function ruleUnit(ctx: UnitContext, id: string, out: UnitResult): Entry[] {
  const rule = ctx.state.securityGroupRules.get(id)
  if (!rule || !ctx.acl.used.has(rule.security_group_id)) return []
  const object = `security_group_rules/${id}`
  // a used group is known and has a key (the port unit holds no other)
  const group = ctx.state.securityGroups.get(rule.security_group_id) as SecurityGroup
  if (!hasKey(rule.key)) {
    out.problems.push({
      code: 'bad_object',
      object,
      detail: `has no datapath key (key: ${String(rule.key)}; stored before keys existed?): the rule is not enforced`,
    })
    return []
  }
  let remote: SecurityGroup | undefined
  if (rule.remote_group_id) {
    remote = ctx.state.securityGroups.get(rule.remote_group_id)
    if (!remote) {
      out.problems.push({ code: 'parked', object, detail: `waits for remote security group ${rule.remote_group_id}` })
      return []
    }
    if (!hasKey(remote.key)) {
      out.problems.push({
        code: 'bad_object',
        object: `security_groups/${remote.id}`,
        detail: `has no datapath key (key: ${String(remote.key)}): rule ${id} naming it is not enforced`,
      })
      return []
    }
  }
  const entry = buildAclRule({ rule, group, remote }, out.problems)
  if (!entry) return []
  if (remote) out.remotes = [remote.id]
  return [entry]
}

/** A port's addresses in those of its groups that compiled rules name as remote. Network ports are members of
 * nothing (Neutron binds no group to them). */
function memberUnit(ctx: UnitContext, portId: string): Entry[] {
  const port = ctx.state.ports.get(portId)
  if (!port || isNetworkOwned(port.device_owner)) return []
  const keys: number[] = []
  for (const id of groupIdsOf(port)) {
    if (!ctx.acl.remote.has(id)) continue
    // a remote group is known and has a key (the rule unit names no other); checked anyway, it costs nothing
    const key = ctx.state.securityGroups.get(id)?.key
    if (hasKey(key)) keys.push(key)
  }
  return buildAclMembers(port, keys)
}

function routerUnit(ctx: UnitContext, id: string, problems: CompileProblem[]): Entry[] {
  const { state } = ctx
  const router = state.routers.get(id)
  if (!router || !ctx.followed.routers.has(id)) return []
  checkKey(`routers/${id}`, router.key)
  const ifaces: RouterInterfaceInput[] = []
  const seen = new Set<string>()
  for (const i of router.interfaces ?? []) {
    if (seen.has(i.port_id)) continue // one interface per subnet, one router port per port
    seen.add(i.port_id)
    const port = state.ports.get(i.port_id)
    const network = state.networks.get(i.network_id)
    if (!port || !network || port.network_id !== i.network_id) {
      const what = !port ? `port ${i.port_id}` : !network ? `network ${i.network_id}` : `port ${i.port_id} on network ${i.network_id}`
      problems.push({ code: 'parked', object: `routers/${id}`, detail: `interface waits for ${what}` })
      continue
    }
    if (isDown(port) || isDown(network)) continue // an interface port admin down is not there
    const { subnets, missing } = knownSubnets(ctx, port)
    for (const s of missing)
      problems.push({ code: 'parked', object: `routers/${id}`, detail: `interface ${port.id} waits for subnet ${s}` })
    checkKey(`ports/${port.id}`, port.key)
    checkKey(`networks/${network.id}`, network.key)
    ifaces.push({ port, network, subnets })
  }
  return buildRouter(router, ifaces, problems, routerGateway(ctx, router, problems))
}

/**
 * The gateway port of a router: `gw_port_id` when that port is held, else the held port with device_owner
 * network:router_gateway and device_id = the router on the external network (the smallest id, to be stable).
 */
export function gatewayPortOf(state: ModelState, router: Router): Port | undefined {
  const networkId = router.external_gateway_info?.network_id
  if (!networkId) return undefined
  const named = router.gw_port_id ? state.ports.get(router.gw_port_id) : undefined
  if (named && named.network_id === networkId) return named
  const ids = [...state.gatewayPortsOf(router.id)].sort()
  for (const pid of ids) {
    const p = state.ports.get(pid)
    if (p && p.network_id === networkId && p.device_owner === DEVICE_OWNER_ROUTER_GW) return p
  }
  return undefined
}

/** The router's gateway as the router builder takes it; undefined without one (or while it waits). */
function routerGateway(ctx: UnitContext, router: Router, problems: CompileProblem[]): RouterGatewayInput | undefined {
  const { state } = ctx
  const info = router.external_gateway_info
  if (!info?.network_id) return undefined
  const object = `routers/${router.id}`
  const network: Network | undefined = state.networks.get(info.network_id)
  const port = gatewayPortOf(state, router)
  if (!network || !port) {
    problems.push({ code: 'parked', object, detail: `gateway waits for ${!network ? `network ${info.network_id}` : 'its gateway port'}` })
    return undefined
  }
  if (isDown(port) || isDown(network)) return undefined
  checkKey(`ports/${port.id}`, port.key)
  checkKey(`networks/${network.id}`, network.key)
  const { subnets, missing } = knownSubnets(ctx, port)
  for (const s of missing) problems.push({ code: 'parked', object, detail: `gateway port ${port.id} waits for subnet ${s}` })
  const winner = gatewayChassis(router.id, network, state.chassis.values())
  if (winner === undefined)
    problems.push({
      code: 'no_gateway_chassis',
      object,
      detail: `no chassis advertises physical network ${providerPhysnet(network) ?? '(any)'} of external network ${network.id}`,
    })
  const snat = info.enable_snat !== false
  const local = winner === ctx.self.chassisId
  // elsewhere, what leaves through the gateway without a floating IP goes to the gateway chassis through the tunnel
  const redirect = !local && winner !== undefined ? state.chassis.get(winner)?.tunnel_ip : undefined
  return { port, network, subnets, snat, local, ...(redirect ? { redirect } : {}) }
}

/**
 * A floating IP of a port plugged here: its nat row and the ARP/ND answer for the floating IP (only here, so
 * the physical network learns it where the port is). Elsewhere, or unassociated: nothing.
 */
function floatingIpUnit(ctx: UnitContext, id: string, problems: CompileProblem[]): Entry[] {
  const { state } = ctx
  const fip = state.floatingips.get(id)
  if (!fip?.port_id || !state.bindings.has(fip.port_id)) return []
  const object = `floatingips/${id}`
  const port = state.ports.get(fip.port_id)
  const internalNet = port && state.networks.get(port.network_id)
  if (!port || !internalNet || isDown(port) || isDown(internalNet)) return [] // the port compiles to nothing: neither does its NAT
  const router = fip.router_id ? state.routers.get(fip.router_id) : undefined
  const external = state.networks.get(fip.floating_network_id)
  const gatewayPort = router && gatewayPortOf(state, router)
  const floatingPort = state.ports.get(fip.floating_port_id)
  const waits = !router
    ? `router ${fip.router_id ?? '(none)'}`
    : !router.external_gateway_info
      ? `a gateway on router ${router.id}`
      : !gatewayPort
        ? `the gateway port of router ${router.id}`
        : !external
          ? `network ${fip.floating_network_id}`
          : !floatingPort
            ? `floating IP port ${fip.floating_port_id}`
            : !fip.fixed_ip_address
              ? 'a fixed IP'
              : undefined
  if (waits !== undefined || !router || !gatewayPort || !external || !floatingPort || !fip.fixed_ip_address) {
    problems.push({ code: 'parked', object, detail: `waits for ${waits ?? 'its references'}` })
    return []
  }
  if (isDown(external) || isDown(gatewayPort)) return []
  checkKey(`routers/${router.id}`, router.key)
  checkKey(`networks/${external.id}`, external.key)
  checkKey(`ports/${gatewayPort.id}`, gatewayPort.key)
  return buildFloatingIp({ fip, router, external, gatewayPort, floatingPort }, problems)
}
