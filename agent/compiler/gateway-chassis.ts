// Which chassis is a router's gateway chassis: the one that alone answers ARP / ND for the gateway IP and
// accepts frames from the physical network addressed to the gateway MAC (BEHAVIOUR.md "Router gateway").
// Rendezvous (highest random weight) hashing over the chassis rows that advertise the external network's
// physical network: every node computes the same winner from the same rows, with no election and no leader;
// when the winner's row goes, the next highest weight wins, and a chassis joining moves only the routers it wins.
import { createHash } from 'node:crypto'
import type { Chassis, Network } from '../../model/types.js'
// the key is declared where the agent writes it; chassis.ts imports nothing of the compiler
import { BRIDGE_MAPPINGS_ID } from '../controller/chassis.js'
import { providerPhysnet } from './model-state.js'

/** The physical networks a chassis row advertises. */
export function physnetsOf(chassis: Chassis): Set<string> {
  const text = chassis.external_ids?.[BRIDGE_MAPPINGS_ID]
  const out = new Set<string>()
  if (typeof text !== 'string') return out
  for (const pair of text.split(',')) {
    const colon = pair.indexOf(':')
    const physnet = (colon < 0 ? pair : pair.slice(0, colon)).trim()
    if (physnet !== '') out.add(physnet)
  }
  return out
}

/** Weights computed, by router id + chassis id: the choice runs for every router on each closure walk. */
const weights = new Map<string, number>()
const MAX_WEIGHTS = 200_000

/** The weight of a chassis for a router: the first 48 bits of sha1(router id, chassis id), exact in a double. */
function weight(routerId: string, chassisId: string): number {
  const pair = `${routerId}\0${chassisId}`
  let w = weights.get(pair)
  if (w === undefined) {
    if (weights.size >= MAX_WEIGHTS) weights.clear()
    w = parseInt(createHash('sha1').update(pair).digest('hex').slice(0, 12), 16)
    weights.set(pair, w)
  }
  return w
}

/**
 * The gateway chassis id of a router whose gateway is on `external`, or undefined when no chassis can be one.
 * Candidates: chassis advertising the external network's physical network; for a tunnelled external network
 * (no physical network), every chassis. Ties (never in practice) go to the smaller id, so all nodes agree.
 */
export function gatewayChassis(routerId: string, external: Network, chassis: Iterable<Chassis>): string | undefined {
  const physnet = providerPhysnet(external)
  let best: { id: string; w: number } | undefined
  for (const c of chassis) {
    if (physnet !== undefined && !physnetsOf(c).has(physnet)) continue
    const w = weight(routerId, c.id)
    if (best === undefined || w > best.w || (w === best.w && c.id < best.id)) best = { id: c.id, w }
  }
  return best?.id
}
