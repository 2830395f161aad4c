// The agent's view of the local Open_vSwitch database: make sure the integration bridge exists as the agent
// needs it, create tunnel ports, and follow the interfaces on that bridge that carry external_ids:iface-id
// (the Neutron ports bound here; interfaces on other bridges are not ours). Events:
//   'port-added'   (LocalPort)            an interface with an iface-id got a valid ofport
//   'port-removed' (LocalPort)            it went away, lost its iface-id or its ofport
//   'port-changed' (LocalPort, LocalPort) admin/link state or ofport changed (new, old)
//   'resync'       (LocalPort[])          the full set after (re)connecting; added/removed were emitted for the diff
import { EventEmitter } from 'node:events'
import type { OvsdbClient, TableUpdates2 } from './client.js'
import {
  applyRowDiff,
  atomString,
  emptySet,
  map,
  mapRecord,
  namedUuid,
  optional,
  set,
  setItems,
  uuid,
  type Atom,
  type ColumnKind,
  type Row,
} from './data.js'
import { comment, eq, insert, mutate, select, update, wait, type Operation } from './operations.js'
import type { TunnelType } from '../../model/tunnel-types.js'

export const OPEN_VSWITCH_DB = 'Open_vSwitch'

export interface VswitchOptions {
  bridge?: string
  /** controller target for the bridge, e.g. 'unix:/run/dragonflow/of.sock' */
  controller?: string
  /** 'netdev' (userspace) by default: the only datapath on machines without the OVS kernel module */
  datapathType?: string
}

/** Interface external_ids key set once the port's flows are committed on the switch (see markInstalled). */
export const INSTALLED_ID = 'dragonflow-installed'

export interface LocalPort {
  uuid: string
  name: string
  ifaceId: string
  ofport: number
  type: string
  adminUp: boolean
  linkUp: boolean
  externalIds: Record<string, string>
}

export interface TunnelPortOptions {
  /** also the OVS Interface type */
  type: TunnelType
  /** 'flow' (default): the remote address comes from the flow (set_field tun_dst) */
  remoteIp?: string
  /** 'flow' (default): the VNI or GRE key comes from the flow (set_field tun_id) */
  key?: string
  localIp?: string
}

/** The columns followed, with how a table-updates2 `modify` changes each (data.ts applyRowDiff). */
const COLUMNS = {
  Bridge: { name: 'scalar', ports: 'set' },
  Port: { name: 'scalar', interfaces: 'set' },
  // optional columns (0 or 1 element: ofport, admin/link state) carry their new value, as ovsdb-server sends them
  Interface: { name: 'scalar', type: 'scalar', ofport: 'scalar', external_ids: 'map', admin_state: 'scalar', link_state: 'scalar' },
} as const satisfies Record<string, Record<string, ColumnKind>>
const FOLLOWED_TABLES = ['Bridge', 'Port', 'Interface'] as const

export class Vswitch extends EventEmitter {
  readonly bridge: string
  private readonly tables: Record<(typeof FOLLOWED_TABLES)[number], Map<string, Row>> = {
    Bridge: new Map(),
    Port: new Map(),
    Interface: new Map(),
  }
  private local = new Map<string, LocalPort>()
  /** Interface uuids reachable from our bridge (Bridge.ports -> Port.interfaces), kept update by update */
  private onBridge = new Set<string>()
  /** Port uuids of our bridge */
  private bridgePorts = new Set<string>()
  private monitorId: string | undefined

  constructor(
    readonly client: OvsdbClient,
    private readonly opts: VswitchOptions = {},
  ) {
    super()
    this.bridge = opts.bridge ?? 'br-int'
  }

