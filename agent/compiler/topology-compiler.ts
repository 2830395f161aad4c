// The incremental topology compiler. Each input updates the model state, works out which compile units it can
// have changed (the object itself plus what depends on it, through the reverse indexes of ModelState, plus every
// unit whose network or router entered or left the followed closure), recompiles only those, and returns the
// difference. Entries are reference-counted by canonical key, because two units may emit the same row (a router
// interface port's l2/arp_nd comes from the port and from its router): a row leaves only when no unit has it.
//
//   change --> VersionFilter --> ModelState.set --> dirty units --> compileUnit --> refcount diff --> EntryDelta
//
// Security groups add two passes after the objects (compile-unit.ts): the rules of groups that local ports hold,
// then the members of groups those rules name. Uses are counted per group like entries; a group whose count
// starts or stops being zero dirties the units of the next pass (its rules, or its members' acl_members).
//
// Invariant (checked by test/compiler/): the union of all deltas == entries() == compileState(state).
import type { Entry } from '../../datapath/host/entries.js'
import { DEVICE_OWNER_DHCP, DEVICE_OWNER_ROUTER_GW } from '../../model/attributes/ports.js'
import { TABLES } from '../../model/tables.js'
import type { Chassis, Network, Port, SecurityGroup } from '../../model/types.js'
import type { Change, StoredObject } from '../../store/types.js'
import { compileState, type CompileResult } from './compile-topology.js'
import { ACL_MEMBERS_UNIT, type ChassisIdentity, compileUnit, passOf, unitOf, type UnitContext } from './compile-unit.js'
import { canonical, entryKey } from './entry-key.js'
import { physnetsOf } from './gateway-chassis.js'
import { type Followed, followedClosure } from './locality.js'
import { COMPILED_TABLES, isCompiledTable, ModelState, providerPhysnet } from './model-state.js'
import type { CompileProblem } from './problems.js'
import type { EntryDelta, TopologyCompilerApi } from './types.js'
import { VersionFilter } from './version-filter.js'

export type TopologyCompilerOptions = ChassisIdentity

export class TopologyCompiler implements TopologyCompilerApi {
  private readonly state = new ModelState()
  private readonly versions = new VersionFilter()
  private followedNow: Followed = { networks: new Set(), routers: new Set() }
  /** units compiled since the compiler was made: the work a change cost, for tests and metrics */
  unitsCompiled = 0
  /** network -> how many plugged ports (bound here, row known) are on it: the closure's seeds */
  private readonly seeds = new Map<string, number>()
  /** unit -> canonical keys of the entries it emits */
  private readonly unitKeys = new Map<string, string[]>()
  private readonly unitProblems = new Map<string, CompileProblem[]>()
  /** canonical key -> entry and how many units emit it */
  private readonly rows = new Map<string, { entry: Entry; count: number }>()
  /** security group -> how many local acl_ports hold it / how many compiled rules name it as remote */
  private readonly used = new Map<string, number>()
  private readonly remote = new Map<string, number>()
  /** unit -> the groups it counts in `used` and `remote` */
  private readonly unitUses = new Map<string, { groups: string[]; remotes: string[] }>()

  constructor(private readonly self: TopologyCompilerOptions) {}

  applyChange(change: Change): EntryDelta {
    if (!isCompiledTable(change.table) || !this.versions.accept(change)) return { added: [], removed: [] }
    const table = change.table
    const old = this.objectOf(table, change.id)
    const value = change.action === 'delete' ? undefined : change.value
    const bound = table === TABLES.ports && this.state.bindings.has(change.id)
    const seedBefore = bound ? this.state.ports.get(change.id)?.network_id : undefined
    this.state.set(table, change.id, value)
    const dirty = new Set<string>()
    this.dependents(table, change.id, [old, value], dirty)
    // Only a router, or a plugged port appearing, going or (never in Neutron) changing network, moves the
    // closure; a plugged port's other changes (its status, say) do not, and cost no closure walk
    const seedsMoved = bound && this.moveSeed(seedBefore, this.state.ports.get(change.id)?.network_id)
    // a chassis coming, going or changing its bridge mappings may move a router's gateway chassis to or from here
    const gatewayMoved =
      table === TABLES.chassis && gatewayChoiceInputs(old as Chassis | undefined) !== gatewayChoiceInputs(value as Chassis | undefined)
    // an external network appearing, going or moving to another physical network may make this chassis a router's gateway chassis, or stop it
    const networkCame =
      table === TABLES.networks && physnetOrAbsent(old as Network | undefined) !== physnetOrAbsent(value as Network | undefined)
    return this.recompile(dirty, table === TABLES.routers || seedsMoved || gatewayMoved || networkCame)
  }

