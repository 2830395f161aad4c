// Shared by the per-stage flow makers: the entries, indexed the ways the flow makers read them, the builder for
// a stage, small helpers. The index is kept up to date entry by entry (add/remove), so the incremental emitter
// (emit-units.ts) can re-emit one unit (an entry, a network's flood, a router, a network's next hops) without
// scanning every entry of the node.
import type {
  ArpNdEntry,
  ClassifyPortEntry,
  EgressEntry,
  Entry,
  L2Entry,
  NatEntry,
  NexthopEntry,
  RouteEntry,
  RouterGatewayEntry,
  RouterPortEntry,
  UplinkEntry,
} from '../../../datapath/host/entries.js'
import { FlowBuilder } from '../builder.js'
import type { Flow } from '../flow.js'
import { Key, OfPort } from '../values.js'
import { floodChunkOf } from '../layout.js'
import { AclIndex } from './acl-index.js'

export const isV6 = (text: string): boolean => text.includes(':')

/** Entries by a number (a network, port or router key), each group in insertion order. */
class GroupIndex<E extends Entry> {
  private readonly groups = new Map<number, Map<string, E>>()
  add(group: number, key: string, e: E): void {
    let g = this.groups.get(group)
    if (g === undefined) {
      g = new Map()
      this.groups.set(group, g)
    }
    g.set(key, e)
  }
  remove(group: number, key: string): void {
    const g = this.groups.get(group)
    if (g === undefined) return
    g.delete(key)
    if (g.size === 0) this.groups.delete(group)
  }
  get(group: number): E[] {
    return [...(this.groups.get(group)?.values() ?? [])]
  }
  entryKeys(group: number): string[] {
    return [...(this.groups.get(group)?.keys() ?? [])]
  }
  has(group: number): boolean {
    return this.groups.has(group)
  }
  keys(): number[] {
    return [...this.groups.keys()]
  }
}

export interface ContextOptions {
  /** cookie generation of every flow the context builds (layout.ts) */
  generation: number
  /** ofport of the flow-based tunnel port; undefined = no tunnel port on this node */
  tunnelOfport?: number | undefined
}

export class Context {
  readonly generation: number
  readonly tunnelOfport: number | undefined
  private readonly byStage = new Map<string, Map<string, Entry>>()
  private readonly l2ByNetwork = new GroupIndex<L2Entry>()
  private readonly classifyByNetwork = new GroupIndex<ClassifyPortEntry>()
  private readonly egressByPort = new GroupIndex<EgressEntry>()
  /** networks a port has l2 or classify entries on, with how many */
  private readonly portNetworks = new Map<number, Map<number, number>>()
  private readonly routerPortsByRouter = new GroupIndex<RouterPortEntry>()
  private readonly routerPortsByNetwork = new GroupIndex<RouterPortEntry>()
  private readonly routesByRouter = new GroupIndex<RouteEntry>()
  private readonly nexthopsByNetwork = new GroupIndex<NexthopEntry>()
  private readonly uplinksByNetwork = new GroupIndex<UplinkEntry>()
  private readonly natsByRouter = new GroupIndex<NatEntry>()
  private readonly gatewaysByRouter = new GroupIndex<RouterGatewayEntry>()
  private readonly arpByNetwork = new GroupIndex<ArpNdEntry>()
  /** flood members: network -> chunk (layout.ts floodChunkOf) -> ports on the network (l2 or classify) */
  private readonly floodChunks = new Map<number, Map<number, Set<number>>>()
  /** network -> remote chassis (tunnel IP) -> how many ports on the network it hosts */
  private readonly floodRemotes = new Map<number, Map<string, number>>()
  /** local ofports with a classify entry: a plugged port is compiled once its ofport has one */
  private readonly inPorts = new Map<number, number>()
  /** security groups: acl_port, acl_rule and acl_member entries (acl-index.ts) */
  readonly acl = new AclIndex()

  /** `entries` with a key each (agent/compiler/entry-key.ts); a plain list is keyed by its position. */
  constructor(opts: ContextOptions, entries: Iterable<[string, Entry]> = []) {
    this.generation = opts.generation
    this.tunnelOfport = opts.tunnelOfport
    for (const [k, e] of entries) this.add(k, e)
  }

  static of(entries: readonly Entry[], opts: ContextOptions): Context {
    return new Context(
      opts,
      entries.map((e, i) => [String(i), e]),
    )
  }

  add(key: string, e: Entry): void {
    let m = this.byStage.get(e.stage)
    if (m === undefined) {
      m = new Map()
      this.byStage.set(e.stage, m)
    }
    m.set(key, e)
    this.index(key, e, true)
  }