  /**
   * Create the bridge if missing, else bring its settings to what the agent needs (never deleting ports):
   * datapath_type, fail_mode=secure (no flows until we install them), protocols=OpenFlow13, and the controller
   * with connection-mode=out-of-band (in-band mode adds hidden flows that swallow ARP).
   */
  async ensureBridge(): Promise<void> {
    const [found] = await this.client.transact(OPEN_VSWITCH_DB, [select('Bridge', [eq('name', this.bridge)], ['_uuid', 'controller'])])
    const settings: Row = { datapath_type: this.opts.datapathType ?? 'netdev', fail_mode: 'secure', protocols: 'OpenFlow13' }
    const existing = found?.rows?.[0]
    if (existing === undefined) {
      const ops: Operation[] = [
        // fails the transaction if another client created the bridge since our select
        wait('Bridge', [eq('name', this.bridge)], { columns: ['name'], until: '==', rows: [], timeout: 0 }),
        insert('Interface', { name: this.bridge, type: 'internal' }, 'iface'),
        insert('Port', { name: this.bridge, interfaces: namedUuid('iface') }, 'port'),
      ]
      const bridgeRow: Row = { name: this.bridge, ports: namedUuid('port'), ...settings }
      if (this.opts.controller !== undefined) {
        ops.push(insert('Controller', { target: this.opts.controller, connection_mode: 'out-of-band' }, 'ctl'))
        bridgeRow.controller = namedUuid('ctl')
      }
      ops.push(insert('Bridge', bridgeRow, 'br'))
      ops.push(mutate('Open_vSwitch', [], [['bridges', 'insert', set([namedUuid('br')])]]))
      ops.push(comment(`dragonflow: create ${this.bridge}`))
      await this.client.transact(OPEN_VSWITCH_DB, ops)
      return
    }
    const ops: Operation[] = [update('Bridge', [eq('name', this.bridge)], settings)]
    if (this.opts.controller !== undefined && !(await this.hasController(setItems(existing.controller)))) {
      ops.push(insert('Controller', { target: this.opts.controller, connection_mode: 'out-of-band' }, 'ctl'))
      ops.push(update('Bridge', [eq('name', this.bridge)], { controller: namedUuid('ctl') })) // the old row is GC'd
    }
    await this.client.transact(OPEN_VSWITCH_DB, ops)
  }

  private async hasController(refs: Atom[]): Promise<boolean> {
    if (refs.length !== 1) return false
    const ref = refs[0]
    if (ref === undefined) return false
    const [r] = await this.client.transact(OPEN_VSWITCH_DB, [select('Controller', [['_uuid', '==', ref]], ['target', 'connection_mode'])])
    const row = r?.rows?.[0]
    return row !== undefined && row.target === this.opts.controller && optional(row.connection_mode) === 'out-of-band'
  }

  /**
   * A VXLAN, Geneve or GRE port on the bridge with options remote_ip=flow, key=flow (unless given). Idempotent; an
   * existing port of that name whose type or options differ (an agent restarted with another --tunnel or
   * --tunnel-ip) is corrected in place, so frames never leave with the old header or from an old address.
   */
  async ensureTunnelPort(name: string, t: TunnelPortOptions): Promise<void> {
    const options: Record<string, string> = { remote_ip: t.remoteIp ?? 'flow', key: t.key ?? 'flow' }
    if (t.localIp !== undefined) options.local_ip = t.localIp
    const [found, iface] = await this.client.transact(OPEN_VSWITCH_DB, [
      select('Port', [eq('name', name)], ['_uuid']),
      select('Interface', [eq('name', name)], ['_uuid', 'type', 'options']),
    ])
    if ((found?.rows?.length ?? 0) > 0) {
      const row = iface?.rows?.[0]
      if (row !== undefined && row.type === t.type && sameRecord(mapRecord(row.options), options)) return
      await this.client.transact(OPEN_VSWITCH_DB, [
        update('Interface', [eq('name', name)], { type: t.type, options: map(options) }),
        comment(`dragonflow: ${name} to ${t.type} ${JSON.stringify(options)}`),
      ])
      return
    }
    await this.client.transact(OPEN_VSWITCH_DB, [
      insert('Interface', { name, type: t.type, options: map(options) }, 'iface'),
      insert('Port', { name, interfaces: namedUuid('iface') }, 'port'),
      mutate('Bridge', [eq('name', this.bridge)], [['ports', 'insert', set([namedUuid('port')])]]),
    ])
  }

