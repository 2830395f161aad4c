// The full compile: a pure function of the model objects, the local bindings and this chassis' identity. The
// incremental compiler must always hold exactly this (the test oracle), and the controller can fall back to it.
import type { Entry } from '../../datapath/host/entries.js'
import { TABLES } from '../../model/tables.js'
import type { Chassis, FloatingIp, Network, Port, Router, SecurityGroup, SecurityGroupRule, Subnet } from '../../model/types.js'
import { ACL_MEMBERS_UNIT, type ChassisIdentity, compileUnit, unitOf } from './compile-unit.js'
import { entryKey } from './entry-key.js'
import { followedClosure } from './locality.js'
import { ModelState } from './model-state.js'
import type { CompileProblem } from './problems.js'

export interface ModelSnapshot {
  networks?: Network[]
  subnets?: Subnet[]
  ports?: Port[]
  routers?: Router[]
  chassis?: Chassis[]
  securityGroups?: SecurityGroup[]
  securityGroupRules?: SecurityGroupRule[]
  floatingips?: FloatingIp[]
  /** Neutron port id -> ofport of the ports plugged on this node. */
  bindings?: Map<string, number> | Record<string, number>
  /** physical network -> br-int ofport of its uplink on this node (--bridge-mappings). */
  uplinks?: ReadonlyMap<string, number> | Record<string, number>
}

export interface CompileResult {
  /** Deduplicated, sorted by canonical key. */
  entries: Entry[]
  problems: CompileProblem[]
}

/** A snapshot's id -> ofport table, given as a Map or as plain JSON. */
function numberEntries(m: ReadonlyMap<string, number> | Record<string, number> | undefined): Iterable<[string, number]> {
  if (m === undefined) return []
  // instanceof Map does not narrow a ReadonlyMap; 'entries' being a function tells the two apart
  return typeof m.entries === 'function' ? (m as ReadonlyMap<string, number>).entries() : Object.entries(m as Record<string, number>)
}

export function stateOf(snapshot: ModelSnapshot): ModelState {
  const state = new ModelState()
  for (const n of snapshot.networks ?? []) state.set(TABLES.networks, n.id, n)
  for (const s of snapshot.subnets ?? []) state.set(TABLES.subnets, s.id, s)
  for (const p of snapshot.ports ?? []) state.set(TABLES.ports, p.id, p)
  for (const r of snapshot.routers ?? []) state.set(TABLES.routers, r.id, r)
  for (const c of snapshot.chassis ?? []) state.set(TABLES.chassis, c.id, c)
  for (const g of snapshot.securityGroups ?? []) state.set(TABLES.securityGroups, g.id, g)
  for (const r of snapshot.securityGroupRules ?? []) state.set(TABLES.securityGroupRules, r.id, r)
  for (const f of snapshot.floatingips ?? []) state.set(TABLES.floatingips, f.id, f)
  for (const [id, ofport] of numberEntries(snapshot.bindings)) state.bindings.set(id, ofport)
  for (const [physnet, ofport] of numberEntries(snapshot.uplinks)) state.uplinks.set(physnet, ofport)
  return state
}

/**
 * Every unit of a state, compiled; the same entry from two units appears once. Three passes (compile-unit.ts):
 * objects, then the rules of the groups the first pass used, then the members of the groups the rules name.
 */
export function compileState(state: ModelState, self: ChassisIdentity): CompileResult {
  const used = new Map<string, number>()
  const remote = new Map<string, number>()
  const ctx = { state, followed: followedClosure(state, undefined, self.chassisId), self, acl: { used, remote } }
  const passes = [
    [
      ...[...state.networks.keys()].map(id => unitOf(TABLES.networks, id)),
      ...[...state.ports.keys()].map(id => unitOf(TABLES.ports, id)),
      ...[...state.routers.keys()].map(id => unitOf(TABLES.routers, id)),
      ...[...state.floatingips.keys()].map(id => unitOf(TABLES.floatingips, id)),
    ],
    [...state.securityGroupRules.keys()].map(id => unitOf(TABLES.securityGroupRules, id)),
    [...state.ports.keys()].map(id => unitOf(ACL_MEMBERS_UNIT, id)),
  ]
  const entries = new Map<string, Entry>()
  const problems: CompileProblem[] = []
  const count = (m: Map<string, number>, ids: string[]): void => {
    for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1)
  }
  for (const units of passes) {
    for (const unit of units) {
      const r = compileUnit(ctx, unit)
      for (const e of r.entries) entries.set(entryKey(e), e)
      problems.push(...r.problems)
      count(used, r.groups)
      count(remote, r.remotes)
    }
  }
  return { entries: [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e), problems }
}

export function compileTopology(snapshot: ModelSnapshot, self: ChassisIdentity): CompileResult {
  return compileState(stateOf(snapshot), self)
}
