// The local controller of one node (chassis):
//
//   store (watch / pub/sub) --changes--> TopologyCompiler <--bindLocal-- OVSDB Interface rows with iface-id
//                                            | entry deltas
//                       +--------------------+---------------------+
//                       v                                          v
//            WASM datapath (packet-ins)          planner (profile) + OpenFlow emitter -> FlowSync -> br-int
//
// Everything installed is a pure function of (store state, local bindings), so a reconnect of the switch, the
// store or OVSDB is handled by diffing against the switch, never by replaying what was sent. Entry deltas
// become flow deltas (agent/flows/desired-flows.ts): the work per change follows the change, not the node.
// Bursts of changes (a port create is one store transaction with several objects, an OVSDB update several rows)
// arrive in one turn of the event loop and are coalesced into one bundle (`settleMs`, default 1 ms); what comes
// while a bundle is in flight goes into the next one.
//
// A plugged port is ACTIVE (Neutron status, and external_ids:dragonflow-installed on its Interface) only once
// a bundle holding its flows has committed on this switch: the moment a compute service may start the VM.
import { EventEmitter } from 'node:events'
import { hostname } from 'node:os'
import type { TopologyCompilerApi, EntryDelta } from '../compiler/types.js'
import { COMPILED_TABLES } from '../compiler/model-state.js'
import { DesiredFlows, FlowSync, installedOf, type ApplyStats, type DesiredStats, type InstalledFlow } from '../flows/index.js'
import { OFPP_CONTROLLER, OfController, type OfConnection, type OfpErrorReply } from '../openflow/index.js'
import {
  INSTALLED_ID,
  MissingBridgeError,
  OvsdbClient,
  Vswitch,
  ensurePatchPorts,
  eq,
  removeStalePatchPorts,
  select,
  type LocalPort,
} from '../ovsdb/index.js'
import type { DatapathApi, Entry } from '../../datapath/host/index.js'
import type { RouterGatewayEntry, UplinkEntry } from '../../datapath/host/entries.js'
import { TABLES } from '../../model/tables.js'
import { DEFAULT_TUNNEL_TYPE, type TunnelType } from '../../model/tunnel-types.js'
import { STAGES, STAGE_L3_ROUTE } from '../../datapath/spec/stages.js'
import type { L3Mode } from '../../offload/openflow/emitter.js'
import { PROACTIVE_GENERATION, parseCookie } from '../../offload/openflow/layout.js'
import type { Context } from '../../offload/openflow/stages/context.js'
import { planOffload, type Plan } from '../../offload/planner.js'
import type { Profile } from '../../offload/profile.js'
import type { Change, PubSub, Store, Unsubscribe } from '../../store/types.js'
import type { CompileProblem } from '../compiler/problems.js'
import { advertiseBridgeMappings, registerChassis } from './chassis.js'
import { NatStatus } from './nat-status.js'
import { Heartbeat } from './heartbeat.js'
import { PacketInHost } from './packet-in-host.js'
import { NeighbourResolver, gratuitousFrame, type NeighbourStats } from './neighbours.js'
import { ReactiveL3, decideL3, type ReactiveStats } from './reactive-l3.js'
import { reportPortStatus } from './port-status.js'
import { ControlServer } from './control-server.js'
import { checkFlows, type FlowCheck } from './flow-check.js'
import type { Logger } from '../../log/logger.js'
import { storeDriverName } from '../../store/counted-store.js'
import { flowInstallSeconds, flowModsTotal, portUpSeconds, pubsubLagSeconds, registerMetricsSource } from '../../metrics/registry.js'

/** Tables whose status this agent reports (nat-status.ts), whether or not the compiler reads them. */
const STATUS_TABLES: readonly string[] = [TABLES.floatingips, TABLES.routers]

/** The tables the controller reads: what the compiler compiles (agent/compiler/model-state.ts) and STATUS_TABLES. */
export const FOLLOWED_TABLES: readonly string[] = [...new Set<string>([...COMPILED_TABLES, ...STATUS_TABLES])]
const COMPILED: ReadonlySet<string> = new Set(COMPILED_TABLES)

/** The compiler's uplink binding (agent/compiler/types.ts), optional while the compiler does not have it. */
type UplinkBinder = { bindUplink?: (physnet: string, ofport: number | undefined) => EntryDelta }

export interface LocalControllerOptions {
  store: Store
  /** an extra change feed (MQTT, etcd watch); store.watch is always used */
  pubsub?: PubSub
  compiler: TopologyCompilerApi
  datapath: DatapathApi
  chassisId: string
  tunnelIp?: string
  /** encapsulation of the tunnel port (default vxlan); each carries the network key in tun_id (VNI or GRE key) */
  tunnelType?: TunnelType
  /** `unix:/path` or `tcp:host:port` of ovsdb-server */
  ovsdbTarget: string
  /** the unix socket our OpenFlow controller listens on (br-int connects to it) */
  ofSocket: string
  bridge?: string
  profile: Profile
  /** the agent's logger (component agent; its parts log under their own components) */
  log: Logger
  settleMs?: number
  /** routing on the switch: proactive LPM flows (default), or reactive exact-match flows from the slow path */
  l3?: L3Mode
  /** idle timeout of reactive flows, seconds; default 30 */
  l3IdleTimeout?: number
  /** a unix socket answering `dragonflow flows --check` and stats (control-server.ts) */
  controlSocket?: string
  /** --bridge-mappings: physnet -> the operator's bridge; a patch port pair joins each to br-int */
  bridgeMappings?: ReadonlyMap<string, string>
  /** how often this node stamps its chassis row as alive, ms (heartbeat.ts; default 10 s) */
  heartbeatMs?: number
  /** the store driver's registry name, for `dragonflow status` (default: read off the store's class name) */
  storeDriver?: string
}

