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
import { isNetworkOwned } from '../../model/attributes/ports.js'
import { TABLES } from '../../model/tables.js'
import type { Port, SecurityGroup, Subnet } from '../../model/types.js'
import { buildAclMembers } from './build-acl-members.js'
import { buildAclPort, enforcesAcl } from './build-acl-port.js'
import { buildAclRule } from './build-acl-rule.js'
import { buildNetwork } from './build-network.js'
import { buildPort } from './build-port.js'
import { buildRouter, type RouterInterfaceInput } from './build-router.js'
import type { Followed } from './locality.js'
import { groupIdsOf, type ModelState } from './model-state.js'
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
    if (table === TABLES.networks) out.entries = networkUnit(ctx, id)
    else if (table === TABLES.ports) out.entries = portUnit(ctx, id, out)
    else if (table === TABLES.routers) out.entries = routerUnit(ctx, id, out.problems)
    else if (table === TABLES.securityGroupRules) out.entries = ruleUnit(ctx, id, out)
    else if (table === ACL_MEMBERS_UNIT) out.entries = memberUnit(ctx, id)
    return out
  } catch (err) {
    // A store record of an unexpected shape costs only its own entries (CONVENTIONS 6): reported, not thrown.
    return { entries: [], problems: [{ code: 'bad_object', object: unit, detail: err instanceof Error ? err.message : String(err) }], groups: [], remotes: [] }
  }
}

/** Datapath keys are small positive integers; anything else is a record the compiler cannot use. */
function checkKey(object: string, key: unknown): void {
  if (!hasKey(key)) throw new Error(`${object} has no datapath key (key: ${String(key)})`)
}

function hasKey(key: unknown): key is number {
  return Number.isInteger(key) && (key as number) > 0
}

function networkUnit(ctx: UnitContext, id: string): Entry[] {
  const network = ctx.state.networks.get(id)
  if (!network || !ctx.followed.networks.has(id)) return []
  checkKey(`networks/${id}`, network.key)
  return buildNetwork(network)
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
  return ch !== undefined && (ch.id === ctx.self.chassisId || (ctx.self.chassisTunnelIp !== undefined && ch.tunnel_ip === ctx.self.chassisTunnelIp))
}

function portUnit(ctx: UnitContext, id: string, out: UnitResult): Entry[] {
  const { state } = ctx
  const { problems } = out
  const port = state.ports.get(id)
  if (!port || !ctx.followed.networks.has(port.network_id)) return []
  const network = state.networks.get(port.network_id)
  if (!network) {
    problems.push({ code: 'parked', object: `ports/${id}`, detail: `waits for network ${port.network_id}` })
    return []
  }
  checkKey(`ports/${id}`, port.key)
  checkKey(`networks/${network.id}`, network.key)
  const { subnets, missing } = knownSubnets(ctx, port)
  for (const s of missing) problems.push({ code: 'parked', object: `ports/${id}`, detail: `fixed IP waits for subnet ${s}` })
  const ofport = state.bindings.get(id)
  const host = port['binding:host_id'] ?? ''
  let remote: string | undefined
  if (ofport === undefined && host && !isSelf(ctx, host)) {
    remote = state.chassisFor(host)?.tunnel_ip || undefined
    if (remote === undefined) problems.push({ code: 'parked', object: `ports/${id}`, detail: `bound to ${host}, a chassis not known yet` })
  }
  const dhcpPorts = ofport === undefined ? [] : [...state.dhcpPortsOn(port.network_id)].map(p => state.ports.get(p)).filter((p): p is Port => p !== undefined)
  const entries = buildPort({ port, network, ofport, remote, dhcp: { subnets, dhcpPorts } }, problems)
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
    else if (!hasKey(g.key)) problems.push({ code: 'bad_object', object: `security_groups/${id}`, detail: `has no datapath key (key: ${String(g.key)}; stored before keys existed?): not enforced on port ${port.id}` })
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
    out.problems.push({ code: 'bad_object', object, detail: `has no datapath key (key: ${String(rule.key)}; stored before keys existed?): the rule is not enforced` })
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
      out.problems.push({ code: 'bad_object', object: `security_groups/${remote.id}`, detail: `has no datapath key (key: ${String(remote.key)}): rule ${id} naming it is not enforced` })
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
    const { subnets, missing } = knownSubnets(ctx, port)
    for (const s of missing) problems.push({ code: 'parked', object: `routers/${id}`, detail: `interface ${port.id} waits for subnet ${s}` })
    checkKey(`ports/${port.id}`, port.key)
    checkKey(`networks/${network.id}`, network.key)
    ifaces.push({ port, network, subnets })
  }
  return buildRouter(router, ifaces, problems)
}