  bindLocal(portId: string, ofport: number | undefined): EntryDelta {
    const was = this.state.bindings.get(portId)
    if (was === ofport) return { added: [], removed: [] }
    if (ofport === undefined) this.state.bindings.delete(portId)
    else this.state.bindings.set(portId, ofport)
    const net = this.state.ports.get(portId)?.network_id
    // plugged or unplugged (not an ofport change): the port's network may gain its first or lose its last seed
    const seedsMoved =
      (was === undefined) !== (ofport === undefined) && (was === undefined ? this.moveSeed(undefined, net) : this.moveSeed(net, undefined))
    const dirty = new Set([unitOf(TABLES.ports, portId)])
    for (const f of this.state.fipsOfPort(portId)) dirty.add(unitOf(TABLES.floatingips, f))
    return this.recompile(dirty, seedsMoved)
  }

  /**
   * This node's uplink for a physical network (the br-int ofport of its --bridge-mappings patch port), or none
   * (undefined). Only the followed provider networks on that physical network change (their `uplink` row).
   */
  bindUplink(physnet: string, ofport: number | undefined): EntryDelta {
    if (this.state.uplinks.get(physnet) === ofport) return { added: [], removed: [] }
    if (ofport === undefined) this.state.uplinks.delete(physnet)
    else this.state.uplinks.set(physnet, ofport)
    const dirty = new Set<string>()
    for (const n of this.state.networksOnPhysnet(physnet)) dirty.add(unitOf(TABLES.networks, n))
    return this.recompile(dirty, false)
  }

  /** One plugged port moves from network `from` to `to` (either may be none); true when the seed set changed. */
  private moveSeed(from: string | undefined, to: string | undefined): boolean {
    if (from === to) return false
    let moved = false
    if (from !== undefined) {
      const n = (this.seeds.get(from) ?? 0) - 1
      if (n > 0) this.seeds.set(from, n)
      else {
        this.seeds.delete(from)
        moved = true
      }
    }
    if (to !== undefined) {
      const n = (this.seeds.get(to) ?? 0) + 1
      this.seeds.set(to, n)
      if (n === 1) moved = true
    }
    return moved
  }

  /**
   * A full resync (after a reconnect, or the periodic safety net): `objects` is everything the store holds now in
   * the tables the compiler reads. Newer versions apply, equal ones are ignored, older ones (or an equal
   * version with another value) replace the held object, held objects that are absent are deleted; the delta
   * is the net change over the whole resync.
   */
  resync(objects: StoredObject[]): EntryDelta {
    const before = new Map([...this.rows].map(([k, r]) => [k, r.entry]))
    const present = new Set<string>()
    for (const o of objects) {
      if (!isCompiledTable(o.table)) continue
      const key = `${o.table}/${o.id}`
      present.add(key)
      // The snapshot is the truth: an older version than the one held means the object was deleted and created
      // again while we were away (versions restart at 1), so the held one goes first.
      // The same version with another value is the same story (a re-created object caught up with the old one).
      const held = this.versions.heldVersion(key)
      const replaced =
        held !== undefined && (o.version < held || (o.version === held && canonical(this.objectOf(o.table, o.id)) !== canonical(o.value)))
      if (replaced) this.applyChange({ table: o.table, id: o.id, version: held, action: 'delete', topics: [] })
      this.applyChange({
        table: o.table,
        id: o.id,
        version: o.version,
        action: this.objectOf(o.table, o.id) === undefined ? 'create' : 'update',
        topics: o.topics,
        value: o.value,
      })
    }
    for (const table of COMPILED_TABLES) {
      for (const id of [...this.idsOf(table)]) {
        if (present.has(`${table}/${id}`)) continue
        this.applyChange({ table, id, version: this.versions.heldVersion(`${table}/${id}`) ?? 0, action: 'delete', topics: [] })
      }
    }
    const added = [...this.rows].filter(([k]) => !before.has(k)).map(([, r]) => r.entry)
    const removed = [...before].filter(([k]) => !this.rows.has(k)).map(([, e]) => e)
    return { added, removed }
  }

  entries(): Entry[] {
    return [...this.rows.values()].map(r => r.entry)
  }