export interface ControllerStats {
  generation: number
  changes: number
  badEntries: number
  installs: number
  lastInstall?: ApplyStats
  flows: number
  desired: DesiredStats
  /** plans computed (only when a stage's entry count moved enough to change a placement) */
  plans: number
  localPorts: number
  /** plugged ports whose flows are committed (ACTIVE) */
  activePorts: number
  packetIns: PacketInHost['stats']
  /** routing mode in force and the reactive cache's counters */
  l3: L3Mode
  reactive: ReactiveStats
  /** next hops resolved by the slow path (neighbours.ts) */
  neighbours: NeighbourStats
}

/** One local port as `dragonflow status` shows it. */
export interface PortStatus {
  ifaceId: string
  /** the OVS interface name */
  name: string
  ofport: number
  active: boolean
  /** why the port is not ACTIVE (absent when it is) */
  why?: string
}

/** What the `status` control command answers: everything here is what the controller already holds. */
export interface NodeStatus {
  chassis: {
    id: string
    tunnelIp?: string
    tunnelType: string
    tunnelOfport?: number
    profile: string
    bridge: string
    /** configured --bridge-mappings, and the ofport on br-int of those that work here */
    bridgeMappings: Record<string, string>
    uplinks: Record<string, number>
  }
  /** `watch`: the store's change feed is subscribed; `pubsub`: the extra feed's driver (absent: none) */
  store: { driver: string; watch: boolean; pubsub?: string; changes: number; lastChangeMsAgo?: number }
  ovsdb: { connected: boolean }
  switch: {
    connected: boolean
    datapathId?: string
    inSync: boolean
    installs: number
    lastInstall?: ApplyStats
    unsolicitedErrors: number
  }
  generation: number
  l3: L3Mode
  ports: PortStatus[]
  /** proactive flows on the switch (as far as committed bundles go) per stage name; reactive ones are `reactive.live` */
  flows: { installed: number; desired: number; perStage: Record<string, number>; reactive: ReactiveStats }
  problems: { total: number; byCode: Record<string, number>; first: CompileProblem[] }
  neighbours: NeighbourStats
  /** packet-ins received and answered, malformed ones and the WASM verdicts per `action/reason` */
  packetIns: { received: number; answered: number; bad: Record<string, number>; verdicts: Record<string, number> }
  /** the WASM datapath's counters (it sees the packet-ins only): drops and punts per reason */
  datapath?: { packets: number; reasons: Record<string, number>; conntrack: { connections: number; limit: number } }
  plan?: {
    profile: string
    summary: string
    rulesOnTarget: number
    everyPacketSlowPathShare: number
    stages: { stage: string; placement: string; entries: number; rulesOnTarget: number }[]
  }
  /** the last error lines this controller logged, oldest first */
  errors: { at: string; line: string }[]
}

/** Error lines kept for `status` (a ring: the oldest goes). */
const ERROR_RING = 32
/** Compile problems listed by `status` (the rest are only counted per code). */
const PROBLEMS_LISTED = 5

/** Entry stages the planner counts (offload/rule-count.ts). */
const PLANNED_STAGES: readonly Entry['stage'][] = [
  'classify',
  'port_sec',
  'arp_nd',
  'dhcp',
  'l2',
  'router_port',
  'route',
  'nexthop',
  'egress',
]

/**
 * A plan can only change when a stage's entry count does (the planner reads counts and capacities): plan again
 * when a stage gains or loses its last entry or moves by more than an eighth since the last plan. So planning is
 * O(entries) about every N/8 changes, constant per change, and a capacity is crossed by at most an eighth
 * before the plan follows.
 */
export function planDue(last: ReadonlyMap<string, number> | undefined, now: ReadonlyMap<string, number>): boolean {
  if (last === undefined) return true
  for (const [stage, n] of now) {
    const before = last.get(stage) ?? 0
    if ((before === 0) !== (n === 0) || Math.abs(n - before) * 8 > before) return true
  }
  return false
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined
  const promise = new Promise<void>(r => {
    resolve = r
  })
  return { promise, resolve }
}

/** Objects compiled between two yields to the event loop while the store is first read. */
const LOAD_SLICE = 200

/** Entry tables whose changes can make a reactive l3 flow wrong. */
const ROUTING_STAGES: ReadonlySet<string> = new Set(['route', 'router_port', 'nexthop'])

/** Gratuitous ARPs (unsolicited NAs) sent when an address moves here, and the time between them. */
export const ANNOUNCE_COUNT = 3
export const ANNOUNCE_INTERVAL_MS = 1000
/** Work waiting for a commit is dropped when this old (no switch to commit to). */
const AFTER_COMMIT_MS = 10_000

/** The name of the flow-based tunnel port the agent creates when the node has a tunnel address. */
export const TUNNEL_PORT = 'df-tun0'

