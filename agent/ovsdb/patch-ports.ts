// The patch port pair that puts a physical network on the integration bridge (--bridge-mappings physnet:bridge):
// `patch-<physnet>` on br-int, peer of `patch-int-<physnet>` on the operator's bridge; a name longer than an
// OpenFlow port name holds (15 characters: longer ones are cut in port descriptions and could collide) keeps
// what fits of the physnet and a hash of it. The operator's bridge is theirs: it must exist (a missing one is refused, never created), and
// only our patch port is added to it. Idempotent: a pair that is already right is left alone (same rows, same
// ofports, so a restart does not flap the uplink).
import { createHash } from 'node:crypto'
import type { OvsdbClient } from './client.js'
import { map, mapRecord, namedUuid, set, type Atom } from './data.js'
import { comment, eq, insert, mutate, select, update, type Operation } from './operations.js'

const DB = 'Open_vSwitch'
/** OFP_MAX_PORT_NAME_LEN - 1, also a netdev's IFNAMSIZ - 1. */
const MAX_NAME = 15
/** Interface external_ids key naming the physical network of a patch port this agent made (for cleanup). */
export const PHYSNET_ID = 'dragonflow-physnet'

/** `prefix + physnet`, or when that is too long, as much of physnet as fits and a hash of the whole name. */
export function portName(prefix: string, physnet: string): string {
  const full = prefix + physnet
  if (full.length <= MAX_NAME) return full
  const h = Math.min(6, MAX_NAME - prefix.length)
  const hash = createHash('sha1').update(physnet).digest('hex').slice(0, h)
  return prefix + physnet.slice(0, MAX_NAME - prefix.length - h) + hash
}

export interface PatchPair {
  /** on the integration bridge */
  int: string
  /** on the physical network's bridge */
  phys: string
}

export const patchPortNames = (physnet: string): PatchPair => ({ int: portName('patch-', physnet), phys: portName('patch-int-', physnet) })

/** The operator's bridge of a mapping does not exist: that mapping is skipped, as Neutron's agent does. */
export class MissingBridgeError extends Error {
  constructor(
    readonly bridge: string,
    readonly physnet: string,
  ) {
    super(`bridge '${bridge}' of physical network '${physnet}' does not exist (create it, e.g. ovs-vsctl add-br ${bridge})`)
    this.name = 'MissingBridgeError'
  }
}

/** Make sure the pair exists and points at each other; returns their names. Throws MissingBridgeError. */
export async function ensurePatchPorts(client: OvsdbClient, intBridge: string, physnet: string, physBridge: string): Promise<PatchPair> {
  const names = patchPortNames(physnet)
  const [br] = await client.transact(DB, [select('Bridge', [eq('name', physBridge)], ['_uuid'])])
  if ((br?.rows?.length ?? 0) === 0) throw new MissingBridgeError(physBridge, physnet)
  await ensurePatch(client, intBridge, names.int, names.phys, physnet)
  await ensurePatch(client, physBridge, names.phys, names.int, physnet)
  return names
}

/**
 * Remove the patch pairs this agent made for physical networks no longer mapped (an agent restarted without one
 * of its --bridge-mappings); ports it did not make are never touched. Returns the physnets removed.
 */
export async function removeStalePatchPorts(client: OvsdbClient, keep: ReadonlySet<string>): Promise<string[]> {
  const [ifaces] = await client.transact(DB, [select('Interface', [], ['name', 'external_ids'])])
  const stale = new Map<string, string>() // interface name -> physnet
  for (const row of ifaces?.rows ?? []) {
    const physnet = mapRecord(row.external_ids)[PHYSNET_ID]
    if (physnet !== undefined && !keep.has(physnet)) stale.set(String(row.name), physnet)
  }
  for (const name of stale.keys()) await removePort(client, name)
  return [...new Set(stale.values())]
}

/** Take the port `name` off whichever bridge holds it (its rows are then garbage-collected). */
async function removePort(client: OvsdbClient, name: string): Promise<void> {
  const [port] = await client.transact(DB, [select('Port', [eq('name', name)], ['_uuid'])])
  const u = port?.rows?.[0]?._uuid
  if (u === undefined) return
  await client.transact(DB, [
    mutate('Bridge', [['ports', 'includes', u]], [['ports', 'delete', set([u as Atom])]]),
    comment(`dragonflow: remove ${name} (its physical network is no longer mapped)`),
  ])
}

/**
 * One side: a patch Interface `name` with options:peer=`peer` on `bridge`. An existing one is corrected in place
 * (type, peer) and moved when it is on another bridge (the mapping now names another bridge).
 */
async function ensurePatch(client: OvsdbClient, bridge: string, name: string, peer: string, physnet: string): Promise<void> {
  const [port, iface] = await client.transact(DB, [
    select('Port', [eq('name', name)], ['_uuid']),
    select('Interface', [eq('name', name)], ['type', 'options', 'external_ids']),
  ])
  const options = { peer }
  const portUuid = port?.rows?.[0]?._uuid as Atom | undefined
  if (portUuid !== undefined) {
    const [holder] = await client.transact(DB, [select('Bridge', [['ports', 'includes', portUuid]], ['name'])])
    const on = (holder?.rows ?? []).map(r => String(r.name))
    if (on.length !== 1 || on[0] !== bridge) {
      await client.transact(DB, [
        mutate('Bridge', [['ports', 'includes', portUuid]], [['ports', 'delete', set([portUuid])]]),
        mutate('Bridge', [eq('name', bridge)], [['ports', 'insert', set([portUuid])]]),
        comment(`dragonflow: move ${name} to ${bridge}`),
      ])
    }
    const row = iface?.rows?.[0]
    const cur = row !== undefined ? mapRecord(row.options) : {}
    const marked = row !== undefined && mapRecord(row.external_ids)[PHYSNET_ID] === physnet
    if (row?.type === 'patch' && Object.keys(cur).length === 1 && cur.peer === peer && marked) return
    await client.transact(DB, [
      update('Interface', [eq('name', name)], { type: 'patch', options: map(options) }),
      mutate('Interface', [eq('name', name)], [['external_ids', 'insert', map({ [PHYSNET_ID]: physnet })]]),
      comment(`dragonflow: ${name} peer ${peer}`),
    ])
    return
  }
  const ops: Operation[] = [
    insert('Interface', { name, type: 'patch', options: map(options), external_ids: map({ [PHYSNET_ID]: physnet }) }, 'iface'),
    insert('Port', { name, interfaces: namedUuid('iface') }, 'port'),
    mutate('Bridge', [eq('name', bridge)], [['ports', 'insert', set([namedUuid('port')])]]),
    comment(`dragonflow: patch ${name} on ${bridge} (peer ${peer})`),
  ]
  await client.transact(DB, ops)
}
