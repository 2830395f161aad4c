// The end-to-end recompute oracle (OVN's "incremental processing == recompute" check, on the switch itself):
// read the model from the store afresh, compile it from scratch (compileTopology, not the incremental compiler),
// emit every flow at once (the stage-ordered emitter, not the units), and compare with what the switch holds by
// a fresh dump. Any difference is a bug in the incremental path (compiler deltas, emit units, the flow table or
// the sync), or a switch changed behind the agent's back.
import { compileTopology, type ModelSnapshot } from '../compiler/index.js'
import { DesiredFlows, decodeBody, instructionsKey, matchKey } from '../flows/index.js'
import type { FlowStats } from '../openflow/index.js'
import { TABLES } from '../../model/tables.js'
import type { Chassis, FloatingIp, Network, Port, Router, SecurityGroup, SecurityGroupRule, Subnet } from '../../model/types.js'
import { emitOpenFlow, type EmitOptions } from '../../offload/openflow/emitter.js'
import type { Entry } from '../../datapath/host/entries.js'
import { isReactiveCookie } from '../../offload/openflow/layout.js'
import type { Store } from '../../store/types.js'

export interface FlowCheck {
  /** the switch holds exactly the recomputed flows (reactive flows aside) */
  equal: boolean
  switchFlows: number
  recomputedFlows: number
  /** up to `limit` of each, described as table/priority/cookie + the match in OXM terms */
  missing: string[]
  extra: string[]
  differing: string[]
  counts: { missing: number; extra: number; differing: number }
}

export interface FlowCheckInput {
  store: Store
  self: { chassisId: string; chassisTunnelIp?: string }
  /** port id -> ofport of the ports plugged here now */
  bindings: Map<string, number>
  /** physical network -> br-int ofport of its uplink here (--bridge-mappings) */
  uplinks?: ReadonlyMap<string, number>
  emit: EmitOptions
  dump: () => Promise<FlowStats[]>
  limit?: number
  /** entries that are not compiled from the store but belong on the switch (next hops the slow path learned) */
  extraEntries?: Entry[]
}

export async function checkFlows(i: FlowCheckInput): Promise<FlowCheck> {
  const list = async <T>(table: string): Promise<T[]> => (await i.store.list(table)).map(o => o.value as unknown as T)
  const snapshot: ModelSnapshot = {
    networks: await list<Network>(TABLES.networks),
    subnets: await list<Subnet>(TABLES.subnets),
    ports: await list<Port>(TABLES.ports),
    routers: await list<Router>(TABLES.routers),
    chassis: await list<Chassis>(TABLES.chassis),
    bindings: i.bindings,
    securityGroups: await list<SecurityGroup>(TABLES.securityGroups),
    securityGroupRules: await list<SecurityGroupRule>(TABLES.securityGroupRules),
    floatingips: await list<FloatingIp>(TABLES.floatingips),
    uplinks: i.uplinks ?? new Map(),
  }
  const entries = [...compileTopology(snapshot, i.self).entries, ...(i.extraEntries ?? [])]
  // through the flow table only to resolve identities emitted twice the way the agent does (least body wins)
  const want = new Map<string, { cookie: bigint; does: string; text: string }>()
  for (const body of DesiredFlows.ofFlows(emitOpenFlow(entries, i.emit)).bodies()) {
    const m = decodeBody(body)
    const k = matchKey(m.tableId, m.priority, m.match)
    want.set(k, { cookie: m.cookie, does: instructionsKey(m.instructions), text: describe(m.tableId, m.priority, m.cookie, k) })
  }
  const have = new Map<string, { cookie: bigint; does: string; text: string }>()
  for (const s of await i.dump()) {
    if (isReactiveCookie(s.cookie)) continue
    const k = matchKey(s.tableId, s.priority, s.match)
    have.set(k, { cookie: s.cookie, does: instructionsKey(s.instructions), text: describe(s.tableId, s.priority, s.cookie, k) })
  }
  const missing = [...want].filter(([k]) => !have.has(k)).map(([, w]) => w.text)
  const extra = [...have].filter(([k]) => !want.has(k)).map(([, h]) => h.text)
  const differing = [...want].flatMap(([k, w]) => {
    const h = have.get(k)
    return h !== undefined && (h.cookie !== w.cookie || h.does !== w.does)
      ? [`${w.text} (switch: cookie 0x${h.cookie.toString(16)}, other instructions: ${h.does !== w.does})`]
      : []
  })
  const limit = i.limit ?? 20
  return {
    equal: missing.length + extra.length + differing.length === 0,
    switchFlows: have.size,
    recomputedFlows: want.size,
    missing: missing.slice(0, limit),
    extra: extra.slice(0, limit),
    differing: differing.slice(0, limit),
    counts: { missing: missing.length, extra: extra.length, differing: differing.length },
  }
}

function describe(table: number, priority: number, cookie: bigint, key: string): string {
  return `table=${table} priority=${priority} cookie=0x${cookie.toString(16)} match ${key.split('|')[2] || '(any)'}`
}
