// Honest status of floating IPs and router gateways. A floating IP is ACTIVE only when the chassis hosting its
// port has committed a bundle holding its `nat` entry (the DNAT/SNAT flows are on the switch) and the port is up;
// DOWN otherwise. A router with a gateway is ACTIVE once its gateway chassis has committed its `router_gateway`
// entry. Each chassis reports what it hosts; the API writes DOWN when it creates or re-associates one.
// Writes are CAS like port-status.ts: a conflict means someone changed the row meanwhile, so read and decide again.
import type { NatEntry, RouterGatewayEntry } from '../../datapath/host/entries.js'
import { TABLES } from '../../model/tables.js'
import { StoreError, type Store } from '../../store/types.js'
import type { Logger } from '../../log/logger.js'

export type ObjectStatus = 'ACTIVE' | 'DOWN'

/** Write `status` to table/id unless `keep(current value)` says not to; returns what was written. */
export async function reportStatus(
  store: Store,
  table: string,
  id: string,
  status: ObjectStatus,
  keep: (value: Record<string, unknown>) => boolean = () => false,
): Promise<ObjectStatus | undefined> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const cur = await store.get(table, id)
    if (cur === undefined || cur.value.status === status || keep(cur.value)) return undefined
    try {
      await store.update(table, id, { ...cur.value, status }, cur.version, cur.topics)
      return status
    } catch (err) {
      if (err instanceof StoreError && err.code === 'version_conflict') continue
      if (err instanceof StoreError && err.code === 'not_found') return undefined
      throw err
    }
  }
  return undefined
}

/** A nat entry as the floating IP names it: external -> internal address. */
export const natKey = (external: string, internal: string): string => `${external}>${internal}`
const natKeyOf = (e: NatEntry): string => natKey(e.external_ip, e.internal_ip)

interface Fip {
  portId: string | null
  external: string
  internal: string | null
}

export interface NatStatusOptions {
  store: Store
  /** is the port plugged here, up and its flows committed (what makes the port itself ACTIVE) */
  portActive: (portId: string) => boolean
  log: Logger
  /** called with what was written */
  onStatus?: (table: string, id: string, status: ObjectStatus) => void
}

/**
 * Follows the floating IPs and routers (store changes) and the nat / router_gateway entries (entry deltas); at
 * each commit the entries compiled when the bundle started count as installed (`snapshot` then `committed`).
 */
export class NatStatus {
  private readonly fips = new Map<string, Fip>()
  /** router key -> router id */
  private readonly routerIds = new Map<number, string>()
  private readonly routerKeys = new Map<string, number>()
  /** compiled now: nat keys (with a count: two routers may name the same pair) and local gateways' routers */
  private readonly nat = new Map<string, number>()
  private readonly gateways = new Set<number>()
  /** as of the last committed bundle */
  private committedNat = new Set<string>()
  private committedGateways = new Set<number>()
  /** what this chassis last decided per object, so a decision is written once */
  private readonly decided = new Map<string, ObjectStatus>()

  constructor(private readonly opts: NatStatusOptions) {}

  /** A floating IP or router as the store has it now (undefined: deleted). */
  onObject(table: string, id: string, value: Record<string, unknown> | undefined): void {
    if (table === TABLES.floatingips) {
      if (value === undefined) {
        this.fips.delete(id)
        this.decided.delete(`${table}/${id}`)
        return
      }
      this.fips.set(id, {
        portId: typeof value.port_id === 'string' ? value.port_id : null,
        external: typeof value.floating_ip_address === 'string' ? value.floating_ip_address : '',
        internal: typeof value.fixed_ip_address === 'string' ? value.fixed_ip_address : null,
      })
      // the API writes DOWN on every (re)association: decide again rather than trust an old decision
      if (value.status !== this.decided.get(`${table}/${id}`)) this.decided.delete(`${table}/${id}`)
      this.evaluateFip(id)
    } else if (table === TABLES.routers) {
      const before = this.routerKeys.get(id)
      if (before !== undefined) this.routerIds.delete(before)
      if (value === undefined) {
        this.routerKeys.delete(id)
        this.decided.delete(`${table}/${id}`)
        return
      }
      const key = Number(value.key)
      if (Number.isInteger(key)) {
        this.routerIds.set(key, id)
        this.routerKeys.set(id, key)
      }
      if (value.status !== this.decided.get(`${table}/${id}`)) this.decided.delete(`${table}/${id}`)
      if (value.external_gateway_info !== null && value.external_gateway_info !== undefined) this.evaluateRouter(key)
    }
  }

