// This node's row in the store (TABLES.chassis): who it is, where its tunnels end, and the run generation.
// The generation is bumped (with CAS) on every start; it marks the reactive flows this run caches, so a later
// run tells them apart from its own (offload/openflow/layout.ts). Proactive flows carry no run generation: a
// restart adopts them as they are.
import { TABLES } from '../../model/tables.js'
import type { Chassis } from '../../model/types.js'
import { DEFAULT_TUNNEL_TYPE, type TunnelType } from '../../model/tunnel-types.js'
import { StoreError, type Store } from '../../store/types.js'

export interface ChassisInfo {
  chassisId: string
  hostname: string
  tunnelIp?: string | undefined
  /** the encapsulation this node's tunnel port speaks (announced in tunnel_types) */
  tunnelType?: TunnelType
  profile: string
  /** physnet -> bridge of --bridge-mappings: the physical networks this node reaches (gateway candidates) */
  bridgeMappings?: ReadonlyMap<string, string>
}

/** external_ids key holding the generation of this node's flows */
export const GENERATION_ID = 'dragonflow:generation'
/** external_ids key listing the physical networks this node has an uplink to, "physnet:bridge,..." */
export const BRIDGE_MAPPINGS_ID = 'dragonflow:bridge-mappings'
/** external_ids key: ISO time of the last heartbeat (heartbeat.ts) */
export const HEARTBEAT_ID = 'dragonflow:heartbeat'
/** external_ids key: ISO time the current run registered (Neutron's started_at) */
export const STARTED_AT_ID = 'dragonflow:started-at'
/** external_ids key: ISO time the row was first created (Neutron's created_at; kept across restarts) */
export const CREATED_AT_ID = 'dragonflow:created-at'

export const formatBridgeMappings = (m: ReadonlyMap<string, string>): string => [...m].map(([p, b]) => `${p}:${b}`).join(',')

/**
 * 16-bit generation field, 2..65535: 0 is skipped so that a zero cookie never looks like one of ours, 1 is
 * PROACTIVE_GENERATION (layout.ts), so a run's reactive flows are told apart from every proactive flow.
 */
export const nextGeneration = (g: number): number => (g >= 2 && g < 0xffff ? g + 1 : 2)

/** A (re)start is a first heartbeat and a new started_at; created_at stays what the first run wrote. */
function startStamps(ids: Record<string, string>, at: Date): Record<string, string> {
  const t = at.toISOString()
  return { [CREATED_AT_ID]: ids[CREATED_AT_ID] ?? t, [STARTED_AT_ID]: t, [HEARTBEAT_ID]: t }
}

/** Create or update the chassis row; returns the generation this run owns. */
export async function registerChassis(store: Store, info: ChassisInfo): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const cur = await store.get(TABLES.chassis, info.chassisId)
    const ids = (cur?.value.external_ids ?? {}) as Record<string, string>
    const prev = Number(ids[GENERATION_ID] ?? '0')
    const generation = nextGeneration(Number.isInteger(prev) && prev >= 0 ? prev : 0)
    const mappings = { ...ids }
    delete mappings[BRIDGE_MAPPINGS_ID] // a node restarted without a mapping no longer offers it
    if (info.bridgeMappings !== undefined && info.bridgeMappings.size > 0)
      mappings[BRIDGE_MAPPINGS_ID] = formatBridgeMappings(info.bridgeMappings)
    const value: Chassis = {
      id: info.chassisId,
      hostname: info.hostname,
      tunnel_ip: info.tunnelIp ?? '',
      tunnel_types: info.tunnelIp !== undefined ? [info.tunnelType ?? DEFAULT_TUNNEL_TYPE] : [],
      external_ids: {
        ...mappings,
        [GENERATION_ID]: String(generation),
        'dragonflow:profile': info.profile,
        ...startStamps(ids, new Date()),
      },
      updated_at: new Date().toISOString(),
    }
    try {
      if (cur === undefined) await store.create(TABLES.chassis, info.chassisId, { ...value }, [])
      else await store.update(TABLES.chassis, info.chassisId, { ...value }, cur.version, cur.topics)
      return generation
    } catch (err) {
      // another writer raced us (a second agent with the same id, or the API): read again
      if (err instanceof StoreError && (err.code === 'version_conflict' || err.code === 'already_exists')) continue
      throw err
    }
  }
  throw new StoreError('version_conflict', `chassis ${info.chassisId}: could not register after 20 attempts`)
}

/**
 * Rewrite the external_ids of this node's existing row with CAS, reading again on a conflict. `edit` gets a copy
 * of the ids and returns the ids to write, or undefined when the row already says so. `touch` also stamps
 * updated_at. False when the row is gone (an operator deleted the agent): nothing to write to.
 */
export async function editChassisIds(
  store: Store,
  chassisId: string,
  what: string,
  edit: (ids: Record<string, string>) => Record<string, string> | undefined,
  opts: { touch?: boolean } = {},
): Promise<boolean> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const cur = await store.get(TABLES.chassis, chassisId)
    if (cur === undefined) return false
    const ids = edit({ ...((cur.value.external_ids ?? {}) as Record<string, string>) })
    if (ids === undefined) return true
    const value = { ...cur.value, external_ids: ids, ...(opts.touch === true ? { updated_at: new Date().toISOString() } : {}) }
    try {
      await store.update(TABLES.chassis, chassisId, value, cur.version, cur.topics)
      return true
    } catch (err) {
      if (err instanceof StoreError && err.code === 'version_conflict') continue
      if (err instanceof StoreError && err.code === 'not_found') return false
      throw err
    }
  }
  throw new StoreError('version_conflict', `chassis ${chassisId}: could not ${what} after 20 attempts`)
}

/**
 * Advertise the mappings this node could actually set up (a mapping whose bridge is missing is skipped), with
 * CAS; nothing is written when the row already says so.
 */
export async function advertiseBridgeMappings(store: Store, chassisId: string, m: ReadonlyMap<string, string>): Promise<void> {
  const want = formatBridgeMappings(m)
  await editChassisIds(
    store,
    chassisId,
    'advertise bridge mappings',
    ids => {
      if ((ids[BRIDGE_MAPPINGS_ID] ?? '') === want) return undefined
      if (want === '') delete ids[BRIDGE_MAPPINGS_ID]
      else ids[BRIDGE_MAPPINGS_ID] = want
      return ids
    },
    { touch: true },
  )
}