  /** Remove a port from the bridge by name (its Port and Interface rows are then garbage-collected). */
  async removePort(name: string): Promise<void> {
    const [found] = await this.client.transact(OPEN_VSWITCH_DB, [select('Port', [eq('name', name)], ['_uuid'])])
    const u = found?.rows?.[0]?._uuid
    if (u === undefined) return
    await this.client.transact(OPEN_VSWITCH_DB, [mutate('Bridge', [eq('name', this.bridge)], [['ports', 'delete', set([u as Atom])]])])
  }

  /**
   * Mark interfaces as having (or no longer having) their flows on the switch: external_ids INSTALLED_ID =
   * "true", what a compute service waits for before it lets a VM run (OVN writes ovn-installed the same way).
   * One transaction for all of them; an interface that is gone by then is simply not matched.
   */
  async markInstalled(ports: readonly LocalPort[], installed: boolean): Promise<void> {
    if (ports.length === 0) return
    const ops = ports.map(p =>
      mutate(
        'Interface',
        [eq('_uuid', uuid(p.uuid))],
        installed ? [['external_ids', 'insert', map({ [INSTALLED_ID]: 'true' })]] : [['external_ids', 'delete', set([INSTALLED_ID])]],
      ),
    )
    await this.client.transact(OPEN_VSWITCH_DB, ops)
  }

  /** Start following the bridge's interfaces; resolves once the current ones are known (a 'resync' was emitted). */
  async follow(): Promise<void> {
    if (this.monitorId !== undefined) return
    // monitor_cond: a modify carries only what changed, so adding the N-th port to the bridge sends one uuid,
    // not the bridge's whole ports set (with `monitor` an update grows with the bridge: O(N^2) to fill it)
    this.monitorId = await this.client.monitorCond(
      OPEN_VSWITCH_DB,
      {
        Bridge: { columns: Object.keys(COLUMNS.Bridge) },
        Port: { columns: Object.keys(COLUMNS.Port) },
        Interface: { columns: Object.keys(COLUMNS.Interface) },
      },
      (updates, initial) => {
        this.onUpdates(updates, initial)
      },
    )
  }

  /** The local ports known now. */
  ports(): LocalPort[] {
    return [...this.local.values()]
  }

  private onUpdates(updates: TableUpdates2, initial: boolean): void {
    if (initial) {
      // after a (re)connect the server sends everything: what is not in it is gone
      for (const name of FOLLOWED_TABLES) {
        const rows = this.tables[name]
        rows.clear()
        for (const [u, change] of Object.entries(updates[name] ?? {})) {
          const row = change.initial ?? change.insert
          if (row !== undefined) rows.set(u, row)
        }
      }
      this.reconcile()
      for (const [u, br] of this.tables.Bridge) this.tables.Bridge.set(u, { name: br.name as Atom })
      return
    }
    // only the interfaces the update names, and those whose place on the bridge changed: an update costs what it
    // holds, not the number of ports on the bridge. Membership is settled per port whichever of Bridge and Port
    // comes first in the update, and interfaces are settled once every row of the update is in.
    const touched = new Set<string>()
    const join = (port: string, on: boolean): void => {
      for (const i of setItems(this.tables.Port.get(port)?.interfaces)) {
        const u = atomString(i)
        if (on) this.onBridge.add(u)
        else this.onBridge.delete(u)
        touched.add(u)
      }
    }
    for (const name of FOLLOWED_TABLES) {
      for (const [u, change] of Object.entries(updates[name] ?? {})) {
        const before = this.tables[name].get(u)
        const after =
          change.delete !== undefined
            ? undefined
            : change.modify !== undefined && before !== undefined
              ? applyRowDiff(before, change.modify, name === 'Bridge' ? { name: 'scalar' } : COLUMNS[name])
              : (change.insert ?? change.initial ?? before)
        if (name === 'Interface') touched.add(u)
        if (name === 'Port' && this.bridgePorts.has(u)) join(u, false)
        if (after === undefined) this.tables[name].delete(u)
        else this.tables[name].set(u, after)
        if (name === 'Port' && this.bridgePorts.has(u)) join(u, true)
        if (name === 'Bridge') {
          // names are immutable (vswitch.ovsschema): only our bridge's ports matter, toggled by the diff; the
          // stored row keeps its name only (the ports set lives in bridgePorts)
          if (after !== undefined) this.tables.Bridge.set(u, { name: after.name as Atom })
          if ((after ?? before)?.name !== this.bridge) continue
          const toggle = change.modify !== undefined ? setItems(change.modify.ports).map(atomString) : []
          const full = change.insert ?? change.initial
          const leave = change.delete !== undefined ? [...this.bridgePorts] : []
          for (const p of leave) {
            this.bridgePorts.delete(p)
            join(p, false)
          }
          for (const p of full !== undefined ? setItems(full.ports).map(atomString) : []) {
            this.bridgePorts.add(p)
            join(p, true)
          }
          for (const p of toggle) {
            if (this.bridgePorts.delete(p)) join(p, false)
            else {
              this.bridgePorts.add(p)
              join(p, true)
            }
          }
        }
      }
    }
    for (const u of touched) {
      const row = this.tables.Interface.get(u)
      this.settle(u, row !== undefined && this.onBridge.has(u) ? toLocalPort(u, row) : undefined)
    }
  }

