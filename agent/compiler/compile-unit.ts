// One compile unit = one model object that owns entries ("networks/<id>", "ports/<id>", "routers/<id>"): looks up
// what the object refers to and calls its pure builder. The full compile is every unit; the incremental
// compiler recompiles only the units a change touches. Both go through here, so they build entries the same way.
import type { Entry } from '../../datapath/host/entries.js'
import { TABLES } from '../../model/tables.js'
import type { Port, Subnet } from '../../model/types.js'
import { buildNetwork } from './build-network.js'
import { buildPort } from './build-port.js'
import { buildRouter, type RouterInterfaceInput } from './build-router.js'
import type { Followed } from './locality.js'
import type { ModelState } from './model-state.js'
import type { CompileProblem } from './problems.js'

export interface ChassisIdentity {
  chassisId: string
  chassisTunnelIp?: string
}

export interface UnitContext {
  state: ModelState
  followed: Followed
  self: ChassisIdentity
}

export interface UnitResult {
  entries: Entry[]
  problems: CompileProblem[]
}

export const unitOf = (table: string, id: string): string => `${table}/${id}`

export function compileUnit(ctx: UnitContext, unit: string): UnitResult {
  const slash = unit.indexOf('/')
  const table = unit.slice(0, slash)
  const id = unit.slice(slash + 1)
  const problems: CompileProblem[] = []
  try {
    let entries: Entry[] = []
    if (table === TABLES.networks) entries = networkUnit(ctx, id)
    else if (table === TABLES.ports) entries = portUnit(ctx, id, problems)
    else if (table === TABLES.routers) entries = routerUnit(ctx, id, problems)
    return { entries, problems }
  } catch (err) {
    // A store record of an unexpected shape costs only its own entries (CONVENTIONS 6): reported, not thrown.
    return { entries: [], problems: [{ code: 'bad_object', object: unit, detail: err instanceof Error ? err.message : String(err) }] }
  }
}

/** Datapath keys are small positive integers; anything else is a record the compiler cannot use. */
function checkKey(object: string, key: unknown): void {
  if (!Number.isInteger(key) || (key as number) <= 0) throw new Error(`${object} has no datapath key (key: ${String(key)})`)
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

function portUnit(ctx: UnitContext, id: string, problems: CompileProblem[]): Entry[] {
  const { state } = ctx
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
  return buildPort({ port, network, ofport, remote, dhcp: { subnets, dhcpPorts } }, problems)
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