export class LocalController extends EventEmitter {
  generation = 0
  private readonly of: OfController
  private readonly packetIns: PacketInHost
  private readonly neighbours: NeighbourResolver
  private readonly reactive: ReactiveL3
  /** decided at each plan (refreshPlan): the operator's --l3, or the plan's reactive-cache placement of l3_route */
  private l3Mode: L3Mode | undefined
  private readonly offTargetLogged = new Set<string>()
  private readonly log: Logger
  private readonly settleMs: number
  private conn: OfConnection | undefined
  private flowSync: FlowSync | undefined
  private readonly flows: DesiredFlows
  /** plugged ports (iface-id) waiting for a committed bundle with their flows, and those that have had one */
  private readonly awaitingFlows = new Set<string>()
  private readonly confirmed = new Set<string>()
  private planCounts: Map<string, number> | undefined
  /** resolved once OVSDB's first answer told which ports are plugged here: a resync before that would delete
   * every local port's flows as stale and add them back a moment later */
  private readonly bindingsKnown = deferred()
  private plans = 0
  private ovsdb: OvsdbClient | undefined
  private vswitch: Vswitch | undefined
  private unsubscribes: Unsubscribe[] = []
  /** iface-id -> ofport of the ports plugged here */
  private readonly local = new Map<string, LocalPort>()
  private tunnelOfport: number | undefined
  /** network key -> its uplink (from the entries), for the slow path's floods */
  private readonly uplinks = new Map<number, UplinkEntry>()
  /** physnet -> ofport of its patch port on br-int */
  private readonly uplinkOfports = new Map<string, number>()
  /** ports the store says are administratively down */
  private readonly adminDown = new Set<string>()
  /** networks with admin_state_up false: their ports compile to nothing and read DOWN */
  private readonly networksDown = new Set<string>()
  /** port id -> its network id (for the status of ports on a network set down) */
  private readonly portNetwork = new Map<string, string>()
  private readonly natStatus: NatStatus
  private heartbeat: Heartbeat | undefined
  private timer: NodeJS.Timeout | undefined
  private installing: Promise<void> | undefined
  private dirty = false
  private stopped = false
  private loaded = false
  private readonly early: Change[] = []
  private readonly counts = { changes: 0, badEntries: 0, installs: 0, unsolicitedErrors: 0 }
  /** when this agent first saw each port not yet up (the start of the port-up latency in metrics) */
  private readonly portSeenAt = new Map<string, number>()
  private unregisterMetrics: (() => void) | undefined
  private lastInstall: ApplyStats | undefined
  private lastPlan: Plan | undefined
  private control: ControlServer | undefined
  private readonly errors: { at: string; line: string }[] = []
  private lastChangeAt: number | undefined
  /** work to do once everything applied so far is committed on the switch (replays, announcements) */
  private afterCommitQueue: { at: number; fn: () => void }[] = []
  /** announcement timers still to fire */
  private readonly announceTimers = new Set<NodeJS.Timeout>()
  private readonly announceCounts = { announcements: 0 }

  constructor(private readonly opts: LocalControllerOptions) {
    super()
    this.log = opts.log.child({ component: 'agent' })
    this.settleMs = opts.settleMs ?? 1
    this.of = new OfController({ log: opts.log })
    this.flows = new DesiredFlows({ l3: opts.l3 ?? 'proactive' })
    this.reactive = new ReactiveL3({ idleTimeout: opts.l3IdleTimeout ?? 30, log: opts.log })
    this.packetIns = new PacketInHost({
      datapath: opts.datapath,
      log: opts.log,
      floodPorts: n => this.floodPorts(n),
      tunnelOfport: () => this.tunnelOfport,
      floodUplink: n => this.uplinks.get(n),
      floodRemotes: n => this.flows.context.floodRemotesOf(n),
      onResult: (conn, m, inPort, result) => {
        this.neighbours.onPacketIn(conn, m, inPort, result)
      },
      reinject: (conn, m, inPort, result) =>
        this.reactive.onPacketIn(conn, m, inPort, result, { context: this.flows.context, generation: this.generation }),
    })
    this.neighbours = new NeighbourResolver({
      datapath: opts.datapath,
      log: opts.log,
      context: () => this.flows.context,
      flood: (n, frame) => this.packetIns.flood(n, frame, OFPP_CONTROLLER),
      // a frame the switch punted goes back there once the learned entry's flows are committed (neighbours.ts)
      replay: w => {
        const at = w.punt
        if (at === undefined) this.packetIns.replay(w.conn, w.inPort, w.frame)
        else
          this.afterCommit(() => {
            this.packetIns.resubmit(w.conn, w.inPort, w.frame, at)
          })
      },
      apply: d => {
        this.applyLearned(d)
      },
    })
    this.natStatus = new NatStatus({
      store: opts.store,
      log: opts.log,
      portActive: id => this.portActive(id),
      onStatus: (table, id, status) => {
        this.emit('status', table, id, status)
      },
    })
  }

  async start(): Promise<void> {
    const o = this.opts
    this.generation = await registerChassis(o.store, {
      chassisId: o.chassisId,
      hostname: hostname(),
      tunnelIp: o.tunnelIp,
      tunnelType: o.tunnelType ?? DEFAULT_TUNNEL_TYPE,
      profile: o.profile.id,
      ...(o.bridgeMappings !== undefined ? { bridgeMappings: o.bridgeMappings } : {}),
    })
    this.log.info(`chassis ${o.chassisId}, run generation ${this.generation} (it marks the reactive flows this run caches)`)
    // registerChassis wrote the first beat; a store outage only delays the next ones (flows stay)
    this.heartbeat = new Heartbeat({
      store: o.store,
      chassisId: o.chassisId,
      intervalMs: o.heartbeatMs,
      onError: err => {
        this.logError(`heartbeat not written: ${err instanceof Error ? err.message : String(err)}`, 'warn')
      },
      onMissing: () => {
        this.logError(`chassis ${o.chassisId}: row deleted from the store while running; restart the agent to register again`, 'warn')
      },
    })
    this.heartbeat.start()
    await this.of.listen({ path: o.ofSocket })
    if (o.controlSocket !== undefined) {
      this.control = new ControlServer(
        o.controlSocket,
        async (cmd, args) => await this.onControl(cmd, args),
        message => {
          this.logError(message, 'warn')
        },
      )
      await this.control.listen()
    }
    this.of.on('switch', (c: OfConnection) => {
      void this.onSwitch(c)
    })

    // follow the store first, then read it: a change that lands in between is applied after the read (the
    // compiler drops versions it already holds)
    this.unsubscribes.push(
      await o.store.watch(c => {
        this.noteLag(c, 'store-watch')
        this.onChange(c)
      }),
    )
    if (o.pubsub !== undefined)
      this.unsubscribes.push(
        await o.pubsub.subscribe('*', c => {
          this.noteLag(c, 'pubsub')
          this.onChange(c)
        }),
      )
    this.unregisterMetrics = registerMetricsSource({
      datapathReasons: () => o.datapath.counters().reasons,
      packetInVerdicts: () => this.packetIns.stats.verdicts,
      reactive: () => ({ ...this.reactive.stats() }),
      flowInstalls: () => this.counts.installs,
    })
    let n = 0
    for (const table of FOLLOWED_TABLES) {
      for (const obj of await o.store.list(table)) {
        this.follow({ table, id: obj.id, version: obj.version, action: 'create', topics: obj.topics, value: obj.value })
        // a node with thousands of objects: let the API (same event loop in serve) answer in between
        if (++n % LOAD_SLICE === 0) await new Promise(resolve => setImmediate(resolve))
      }
    }
    this.loaded = true
    for (const c of this.early.splice(0)) this.onChange(c)

    const db = new OvsdbClient({ target: o.ovsdbTarget, log: this.opts.log })
    this.ovsdb = db
    await db.connect()
    const vs = new Vswitch(db, { bridge: o.bridge ?? 'br-int', controller: `unix:${o.ofSocket}` })
    this.vswitch = vs
    await vs.ensureBridge()
    if (o.tunnelIp !== undefined) {
      await vs.ensureTunnelPort(TUNNEL_PORT, { type: o.tunnelType ?? DEFAULT_TUNNEL_TYPE, localIp: o.tunnelIp })
      this.tunnelOfport = await this.ofportOf(TUNNEL_PORT)
      this.flows.reconfigure({ tunnelOfport: this.tunnelOfport })
    }
    await this.ensureUplinks(db, vs.bridge)
    vs.on('port-added', (p: LocalPort) => {
      this.bind(p)
    })
    vs.on('port-removed', (p: LocalPort) => {
      this.unbind(p)
    })
    vs.on('port-changed', (p: LocalPort, before: LocalPort) => {
      if (p.ofport !== before.ofport) {
        this.bind(p)
        return
      }
      if (this.local.get(p.ifaceId)?.uuid === p.uuid) this.local.set(p.ifaceId, p) // admin/link state as it is now
      this.reportStatus(p.ifaceId)
    })
    await vs.follow()
    this.bindingsKnown.resolve()
    this.schedule()
  }