  /** Emit what changed for one interface. */
  private settle(u: string, now: LocalPort | undefined): void {
    const before = this.local.get(u)
    if (now === undefined) {
      if (before !== undefined) {
        this.local.delete(u)
        this.emit('port-removed', before)
      }
      return
    }
    this.local.set(u, now)
    if (before === undefined) {
      this.emit('port-added', now)
    } else if (before.ifaceId !== now.ifaceId) {
      this.emit('port-removed', before)
      this.emit('port-added', now)
    } else if (before.ofport !== now.ofport || before.adminUp !== now.adminUp || before.linkUp !== now.linkUp) {
      this.emit('port-changed', now, before)
    }
  }

  /** Interface uuids reachable from our bridge: Bridge.ports -> Port.interfaces (and our bridge's ports). */
  private interfacesOnBridge(): Set<string> {
    const out = new Set<string>()
    this.bridgePorts = new Set()
    for (const br of this.tables.Bridge.values()) {
      if (br.name !== this.bridge) continue
      for (const p of setItems(br.ports)) {
        this.bridgePorts.add(atomString(p))
        const port = this.tables.Port.get(atomString(p))
        for (const i of setItems(port?.interfaces)) out.add(atomString(i))
      }
    }
    return out
  }

  // After a (re)connect: recompute the whole local set and diff it with the previous one (removals first, so an
  // iface-id that moved to another interface is unbound before it is bound again).
  private reconcile(): void {
    this.onBridge = this.interfacesOnBridge()
    const now = (u: string): LocalPort | undefined => {
      const row = this.tables.Interface.get(u)
      return row !== undefined && this.onBridge.has(u) ? toLocalPort(u, row) : undefined
    }
    for (const u of [...this.local.keys()]) if (now(u) === undefined) this.settle(u, undefined)
    for (const u of this.tables.Interface.keys()) this.settle(u, now(u))
    this.emit('resync', this.ports())
  }

  async close(): Promise<void> {
    const id = this.monitorId
    this.monitorId = undefined
    if (id !== undefined)
      await this.client.cancel(id).catch(() => {
        /* the session may be gone */
      })
  }
}

/** An Interface row as a local port, or undefined when it is not one (no iface-id, or no valid ofport yet). */
function toLocalPort(u: string, row: Row): LocalPort | undefined {
  const externalIds = mapRecord(row.external_ids ?? map({}))
  const ifaceId = externalIds['iface-id']
  const ofportAtom = optional(row.ofport ?? emptySet())
  const ofport = typeof ofportAtom === 'number' ? ofportAtom : -1
  if (ifaceId === undefined || ofport <= 0) return undefined
  const state = (c: string): boolean => {
    const v = optional(row[c] ?? emptySet())
    return v !== undefined && atomString(v) === 'up'
  }
  return {
    uuid: u,
    name: String(row.name),
    ifaceId,
    ofport,
    type: String(row.type ?? ''),
    adminUp: state('admin_state'),
    linkUp: state('link_state'),
    externalIds,
  }
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a)
  return ka.length === Object.keys(b).length && ka.every(k => a[k] === b[k])
}