  followed(): Set<string> {
    const out = new Set<string>()
    for (const id of this.followedNow.networks) {
      out.add(unitOf(TABLES.networks, id))
      for (const s of this.state.subnetsOn(id)) out.add(unitOf(TABLES.subnets, s))
      for (const p of this.state.portsOn(id)) out.add(unitOf(TABLES.ports, p))
    }
    for (const id of this.followedNow.routers) out.add(unitOf(TABLES.routers, id))
    for (const p of this.state.bindings.keys()) for (const f of this.state.fipsOfPort(p)) out.add(unitOf(TABLES.floatingips, f))
    for (const id of [...this.used.keys(), ...this.remote.keys()]) out.add(unitOf(TABLES.securityGroups, id))
    for (const id of this.used.keys()) for (const r of this.state.rulesOfGroup(id)) out.add(unitOf(TABLES.securityGroupRules, r))
    return out
  }

  /** What could not be compiled now: parked objects, unknown DHCP options, unreachable routes. */
  problems(): CompileProblem[] {
    return [...this.unitProblems.values()].flat()
  }

  /** The full recompute of the held state: the fallback, and the oracle the tests compare against. */
  recompute(): CompileResult {
    return compileState(this.state, this.self)
  }

  private idsOf(table: string): Iterable<string> {
    switch (table) {
      case TABLES.networks:
        return this.state.networks.keys()
      case TABLES.subnets:
        return this.state.subnets.keys()
      case TABLES.ports:
        return this.state.ports.keys()
      case TABLES.routers:
        return this.state.routers.keys()
      case TABLES.chassis:
        return this.state.chassis.keys()
      case TABLES.securityGroups:
        return this.state.securityGroups.keys()
      case TABLES.securityGroupRules:
        return this.state.securityGroupRules.keys()
      case TABLES.floatingips:
        return this.state.floatingips.keys()
      default:
        return []
    }
  }

  private objectOf(table: string, id: string): unknown {
    switch (table) {
      case TABLES.networks:
        return this.state.networks.get(id)
      case TABLES.subnets:
        return this.state.subnets.get(id)
      case TABLES.ports:
        return this.state.ports.get(id)
      case TABLES.routers:
        return this.state.routers.get(id)
      case TABLES.chassis:
        return this.state.chassis.get(id)
      case TABLES.securityGroups:
        return this.state.securityGroups.get(id)
      case TABLES.securityGroupRules:
        return this.state.securityGroupRules.get(id)
      case TABLES.floatingips:
        return this.state.floatingips.get(id)
      default:
        return undefined
    }
  }

  /** The units whose entries read this object, looked up for its old and its new value. */
  private dependents(table: string, id: string, versions: unknown[], dirty: Set<string>): void {
    const s = this.state
    const ports = (ids: Iterable<string>): void => {
      for (const p of ids) dirty.add(unitOf(TABLES.ports, p))
    }
    const routers = (ids: Iterable<string>): void => {
      for (const r of ids) dirty.add(unitOf(TABLES.routers, r))
    }
    const routersOfPorts = (ids: Iterable<string>): void => {
      for (const p of ids) routers(s.routersWithPort(p))
    }
    const fips = (ids: Iterable<string>): void => {
      for (const f of ids) dirty.add(unitOf(TABLES.floatingips, f))
    }
    /** a router's gateway port is read by the router and by its floating IPs */
    const gatewayOf = (routerId: string): void => {
      dirty.add(unitOf(TABLES.routers, routerId))
      fips(s.fipsOfRouter(routerId))
    }
    if (table === TABLES.floatingips) {
      dirty.add(unitOf(TABLES.floatingips, id))
      return
    }
    if (table === TABLES.chassis)
      return this.chassisDependents(versions[0] as Chassis | undefined, versions[1] as Chassis | undefined, dirty)
    if (table === TABLES.securityGroups)
      return this.groupDependents(id, versions[0] as SecurityGroup | undefined, versions[1] as SecurityGroup | undefined, dirty)
    if (table === TABLES.securityGroupRules) {
      dirty.add(unitOf(TABLES.securityGroupRules, id))
      return
    }
    for (const v of versions) {
      if (table === TABLES.networks) {
        dirty.add(unitOf(TABLES.networks, id))
        ports(s.portsOn(id))
        routers(s.routersOn(id))
        for (const r of s.routersWithGatewayOn(id)) gatewayOf(r)
        fips(s.fipsOnNetwork(id))
        // admin state of a port's network is read by the port's floating IPs
        for (const p of s.portsOn(id)) fips(s.fipsOfPort(p))
      } else if (table === TABLES.subnets) {
        ports(s.portsWithSubnet(id))
        routersOfPorts(s.portsWithSubnet(id))
        for (const p of s.portsWithSubnet(id)) {
          const port = s.ports.get(p)
          if (port?.device_owner === DEVICE_OWNER_ROUTER_GW && port.device_id) gatewayOf(port.device_id)
        }
      } else if (table === TABLES.ports) {
        dirty.add(unitOf(TABLES.ports, id))
        dirty.add(unitOf(ACL_MEMBERS_UNIT, id))
        routers(s.routersWithPort(id))
        fips(s.fipsOfPort(id))
        fips(s.fipsWithFloatingPort(id))
        const p = v as Port | undefined
        // A DHCP port is the DHCP server of every local port on its network.
        if (p?.device_owner === DEVICE_OWNER_DHCP) ports(s.portsOn(p.network_id))
        if (p?.device_owner === DEVICE_OWNER_ROUTER_GW && p.device_id) gatewayOf(p.device_id)
        for (const r of s.routersWithPort(id)) if (s.routers.get(r)?.gw_port_id === id) gatewayOf(r)
      } else if (table === TABLES.routers) {
        dirty.add(unitOf(TABLES.routers, id))
        fips(s.fipsOfRouter(id))
      }
    }
  }