  remove(key: string, e: Entry): void {
    this.byStage.get(e.stage)?.delete(key)
    this.index(key, e, false)
  }

  private index(key: string, e: Entry, add: boolean): void {
    const put = <E extends Entry>(ix: GroupIndex<E>, group: number, entry: E): void => {
      if (add) ix.add(group, key, entry)
      else ix.remove(group, key)
    }
    switch (e.stage) {
      case 'l2':
        put(this.l2ByNetwork, e.network, e)
        this.countPortNetwork(e.port, e.network, add)
        break
      case 'classify':
        if ('in_port' in e) {
          put(this.classifyByNetwork, e.network, e)
          this.countPortNetwork(e.port, e.network, add)
          const n = (this.inPorts.get(e.in_port) ?? 0) + (add ? 1 : -1)
          if (n > 0) this.inPorts.set(e.in_port, n)
          else this.inPorts.delete(e.in_port)
        }
        break
      case 'egress':
        if (!add && e.remote !== undefined) for (const n of this.networksOfPort(e.port)) this.countRemote(n, e.remote, -1)
        put(this.egressByPort, e.port, e)
        if (add && e.remote !== undefined) for (const n of this.networksOfPort(e.port)) this.countRemote(n, e.remote, 1)
        break
      case 'router_port':
        put(this.routerPortsByRouter, e.router, e)
        put(this.routerPortsByNetwork, e.network, e)
        break
      case 'route':
        put(this.routesByRouter, e.router, e)
        break
      case 'nexthop':
        put(this.nexthopsByNetwork, e.network, e)
        break
      case 'uplink':
        put(this.uplinksByNetwork, e.network, e)
        break
      case 'nat':
        put(this.natsByRouter, e.router, e)
        break
      case 'router_gateway':
        put(this.gatewaysByRouter, e.router, e)
        break
      case 'arp_nd':
        put(this.arpByNetwork, e.network, e)
        break
      case 'acl_port':
      case 'acl_rule':
      case 'acl_member':
        this.acl.index(key, e, add)
        break
      default:
        break
    }
  }

  private countPortNetwork(port: number, network: number, add: boolean): void {
    let m = this.portNetworks.get(port)
    if (m === undefined) {
      m = new Map()
      this.portNetworks.set(port, m)
    }
    const before = m.get(network) ?? 0
    const n = before + (add ? 1 : -1)
    if (n > 0) m.set(network, n)
    else m.delete(network)
    if (m.size === 0) this.portNetworks.delete(port)
    if ((before === 0) === (n === 0)) return
    // the port joins or leaves the network's flood
    const chunk = floodChunkOf(port)
    let chunks = this.floodChunks.get(network)
    if (chunks === undefined) {
      chunks = new Map()
      this.floodChunks.set(network, chunks)
    }
    let members = chunks.get(chunk)
    if (members === undefined) {
      members = new Set()
      chunks.set(chunk, members)
    }
    if (n > 0) members.add(port)
    else members.delete(port)
    if (members.size === 0) chunks.delete(chunk)
    if (chunks.size === 0) this.floodChunks.delete(network)
    const remote = this.egressOf(port)?.remote
    if (remote !== undefined) this.countRemote(network, remote, n > 0 ? 1 : -1)
  }

  private countRemote(network: number, remote: string, by: number): void {
    let m = this.floodRemotes.get(network)
    if (m === undefined) {
      m = new Map()
      this.floodRemotes.set(network, m)
    }
    const n = (m.get(remote) ?? 0) + by
    if (n > 0) m.set(remote, n)
    else m.delete(remote)
    if (m.size === 0) this.floodRemotes.delete(network)
  }

  /** The entry filed under `key`, if any. */
  entryOf(key: string): Entry | undefined {
    for (const m of this.byStage.values()) {
      const e = m.get(key)
      if (e !== undefined) return e
    }
    return undefined
  }

  /** How many entries a stage's table holds. */
  count(stage: Entry['stage']): number {
    return this.byStage.get(stage)?.size ?? 0
  }

  /** Every entry with its key. */
  entries(): [string, Entry][] {
    return [...this.byStage.values()].flatMap(m => [...m])
  }

  of<T extends Entry>(stage: T['stage']): T[] {
    return [...(this.byStage.get(stage)?.values() ?? [])] as T[] // entries are filed by their `stage` tag in add()
  }