  onEntries(removed: readonly { stage: string }[], added: readonly { stage: string }[]): void {
    for (const e of removed) {
      if (e.stage === 'nat') {
        const k = natKeyOf(e as NatEntry)
        const n = (this.nat.get(k) ?? 0) - 1
        if (n > 0) this.nat.set(k, n)
        else this.nat.delete(k)
      } else if (e.stage === 'router_gateway') this.gateways.delete((e as RouterGatewayEntry).router)
    }
    for (const e of added) {
      if (e.stage === 'nat') this.nat.set(natKeyOf(e as NatEntry), (this.nat.get(natKeyOf(e as NatEntry)) ?? 0) + 1)
      else if (e.stage === 'router_gateway' && (e as RouterGatewayEntry).local) this.gateways.add((e as RouterGatewayEntry).router)
    }
  }

  /** Taken when a bundle starts: what it will hold. */
  snapshot(): { nat: Set<string>; gateways: Set<number> } {
    return { nat: new Set(this.nat.keys()), gateways: new Set(this.gateways) }
  }

  /** The bundle taken by `snapshot` committed: report what changed. */
  committed(s: { nat: Set<string>; gateways: Set<number> }): void {
    const natChanged = !sameSet(s.nat, this.committedNat)
    const gwChanged = !sameSet(s.gateways, this.committedGateways)
    const before = this.committedGateways
    this.committedNat = s.nat
    this.committedGateways = s.gateways
    if (natChanged) for (const id of this.fips.keys()) this.evaluateFip(id)
    if (gwChanged) for (const k of new Set([...before, ...s.gateways])) this.evaluateRouter(k)
  }

  /** A port's own state changed (plugged, unplugged, up, down, confirmed): its floating IPs follow. */
  onPort(portId: string): void {
    for (const [id, f] of this.fips) if (f.portId === portId) this.evaluateFip(id)
  }

  private evaluateFip(id: string): void {
    const f = this.fips.get(id)
    if (f === undefined) return
    const here = f.portId !== null && this.opts.portActive(f.portId)
    const key = `${TABLES.floatingips}/${id}`
    if (here && f.internal !== null && this.committedNat.has(natKey(f.external, f.internal))) {
      this.decide(TABLES.floatingips, id, 'ACTIVE')
      return
    }
    // DOWN only for what this chassis said ACTIVE: a floating IP of a port elsewhere is that chassis' to report
    if (this.decided.get(key) === 'ACTIVE' || here) this.decide(TABLES.floatingips, id, 'DOWN', v => v.port_id !== f.portId)
  }

  private evaluateRouter(key: number): void {
    const id = this.routerIds.get(key)
    if (id === undefined) return
    if (this.committedGateways.has(key)) this.decide(TABLES.routers, id, 'ACTIVE')
    // no longer the gateway chassis: the new one reports; DOWN only when the router lost its gateway here
    else if (this.decided.get(`${TABLES.routers}/${id}`) === 'ACTIVE') this.decided.delete(`${TABLES.routers}/${id}`)
  }

  private decide(table: string, id: string, status: ObjectStatus, keep?: (v: Record<string, unknown>) => boolean): void {
    const key = `${table}/${id}`
    if (this.decided.get(key) === status) return
    this.decided.set(key, status)
    reportStatus(this.opts.store, table, id, status, keep).then(
      s => {
        if (s !== undefined) this.opts.onStatus?.(table, id, s)
      },
      (err: Error) => {
        this.opts.log.warn(`status of ${table} ${id}: ${err.message}`)
      },
    )
  }
}

function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  if (a.size !== b.size) return false
  for (const x of a) if (!b.has(x)) return false
  return true
}