  /**
   * A chassis' tunnel endpoint is read by the ports bound to it; its presence and its bridge mappings by every
   * router with a gateway (the gateway chassis choice). Its other fields (updated_at, generation) by nothing.
   */
  private chassisDependents(before: Chassis | undefined, after: Chassis | undefined, dirty: Set<string>): void {
    const s = this.state
    // a port bound to a chassis reads its names and tunnel endpoint (compile-unit.ts); the heartbeat and the
    // run generation in external_ids are read by nothing here, so a beat recompiles nothing
    if (portInputs(before) !== portInputs(after)) {
      for (const c of [before, after]) {
        if (c) for (const host of [c.id, c.hostname]) if (host) for (const p of s.portsBoundTo(host)) dirty.add(unitOf(TABLES.ports, p))
      }
    }
    // the gateway chassis choice reads presence and mappings; the redirect of SNAT traffic its tunnel endpoint
    if (gatewayChoiceInputs(before) === gatewayChoiceInputs(after) && before?.tunnel_ip === after?.tunnel_ip) return
    for (const [id, r] of s.routers) if (r.external_gateway_info?.network_id) dirty.add(unitOf(TABLES.routers, id))
  }

  /**
   * A group's kind or key is read by the acl_port of its local ports; its key (and whether it is there at all) by
   * its rules, the rules naming it as remote, and its members' acl_member rows. Its name or description by nothing.
   */
  private groupDependents(id: string, before: SecurityGroup | undefined, after: SecurityGroup | undefined, dirty: Set<string>): void {
    const s = this.state
    const keyMoved = (before === undefined) !== (after === undefined) || before?.key !== after?.key
    const kindMoved = keyMoved || (before?.stateful ?? true) !== (after?.stateful ?? true)
    if (kindMoved) for (const p of s.portsInGroup(id)) if (s.bindings.has(p)) dirty.add(unitOf(TABLES.ports, p))
    if (!keyMoved) return
    for (const r of s.rulesOfGroup(id)) dirty.add(unitOf(TABLES.securityGroupRules, r))
    for (const r of s.rulesWithRemoteGroup(id)) dirty.add(unitOf(TABLES.securityGroupRules, r))
    if (this.remote.has(id)) for (const p of s.portsInGroup(id)) dirty.add(unitOf(ACL_MEMBERS_UNIT, p))
  }

  /** Moves the closure if asked, adds the units whose followed status flipped, recompiles and diffs. */
  private recompile(dirty: Set<string>, closureMoves: boolean): EntryDelta {
    if (closureMoves) {
      const next = followedClosure(this.state, this.seeds.keys(), this.self.chassisId)
      const prev = this.followedNow
      for (const id of symmetricDifference(prev.networks, next.networks)) {
        dirty.add(unitOf(TABLES.networks, id))
        for (const p of this.state.portsOn(id)) dirty.add(unitOf(TABLES.ports, p))
        for (const r of this.state.routersOn(id)) dirty.add(unitOf(TABLES.routers, r))
      }
      for (const id of symmetricDifference(prev.routers, next.routers)) dirty.add(unitOf(TABLES.routers, id))
      this.followedNow = next
    }
    const ctx: UnitContext = {
      state: this.state,
      followed: this.followedNow,
      self: this.self,
      acl: { used: this.used, remote: this.remote },
    }
    /** canonical key -> whether it was installed before this input */
    const touched = new Map<string, boolean>()
    const passes = [new Set<string>(), new Set<string>(), new Set<string>()] as const
    for (const unit of dirty) passes[passOf(unit)].add(unit)
    for (const [pass, units] of passes.entries()) {
      /** group -> whether it had uses before this pass (only groups whose count moved) */
      const moved = new Map<string, boolean>()
      for (const unit of units) this.compileOne(ctx, unit, touched, moved)
      this.unitsCompiled += units.size
      for (const [group, had] of moved) {
        if (pass === 0 && had !== this.used.has(group))
          for (const r of this.state.rulesOfGroup(group)) passes[1].add(unitOf(TABLES.securityGroupRules, r))
        if (pass === 1 && had !== this.remote.has(group))
          for (const p of this.state.portsInGroup(group)) passes[2].add(unitOf(ACL_MEMBERS_UNIT, p))
      }
    }
    return this.delta(touched)
  }

