// GET/PUT/DELETE /v2.0/agents (Neutron's `agent` extension): one agent per chassis row, the way
// `openstack network agent list` shows the nodes. Liveness is the heartbeat the agent stamps into its row
// (agent/controller/heartbeat.ts): alive while the last beat is at most agent_down_time old (Neutron's option of
// that name, here `agentDownMs` of the API server). Admin only (policy/defaults.ts, as Neutron's agent.py).
//
// What is writable is what Neutron lets an admin write: admin_state_up and description, kept in the row's
// external_ids beside what the agent writes (the agent re-registers keeping keys it does not own). Nothing here
// reads admin_state_up yet: the gateway chassis choice (agent/compiler/gateway-chassis.ts) does not skip an
// agent set down. DELETE removes the chassis row of a down agent; an alive agent is refused (409): its row is
// its tunnel endpoint for every other node, and the agent would go on forwarding with nobody reaching it.
import { type AttributeMap, bool, nullable, str } from '../../model/attributes.js'
import { ApiError } from '../../model/errors.js'
import { TABLES } from '../../model/tables.js'
import type { Chassis } from '../../model/types.js'
import { BRIDGE_MAPPINGS_ID } from '../../agent/controller/chassis.js'
import { CREATED_AT_ID, STARTED_AT_ID } from '../../agent/controller/chassis.js'
import { chassisAlive, lastHeartbeat } from '../../agent/controller/heartbeat.js'
import type { Neutron } from '../neutron.js'
import type { Item } from '../query.js'
import type { Resource } from '../resource.js'

export const AGENT_TYPE = 'DF Local Controller'
export const AGENT_BINARY = 'dragonflow'
/** external_ids keys the API owns (the agent keeps them when it re-registers) */
export const ADMIN_STATE_ID = 'neutron:admin-state-up'
export const DESCRIPTION_ID = 'neutron:description'

const ro = (filter: 'string' | 'bool' | 'none'): { filter: typeof filter } => ({ filter })

export const AGENT_ATTRIBUTES: AttributeMap = {
  id: ro('string'),
  agent_type: ro('string'),
  binary: ro('string'),
  topic: ro('string'),
  host: ro('string'),
  admin_state_up: { put: true, convert: bool, filter: 'bool' },
  created_at: ro('string'),
  started_at: ro('string'),
  heartbeat_timestamp: ro('string'),
  alive: ro('bool'),
  configurations: ro('none'),
  description: { put: true, convert: nullable(str(255)), filter: 'string' },
  availability_zone: ro('string'),
}

/** Neutron renders agent times as its database does: "YYYY-MM-DD HH:MM:SS", UTC. */
function neutronTime(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
}

function parseMappings(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of (text ?? '').split(',')) {
    const at = pair.indexOf(':')
    if (at > 0) out[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return out
}

/** The agent dictionary of one chassis row. */
export function agentOf(c: Chassis, opts: { now: number; downMs: number }): Item {
  const ids = c.external_ids ?? {}
  const time = (key: string): string | null => {
    const t = Date.parse(ids[key] ?? '')
    return neutronTime(Number.isFinite(t) ? t : undefined)
  }
  const description = ids[DESCRIPTION_ID]
  return {
    id: c.id,
    agent_type: AGENT_TYPE,
    binary: AGENT_BINARY,
    topic: 'N/A',
    host: c.hostname,
    admin_state_up: ids[ADMIN_STATE_ID] !== 'false',
    created_at: time(CREATED_AT_ID) ?? neutronTime(lastHeartbeat(c)),
    started_at: time(STARTED_AT_ID) ?? neutronTime(lastHeartbeat(c)),
    heartbeat_timestamp: neutronTime(lastHeartbeat(c)),
    alive: chassisAlive(c, opts),
    configurations: {
      tunnel_types: c.tunnel_types ?? [],
      tunnel_ip: c.tunnel_ip ?? '',
      bridge_mappings: parseMappings(ids[BRIDGE_MAPPINGS_ID]),
      hw_profile: ids['dragonflow:profile'] ?? '',
    },
    availability_zone: null,
    description: description ?? null,
  }
}

/**
 * Hosts (chassis id and hostname, as a port's binding:host_id names either) -> whether a chassis of that name is
 * alive. A host with no chassis row is absent: its ports keep what was stored.
 */
export async function hostLiveness(nb: Neutron, now = Date.now()): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>()
  for (const row of await nb.db.list<Chassis>(TABLES.chassis)) {
    const alive = chassisAlive(row.value, { now, downMs: nb.agentDownMs })
    for (const host of [row.id, row.value.hostname]) if (host) out.set(host, (out.get(host) ?? false) || alive)
  }
  return out
}

export const agents: Resource<Chassis> = {
  collection: 'agents',
  member: 'agent',
  table: TABLES.chassis,
  attributes: AGENT_ATTRIBUTES,
  notFound: 'AgentNotFound',

  create() {
    // Neutron: agents register themselves over RPC; the REST API has no create (AgentPluginBase.create_agent)
    return Promise.reject(new ApiError('HTTPBadRequest', { detail: 'Agents register themselves; they cannot be created through the API' }))
  },

  async update(nb, _ctx, row, changes) {
    return nb.db.mutate<Chassis>(
      TABLES.chassis,
      row.id,
      cur => {
        const ids = { ...cur.value.external_ids }
        if (changes.admin_state_up !== undefined) ids[ADMIN_STATE_ID] = changes.admin_state_up === true ? 'true' : 'false'
        if (changes.description !== undefined) {
          if (changes.description === null) delete ids[DESCRIPTION_ID]
          else ids[DESCRIPTION_ID] = changes.description as string
        }
        return { ...cur.value, external_ids: ids }
      },
      () => new ApiError('AgentNotFound', { id: row.id }),
    )
  },

  async remove(nb, _ctx, row) {
    if (chassisAlive(row.value, { now: Date.now(), downMs: nb.agentDownMs })) {
      throw new ApiError('Conflict', {
        detail: `Agent ${row.id} is alive: stop it before deleting it (its chassis row is the tunnel endpoint other nodes use)`,
      })
    }
    // CAS on the version read: a heartbeat in between (the agent came back) makes this a conflict, not a delete
    await nb.db.transact([{ op: 'delete', table: TABLES.chassis, id: row.id, version: row.version }])
  },

  async decorate(nb, _ctx, items) {
    const now = Date.now()
    for (const i of items) {
      const view = agentOf(i as unknown as Chassis, { now, downMs: nb.agentDownMs })
      for (const k of Object.keys(i)) delete i[k] // the row's own fields give way to the agent view
      Object.assign(i, view)
    }
  },
}