  /** True when a classify entry takes packets in from this ofport. */
  hasInPort(ofport: number): boolean {
    return this.inPorts.has(ofport)
  }
  l2Of(network: number): L2Entry[] {
    return this.l2ByNetwork.get(network)
  }
  classifyPortsOf(network: number): ClassifyPortEntry[] {
    return this.classifyByNetwork.get(network)
  }
  /** the port's egress entry (the compiler emits at most one per port) */
  egressOf(port: number): EgressEntry | undefined {
    return this.egressByPort.get(port)[0]
  }
  networksOfPort(port: number): number[] {
    return [...(this.portNetworks.get(port)?.keys() ?? [])]
  }
  /** networks with a port on them (an l2 or local classify entry) or an uplink: each has a flood flow */
  floodNetworks(): number[] {
    return [...new Set([...this.floodChunks.keys(), ...this.uplinksByNetwork.keys()])]
  }
  hasFlood(network: number): boolean {
    return this.floodChunks.has(network) || this.uplinksByNetwork.has(network)
  }
  /** the network's non-empty flood chunks, ascending */
  floodChunksOf(network: number): number[] {
    return [...(this.floodChunks.get(network)?.keys() ?? [])].sort((a, b) => a - b)
  }
  /** the ports of one flood chunk of the network, ascending */
  floodMembers(network: number, chunk: number): number[] {
    return [...(this.floodChunks.get(network)?.get(chunk) ?? [])].sort((a, b) => a - b)
  }
  /** the remote chassis hosting a port on the network, sorted */
  floodRemotesOf(network: number): string[] {
    return [...(this.floodRemotes.get(network)?.keys() ?? [])].sort()
  }
  routerPortsOf(router: number): RouterPortEntry[] {
    return this.routerPortsByRouter.get(router)
  }
  routerPortsOn(network: number): RouterPortEntry[] {
    return this.routerPortsByNetwork.get(network)
  }
  routesOf(router: number): RouteEntry[] {
    return this.routesByRouter.get(router)
  }
  routers(): number[] {
    return this.routerPortsByRouter.keys()
  }
  /** the keys of the network's nexthop entries (their emit units: a router port on the network changes them) */
  nexthopKeysOn(network: number): string[] {
    return this.nexthopsByNetwork.entryKeys(network)
  }

  /** the network's uplink (the compiler emits at most one per network) */
  uplinkOf(network: number): UplinkEntry | undefined {
    return this.uplinksByNetwork.get(network)[0]
  }
  /** the VLAN of the network's uplink (undefined: no uplink, or a flat one): in-place replies to its frames are tagged */
  uplinkVlanOf(network: number): number | undefined {
    const v = this.uplinkOf(network)?.vlan ?? 0
    return v > 0 ? v : undefined
  }
  /** the ports with an l2 or classify entry on the network, ascending */
  portsOn(network: number): number[] {
    return this.floodChunksOf(network).flatMap(k => this.floodMembers(network, k))
  }
  /** the keys of a port's egress entries (their units read the uplink of the port's networks) */
  egressKeysOf(port: number): string[] {
    return this.egressByPort.entryKeys(port)
  }
  /** the keys of the egress entries of ports reached through the network's uplink */
  uplinkEgressKeysOn(network: number): string[] {
    return this.portsOn(network).flatMap(p => (this.egressOf(p)?.uplink === true ? this.egressKeysOf(p) : []))
  }
  natsOf(router: number): NatEntry[] {
    return this.natsByRouter.get(router)
  }
  natKeysOf(router: number): string[] {
    return this.natsByRouter.entryKeys(router)
  }
  /** the router's gateway (one per router) */
  gatewayOf(router: number): RouterGatewayEntry | undefined {
    return this.gatewaysByRouter.get(router)[0]
  }
  gatewayKeysOf(router: number): string[] {
    return this.gatewaysByRouter.entryKeys(router)
  }
  arpKeysOn(network: number): string[] {
    return this.arpByNetwork.entryKeys(network)
  }
  /** the router port entry with this port key, if this node knows it */
  routerPort(router: number, port: number): RouterPortEntry | undefined {
    return this.routerPortsOf(router).find(p => p.port === port)
  }

  flow(stage: number): FlowBuilder {
    return FlowBuilder.forStage(stage, { generation: this.generation })
  }

  tunnelPort(why: string): OfPort {
    if (this.tunnelOfport === undefined) throw new Error(`${why} needs EmitOptions.tunnelOfport (a flow-based tunnel port)`)
    return OfPort.of(this.tunnelOfport)
  }
}

export const key = (n: number): Key => Key.of(n)

/** Several entries can yield the same catch-all flow (one bad_vlan flow per in_port): keep the first. */
export function dedupe(flows: Flow[]): Flow[] {
  const seen = new Set<string>()
  return flows.filter(f => {
    const k = `${f.table}/${f.priority}/${f.match.map(m => `${m.field}=${m.value}/${m.mask ?? ''}`).join(',')}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}