  private compileOne(ctx: UnitContext, unit: string, touched: Map<string, boolean>, moved: Map<string, boolean>): void {
    const result = compileUnit(ctx, unit)
    const before = this.unitKeys.get(unit) ?? []
    const after = new Map(result.entries.map(e => [entryKey(e), e]))
    for (const key of before) {
      if (after.has(key)) continue
      this.count(key, -1, touched)
    }
    const beforeSet = new Set(before)
    for (const [key, entry] of after) {
      if (beforeSet.has(key)) continue
      this.count(key, +1, touched, entry)
    }
    if (after.size > 0) this.unitKeys.set(unit, [...after.keys()])
    else this.unitKeys.delete(unit)
    if (result.problems.length > 0) this.unitProblems.set(unit, result.problems)
    else this.unitProblems.delete(unit)
    const uses = this.unitUses.get(unit) ?? { groups: [], remotes: [] }
    countUses(this.used, uses.groups, result.groups, moved)
    countUses(this.remote, uses.remotes, result.remotes, moved)
    if (result.groups.length + result.remotes.length > 0) this.unitUses.set(unit, { groups: result.groups, remotes: result.remotes })
    else this.unitUses.delete(unit)
  }

  private count(key: string, by: 1 | -1, touched: Map<string, boolean>, entry?: Entry): void {
    const row = this.rows.get(key)
    if (!touched.has(key)) touched.set(key, row !== undefined)
    if (row) {
      row.count += by
      if (row.count === 0) {
        this.rows.delete(key)
        this.gone.set(key, row.entry)
      }
    } else if (by === 1 && entry) {
      this.rows.set(key, { entry, count: 1 })
    }
  }

  private delta(touched: Map<string, boolean>): EntryDelta {
    const added: Entry[] = []
    const removed: Entry[] = []
    for (const [key, wasThere] of touched) {
      const row = this.rows.get(key)
      if (row && !wasThere) added.push(row.entry)
      if (!row && wasThere) removed.push(this.gone.get(key) as Entry)
    }
    this.gone.clear()
    return { added, removed }
  }

  /** Entries whose count fell to zero during one input, kept until the delta names them. */
  private readonly gone = new Map<string, Entry>()
}

/** Moves one unit's uses from `before` to `after` in `counts`, noting in `moved` whether each touched group had uses. */
function countUses(counts: Map<string, number>, before: string[], after: string[], moved: Map<string, boolean>): void {
  if (before.length === 0 && after.length === 0) return
  const add = (id: string, by: number): void => {
    if (!moved.has(id)) moved.set(id, counts.has(id))
    const n = (counts.get(id) ?? 0) + by
    if (n > 0) counts.set(id, n)
    else counts.delete(id)
  }
  for (const id of before) add(id, -1)
  for (const id of after) add(id, +1)
}

function symmetricDifference(a: Set<string>, b: Set<string>): string[] {
  return [...[...a].filter(x => !b.has(x)), ...[...b].filter(x => !a.has(x))]
}

/** What of a network the gateway chassis choice reads: its presence and its physical network. */
function physnetOrAbsent(n: Network | undefined): string | undefined {
  return n && (providerPhysnet(n) ?? '')
}

/** What of a chassis row the gateway chassis choice reads: its presence and its physical networks. */
/** What the units of ports bound to a chassis read of its row. */
function portInputs(c: Chassis | undefined): string | undefined {
  return c && JSON.stringify([c.id, c.hostname, c.tunnel_ip])
}

function gatewayChoiceInputs(c: Chassis | undefined): string | undefined {
  return c && [...physnetsOf(c)].sort().join(',')
}
