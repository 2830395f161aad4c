// Port status back to the store, as Neutron reports it: ACTIVE when the port is bound on this node (plugged,
// with an ofport) and administratively up, DOWN otherwise. Written with CAS; a conflict means someone else
// changed the port meanwhile, so we read it again and decide again.
import { TABLES } from '../../model/tables.js'
import { StoreError, type Store } from '../../store/types.js'

export type PortStatus = 'ACTIVE' | 'DOWN'

export function statusOf(bound: boolean, value: Record<string, unknown>): PortStatus {
  return bound && value.admin_state_up !== false ? 'ACTIVE' : 'DOWN'
}

/** Write the status a port should have now; returns what was written, or undefined when nothing changed. */
export async function reportPortStatus(store: Store, portId: string, bound: boolean): Promise<PortStatus | undefined> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const cur = await store.get(TABLES.ports, portId)
    if (cur === undefined) return undefined
    const status = statusOf(bound, cur.value)
    if (cur.value.status === status) return undefined
    try {
      await store.update(TABLES.ports, portId, { ...cur.value, status }, cur.version, cur.topics)
      return status
    } catch (err) {
      if (err instanceof StoreError && err.code === 'version_conflict') continue
      if (err instanceof StoreError && err.code === 'not_found') return undefined
      throw err
    }
  }
  return undefined
}