  private async ofportOf(name: string): Promise<number | undefined> {
    for (let i = 0; i < 100 && this.ovsdb !== undefined; i++) {
      const [r] = await this.ovsdb.transact('Open_vSwitch', [select('Interface', [eq('name', name)], ['ofport'])])
      const ofport = r?.rows?.[0]?.ofport
      if (typeof ofport === 'number' && ofport > 0) return ofport
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    this.logError(`${name} got no ofport; remote ports will not be reachable`)
    return undefined
  }

  // Lag from the commit to this agent. updated_at is Neutron's, in whole seconds, so a value is up to a second
  // high; what the histogram shows is a feed that falls behind by seconds, which is what an operator looks for.
  private noteLag(c: Change, feed: 'store-watch' | 'pubsub'): void {
    const at = typeof c.value?.updated_at === 'string' ? Date.parse(c.value.updated_at) : NaN
    if (Number.isFinite(at)) pubsubLagSeconds.observe({ feed }, Math.max(0, Date.now() - at) / 1000)
  }

  private onChange(c: Change): void {
    if (!FOLLOWED_TABLES.includes(c.table)) return
    if (!this.loaded) {
      this.early.push(c)
      return
    }
    this.counts.changes++
    this.lastChangeAt = Date.now()
    this.follow(c)
    if (c.table === TABLES.ports && this.local.has(c.id)) this.reportStatus(c.id)
  }

  /** One object into the compiler (if it compiles that table) and the status reporters. */
  private follow(c: Change): void {
    if (COMPILED.has(c.table)) this.applyDelta(this.opts.compiler.applyChange(c))
    if (c.table === TABLES.ports) {
      if (c.action === 'delete') this.portSeenAt.delete(c.id)
      else if (!this.portSeenAt.has(c.id) && !this.confirmed.has(c.id)) this.portSeenAt.set(c.id, Date.now())
      if (c.value?.admin_state_up === false) this.adminDown.add(c.id)
      else this.adminDown.delete(c.id)
      const network = c.value?.network_id
      if (typeof network === 'string' && c.action !== 'delete') this.portNetwork.set(c.id, network)
      else this.portNetwork.delete(c.id)
    }
    if (c.table === TABLES.networks) {
      const wasDown = this.networksDown.has(c.id)
      if (c.action !== 'delete' && c.value?.admin_state_up === false) this.networksDown.add(c.id)
      else this.networksDown.delete(c.id)
      // its local ports' status follows the network's admin state
      if (this.loaded && wasDown !== this.networksDown.has(c.id)) {
        for (const [port, network] of this.portNetwork) if (network === c.id && this.local.has(port)) this.reportStatus(port)
      }
    }
    if (STATUS_TABLES.includes(c.table)) this.natStatus.onObject(c.table, c.id, c.action === 'delete' ? undefined : c.value)
  }

  /**
   * A patch port pair per --bridge-mappings entry (agent/ovsdb/patch-ports.ts), its br-int ofport given to the
   * compiler. A mapping whose bridge is missing is logged and skipped, as Neutron's OVS agent does, and the
   * chassis row then advertises only the mappings this node really has. Pairs an earlier run made for a physnet
   * no longer mapped are removed.
   */
  private async ensureUplinks(db: OvsdbClient, intBridge: string): Promise<void> {
    const mappings = this.opts.bridgeMappings ?? new Map<string, string>()
    for (const physnet of await removeStalePatchPorts(db, new Set(mappings.keys())))
      this.log.info(`physical network ${physnet} is no longer mapped: its patch ports are removed`)
    if (mappings.size === 0) return
    const working = new Map<string, string>()
    for (const [physnet, bridge] of mappings) {
      try {
        const names = await ensurePatchPorts(db, intBridge, physnet, bridge)
        const ofport = await this.ofportOf(names.int)
        if (ofport === undefined) continue
        working.set(physnet, bridge)
        this.uplinkOfports.set(physnet, ofport)
        this.log.info(`physical network ${physnet} on bridge ${bridge} (${names.int}, ofport ${ofport})`)
        const compiler = this.opts.compiler as TopologyCompilerApi & UplinkBinder
        if (compiler.bindUplink !== undefined) this.applyDelta(compiler.bindUplink(physnet, ofport))
      } catch (err) {
        if (!(err instanceof MissingBridgeError)) throw err
        this.logError(`--bridge-mappings ${physnet}:${bridge} skipped: ${err.message}`)
      }
    }
    if (working.size !== mappings.size) await advertiseBridgeMappings(this.opts.store, this.opts.chassisId, working)
  }

  /** The ofport of a physical network's patch port on br-int (undefined: not mapped here). */
  uplinkOfport(physnet: string): number | undefined {
    return this.uplinkOfports.get(physnet)
  }

  private portActive(portId: string): boolean {
    const p = this.local.get(portId)
    const network = this.portNetwork.get(portId)
    return (
      p !== undefined &&
      p.adminUp &&
      this.confirmed.has(portId) &&
      !this.adminDown.has(portId) &&
      (network === undefined || !this.networksDown.has(network))
    )
  }

  private bind(p: LocalPort): void {
    const before = this.local.get(p.ifaceId)
    this.local.set(p.ifaceId, p)
    if (before === undefined && p.externalIds[INSTALLED_ID] === 'true') {
      // marked by an earlier run of this agent: its flows are on the switch (a restart never flushes), so the
      // port stays ACTIVE and marked while this run's resync adopts them (or puts back what is missing)
      this.confirmed.add(p.ifaceId)
    } else {
      this.confirmed.delete(p.ifaceId)
      // from before the ofport changed, or by something else: this run confirms it again
      if (p.externalIds[INSTALLED_ID] !== undefined) this.mark([p], false)
    }
    this.awaitingFlows.add(p.ifaceId)
    this.applyDelta(this.opts.compiler.bindLocal(p.ifaceId, p.ofport))
    this.reportStatus(p.ifaceId)
    this.schedule() // even with no entry change: the port is confirmed by the next commit
  }

  private unbind(p: LocalPort): void {
    if (this.local.get(p.ifaceId)?.uuid !== p.uuid) return // a newer interface took the iface-id
    this.local.delete(p.ifaceId)
    this.awaitingFlows.delete(p.ifaceId)
    this.confirmed.delete(p.ifaceId)
    this.applyDelta(this.opts.compiler.bindLocal(p.ifaceId, undefined))
    this.reportStatus(p.ifaceId)
  }

  private mark(ports: LocalPort[], installed: boolean): void {
    this.vswitch?.markInstalled(ports, installed).catch((err: Error) => {
      this.logError(`marking ${ports.length} interfaces: ${err.message}`)
    })
  }

  /** Plugged ports whose flows are compiled now: a commit that starts now confirms them. */
  private portsReady(): string[] {
    const ctx = this.flows.context
    return [...this.awaitingFlows].filter(id => {
      const p = this.local.get(id)
      return p !== undefined && ctx.hasInPort(p.ofport)
    })
  }

  private confirm(ids: readonly string[]): void {
    const ports: LocalPort[] = []
    for (const id of ids) {
      const p = this.local.get(id)
      if (p === undefined || !this.awaitingFlows.delete(id)) continue
      const marked = this.confirmed.has(id) && p.externalIds[INSTALLED_ID] === 'true'
      this.confirmed.add(id)
      if (!marked) ports.push(p)
      this.reportStatus(id)
      const seen = this.portSeenAt.get(id)
      if (seen !== undefined) {
        portUpSeconds.observe((Date.now() - seen) / 1000)
        this.portSeenAt.delete(id)
      }
      this.emit('port-up', id)
    }
    this.mark(ports, true)
  }

  private reportStatus(portId: string): void {
    this.natStatus.onPort(portId)
    reportPortStatus(this.opts.store, portId, this.portActive(portId)).then(
      s => {
        if (s !== undefined) this.emit('port-status', portId, s)
      },
      (err: Error) => {
        this.logError(`status of port ${portId}: ${err.message}`)
      },
    )
  }

  /** Learned next hops (neighbours.ts) through the same path as compiled entries. */
  applyLearned(d: EntryDelta): void {
    this.applyDelta(d, true)
  }

  /** The learned next-hop entries: on the switch but not in a fresh compile (the recompute oracle adds them). */
  learnedEntries(): Entry[] {
    return this.neighbours.learned()
  }

  private applyDelta(delta: EntryDelta, learned = false): void {
    // a compiled next hop replaces a learned one of the same (network, ip): the learned one's flows go first
    const d = learned ? delta : { added: delta.added, removed: [...this.neighbours.compiled(delta), ...delta.removed] }
    const dp = this.opts.datapath
    for (const e of d.removed)
      this.safely(() => {
        dp.remove(e)
      }, e)
    for (const e of d.added)
      this.safely(() => {
        dp.add(e)
      }, e)
    this.flows.applyDelta(d)
    this.natStatus.onEntries(d.removed, d.added)
    for (const e of d.removed) if (e.stage === 'uplink') this.uplinks.delete(e.network) // removed before added: a replace keeps the new one
    for (const e of d.added) if (e.stage === 'uplink') this.uplinks.set(e.network, e)
    if (!learned) this.announceMoved(d)
    if (d.added.length + d.removed.length > 0) this.schedule()
    // a cached route may be wrong now: delete every reactive flow at once (one FLOW_MOD), before any later
    // packet-in is routed with the new entries and cached again
    if (this.reactive.enabled && [...d.added, ...d.removed].some(e => ROUTING_STAGES.has(e.stage))) this.reactive.flush(this.conn)
  }

  private safely(fn: () => void, e: Entry): void {
    try {
      fn()
    } catch (err) {
      this.counts.badEntries++
      if (this.counts.badEntries === 1)
        this.logError(
          `datapath refused a ${e.stage} entry (${err instanceof Error ? err.message : String(err)}); further ones are counted only`,
        )
    }
  }

  /**
   * Plan the current entries on this node's profile and follow what an OVS agent can: l3_route as a reactive
   * cache (or as the operator asked). Other stages the plan keeps off the target stay on OVS: said once each.
   */
  private refreshPlan(): void {
    const ctx = this.flows.context
    const counts = new Map(PLANNED_STAGES.map(s => [s, ctx.count(s)]))
    if (!planDue(this.planCounts, counts)) return
    this.planCounts = counts
    this.plans++
    // planned for the encapsulation this node's tunnel port speaks: a profile may encap one and not another
    const plan = planOffload(
      ctx.entries().map(([, e]) => e),
      this.opts.profile,
      { tunnel: this.opts.tunnelType ?? DEFAULT_TUNNEL_TYPE },
    )
    this.lastPlan = plan
    const { mode, cap, why } = decideL3(plan, this.opts.l3)
    this.reactive.cap = cap
    if (mode !== this.l3Mode) {
      this.log.info(
        `l3 routing ${mode} (${why})${mode === 'reactive' ? `: idle timeout ${this.reactive.idleTimeout} s, at most ${this.reactive.cap} live flows` : ''}`,
      )
      if (mode === 'proactive') this.reactive.flush(this.conn, 'routing is proactive now')
    }
    this.l3Mode = mode
    this.flows.reconfigure({ l3: mode })
    this.reactive.enabled = mode === 'reactive'
    for (const s of plan.stages) {
      if (s.placement === 'target' || (s.id === STAGE_L3_ROUTE && s.placement === 'reactive-cache')) continue
      const k = `${s.stage}/${s.placement}`
      if (this.offTargetLogged.has(k)) continue
      this.offTargetLogged.add(k)
      this.log.info(
        `the plan places ${s.stage} ${s.placement === 'software' ? 'in software' : 'as a reactive cache'} on ${this.opts.profile.id}; ` +
          "this agent keeps that stage's OpenFlow flows on OVS (placing it off OVS is not implemented; its punt flows still reach the slow path)",
      )
    }
  }

  /** The flows on the switch as far as the last committed bundle goes (empty while no switch is connected). */
  installedFlows(): InstalledFlow[] {
    return this.flowSync === undefined ? [] : [...this.flows.installedBodies()].map(installedOf)
  }

  /** The entries the flows were emitted from, indexed (read-only use: benches, the packet-in host). */
  get entryIndex(): Context {
    return this.flows.context
  }

  /** What the planner decided for the current entries on this node's profile (computed at each install). */
  plan(): Plan | undefined {
    return this.lastPlan
  }

  private schedule(): void {
    this.dirty = true
    if (this.timer !== undefined || this.installing !== undefined || this.stopped) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.installing = this.install().finally(() => {
        this.installing = undefined
        if (this.dirty && this.flowSync !== undefined) this.schedule() // without a switch, onSwitch schedules
      })
    }, this.settleMs)
  }

  private async install(): Promise<void> {
    const sync = this.flowSync
    if (sync === undefined) return // no switch: onSwitch resyncs from the state of that moment, then installs
    this.dirty = false
    try {
      this.refreshPlan()
      const ready = this.portsReady()
      const nat = this.natStatus.snapshot()
      const stats = await sync.apply()
      this.noteInstall(stats)
      this.confirm(ready)
      this.natStatus.committed(nat)
    } catch (err) {
      this.logError(`flow install failed: ${err instanceof Error ? err.message : String(err)}`)
      // try again later rather than in a tight loop; a reconnect resyncs anyway
      await new Promise(resolve => setTimeout(resolve, 1000))
      this.dirty = true
    }
  }

  private noteInstall(stats: ApplyStats): void {
    this.counts.installs++
    flowInstallSeconds.observe(stats.ms / 1000)
    flowModsTotal.inc({ op: 'added' }, stats.added)
    flowModsTotal.inc({ op: 'deleted' }, stats.deleted)
    this.lastInstall = stats
    this.emit('installed', stats)
    // dirty: an entry came while this bundle was out; the next commit carries it
    if (!this.dirty) this.runAfterCommit()
  }

  /** Run `fn` once what has been applied so far is committed on the switch. */
  private afterCommit(fn: () => void): void {
    this.afterCommitQueue.push({ at: Date.now(), fn })
    this.schedule()
  }

  private runAfterCommit(): void {
    const now = Date.now()
    for (const { at, fn } of this.afterCommitQueue.splice(0)) {
      if (now - at > AFTER_COMMIT_MS) continue
      try {
        fn()
      } catch (err) {
        this.logError(`after commit: ${err instanceof Error ? err.message : String(err)}`)
      }
    }
  }

  /**
   * An address whose MAC is on this chassis now (a router gateway taken over, a floating IP bound here): once
   * its flows are committed, ANNOUNCE_COUNT gratuitous ARPs / unsolicited NAs out of the network's uplink, so
   * the physical switch and the outside hosts move to this chassis at once rather than when their caches expire.
   */
  private announce(network: number, mac: string, ips: readonly string[]): void {
    if (ips.length === 0) return
    const send = (): void => {
      const conn = this.conn
      if (conn === undefined) return
      for (const ip of ips) {
        for (const p of this.packetIns.toUplink(network, gratuitousFrame(mac, ip), OFPP_CONTROLLER)) {
          try {
            conn.send(p)
            this.announceCounts.announcements++
          } catch {
            return
          }
        }
      }
    }
    this.afterCommit(() => {
      send()
      for (let i = 1; i < ANNOUNCE_COUNT; i++) {
        const timer = setTimeout(() => {
          this.announceTimers.delete(timer)
          send()
        }, i * ANNOUNCE_INTERVAL_MS)
        timer.unref()
        this.announceTimers.add(timer)
      }
    })
  }

  /** The addresses a delta moved onto this chassis: a gateway that became local, a floating IP added here. */
  private announceMoved(d: EntryDelta): void {
    const ctx = this.flows.context
    const wasLocal = new Set(
      d.removed.filter((e): e is RouterGatewayEntry => e.stage === 'router_gateway' && e.local).map(e => `${e.router}|${e.port}`),
    )
    for (const e of d.added) {
      if (e.stage === 'router_gateway') {
        const g = e
        if (!g.local || wasLocal.has(`${g.router}|${g.port}`)) continue
        const rp = ctx.routerPort(g.router, g.port)
        if (rp !== undefined)
          this.announce(
            rp.network,
            rp.mac,
            rp.ips.map(c => c.split('/')[0] as string),
          )
      } else if (e.stage === 'nat') {
        const n = e
        this.announce(n.network, n.mac, [n.external_ip])
      }
    }
  }

  private async onSwitch(conn: OfConnection): Promise<void> {
    this.conn?.close('a newer connection from the switch')
    this.conn = conn
    const sync = new FlowSync(conn, this.flows)
    this.packetIns.attach(conn)
    conn.on('error-reply', (e: OfpErrorReply) => {
      this.counts.unsolicitedErrors++
      if (this.counts.unsolicitedErrors === 1) this.logError(`switch reported ${e.message}; further errors are counted only`)
    })
    conn.once('close', (reason: string) => {
      if (this.conn === conn) {
        this.conn = undefined
        this.flowSync = undefined
      }
      if (!this.stopped) this.logError(`switch disconnected (${reason})`, 'warn')
    })
    this.log.info(`switch connected (datapath ${conn.datapathId?.toString(16) ?? '?'})`)
    try {
      await this.bindingsKnown.promise
      if (this.conn !== conn || this.stopped) return
      // resync: keep what is right, replace what differs, delete only what is stale
      this.refreshPlan()
      // this process's reactive flows survive a reconnect unless a routing change happened while disconnected
      const keepReactive = this.reactive.vouches
      const ready = this.portsReady()
      const nat = this.natStatus.snapshot()
      const stats = await sync.resync(this.generation, { keepReactive })
      if (keepReactive) this.reactive.adopt(conn)
      else this.reactive.reset() // the resync deleted every reactive flow
      if (this.conn !== conn) return
      this.flowSync = sync
      this.log.info(
        `resync: ${stats.added} flows added or replaced, ${stats.deleted} stale deleted, ${stats.unchanged} kept (${stats.ms.toFixed(0)} ms)`,
      )
      this.noteInstall(stats)
      this.confirm(ready)
      this.natStatus.committed(nat)
      this.emit('synced', stats)
      // what changed while the resync was out (a binding, a store change) goes now, not with the next change
      this.schedule()
    } catch (err) {
      this.logError(`resync failed: ${err instanceof Error ? err.message : String(err)}`)
      conn.close('resync failed')
    }
  }

  private async onControl(cmd: string, args: Record<string, unknown>): Promise<unknown> {
    if (cmd === 'flows/check') return await this.checkFlows()
    if (cmd === 'stats') return this.stats()
    if (cmd === 'status') return this.status(typeof args.errors === 'number' ? args.errors : 10)
    throw new Error(`unknown command '${cmd}' (flows/check, stats, status)`)
  }

  /** Log a trouble line (error by default) and keep it for `status`. */
  private logError(message: string, level: 'warn' | 'error' = 'error'): void {
    this.errors.push({ at: new Date().toISOString(), line: `agent: ${message}` })
    if (this.errors.length > ERROR_RING) this.errors.shift()
    this.log[level](message)
  }

  /** Why a plugged port is not ACTIVE (the conditions of portActive, in its order), or undefined when it is. */
  private inactiveWhy(id: string, p: LocalPort): string | undefined {
    if (!p.adminUp) return 'its OVS interface is administratively down'
    if (this.adminDown.has(id)) return 'the port is admin_state_up false'
    const network = this.portNetwork.get(id)
    if (network !== undefined && this.networksDown.has(network)) return `its network ${network} is admin_state_up false`
    if (this.confirmed.has(id)) return undefined
    if (network === undefined) return 'no Neutron port has this iface-id'
    if (!this.flows.context.hasInPort(p.ofport)) return 'no flows compiled for it yet'
    return this.flowSync === undefined ? 'no switch connected to install its flows' : 'its flows are not committed yet'
  }

  /** What `dragonflow status` shows (the `status` control command); `errors`: how many recent error lines. */
  status(errors = 10): NodeStatus {
    const o = this.opts
    const perStage: Record<string, number> = {}
    let installed = 0
    if (this.flowSync !== undefined) {
      for (const b of this.flows.installedBodies()) {
        const id = parseCookie(b.readBigUInt64BE(0)).stage // the body starts with the cookie (desired-flows.ts)
        const name = STAGES.find(s => s.id === id)?.name ?? `stage ${id}`
        perStage[name] = (perStage[name] ?? 0) + 1
        installed++
      }
    }
    const problems = o.compiler.problems?.() ?? []
    const byCode: Record<string, number> = {}
    for (const p of problems) byCode[p.code] = (byCode[p.code] ?? 0) + 1
    const ports = [...this.local]
      .map(([id, p]): PortStatus => {
        const why = this.inactiveWhy(id, p)
        return { ifaceId: id, name: p.name, ofport: p.ofport, active: why === undefined, ...(why !== undefined ? { why } : {}) }
      })
      .sort((a, b) => a.ofport - b.ofport)
    // a driver's class is named after it (EmbeddedStore, MqttPubSub) when the composition root did not say
    const pi = this.packetIns.stats
    const driverOf = (x: object, suffix: RegExp): string => x.constructor.name.replace(suffix, '').toLowerCase()
    const s: NodeStatus = {
      chassis: {
        id: o.chassisId,
        tunnelType: o.tunnelType ?? DEFAULT_TUNNEL_TYPE,
        profile: o.profile.id,
        bridge: o.bridge ?? 'br-int',
        ...(o.tunnelIp !== undefined ? { tunnelIp: o.tunnelIp } : {}),
        ...(this.tunnelOfport !== undefined ? { tunnelOfport: this.tunnelOfport } : {}),
        bridgeMappings: Object.fromEntries(o.bridgeMappings ?? []),
        uplinks: Object.fromEntries(this.uplinkOfports),
      },
      store: {
        driver: o.storeDriver ?? storeDriverName(o.store) ?? driverOf(o.store, /Store$/),
        watch: this.unsubscribes.length > 0,
        changes: this.counts.changes,
        ...(o.pubsub !== undefined ? { pubsub: driverOf(o.pubsub, /PubSub$/) } : {}),
        ...(this.lastChangeAt !== undefined ? { lastChangeMsAgo: Date.now() - this.lastChangeAt } : {}),
      },
      ovsdb: { connected: this.ovsdb?.isConnected ?? false },
      switch: {
        connected: this.conn !== undefined,
        inSync: this.inSync,
        installs: this.counts.installs,
        unsolicitedErrors: this.counts.unsolicitedErrors,
        ...(this.conn?.datapathId !== undefined ? { datapathId: this.conn.datapathId.toString(16).padStart(16, '0') } : {}),
        ...(this.lastInstall !== undefined ? { lastInstall: this.lastInstall } : {}),
      },
      generation: this.generation,
      l3: this.l3Mode ?? o.l3 ?? 'proactive',
      ports,
      flows: { installed, desired: this.flows.size, perStage, reactive: this.reactive.stats() },
      problems: { total: problems.length, byCode, first: problems.slice(0, PROBLEMS_LISTED) },
      neighbours: this.neighbours.stats(),
      packetIns: {
        received: pi.received,
        answered: pi.answered,
        bad: Object.fromEntries(pi.bad),
        verdicts: Object.fromEntries(pi.verdicts),
      },
      errors: this.errors.slice(-Math.max(0, errors)),
    }
    try {
      const c = o.datapath.counters()
      s.datapath = { packets: c.packets, reasons: c.reasons, conntrack: { connections: c.conntrack.connections, limit: c.conntrack.limit } }
    } catch (err) {
      // status must answer even if the datapath cannot; the failure is what the operator should see
      this.logError(`status: datapath counters: ${err instanceof Error ? err.message : String(err)}`)
    }
    const plan = this.lastPlan
    if (plan !== undefined) {
      s.plan = {
        profile: plan.profile,
        summary: plan.summary,
        rulesOnTarget: plan.rulesOnTarget,
        everyPacketSlowPathShare: plan.everyPacketSlowPathShare,
        stages: plan.stages.map(st => ({ stage: st.stage, placement: st.placement, entries: st.entries, rulesOnTarget: st.rulesOnTarget })),
      }
    }
    return s
  }

  /**
   * The recompute oracle (flow-check.ts): once the node has settled (up to `settleMs` ms), the switch's flows
   * against a fresh compile of the store's state and a fresh emit.
   */
  async checkFlows(settleMs = 30_000): Promise<FlowCheck & { settled: boolean }> {
    const end = Date.now() + settleMs
    while (!this.inSync && Date.now() < end) await new Promise(resolve => setTimeout(resolve, 50))
    const sync = this.flowSync
    if (sync === undefined) throw new Error('no switch is connected')
    const settled = this.inSync
    const o = this.opts
    const r = await checkFlows({
      store: o.store,
      self: o.tunnelIp !== undefined ? { chassisId: o.chassisId, chassisTunnelIp: o.tunnelIp } : { chassisId: o.chassisId },
      bindings: new Map([...this.local].map(([id, p]) => [id, p.ofport])),
      uplinks: this.uplinkOfports,
      emit: {
        generation: PROACTIVE_GENERATION,
        l3: this.l3Mode ?? o.l3 ?? 'proactive',
        ...(this.tunnelOfport !== undefined ? { tunnelOfport: this.tunnelOfport } : {}),
      },
      dump: async () => await sync.dump(),
      extraEntries: this.learnedEntries(),
    })
    return { ...r, settled }
  }

  private floodPorts(network: number): number[] {
    return this.flows.context.classifyPortsOf(network).map(e => e.in_port)
  }

  stats(): ControllerStats {
    const s: ControllerStats = {
      generation: this.generation,
      changes: this.counts.changes,
      badEntries: this.counts.badEntries,
      installs: this.counts.installs,
      flows: this.flowSync === undefined ? 0 : this.flows.size,
      desired: this.flows.stats(),
      plans: this.plans,
      localPorts: this.local.size,
      activePorts: this.confirmed.size,
      packetIns: this.packetIns.stats,
      l3: this.l3Mode ?? this.opts.l3 ?? 'proactive',
      reactive: this.reactive.stats(),
      neighbours: this.neighbours.stats(),
    }
    if (this.lastInstall !== undefined) s.lastInstall = this.lastInstall
    return s
  }

  /** True once a switch is connected and its flows are in sync with the current state. */
  get inSync(): boolean {
    return this.flowSync !== undefined && !this.dirty && this.installing === undefined && this.timer === undefined
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.heartbeat?.stop()
    this.unregisterMetrics?.()
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.reactive.stop()
    this.neighbours.stop()
    for (const timer of this.announceTimers) clearTimeout(timer)
    this.announceTimers.clear()
    this.afterCommitQueue = []
    await this.installing
    await this.control?.close()
    for (const u of this.unsubscribes.splice(0)) await u().catch(() => undefined)
    await this.vswitch?.close()
    await this.ovsdb?.close()
    await this.of.close()
  }
}
