// The embedded store's contents in memory, and the one function that changes them (used both by live commits
// and by recovery, so replay cannot drift from what was acknowledged).
import { objectKey, objectOf } from '../../tx-plan.js'
import type { Change, StoredObject } from '../../types.js'

/** One committed transaction, as written to the log. `keys` holds key spaces' new high-water marks. */
export interface LogRecord {
  seq: number
  changes: Change[]
  keys?: Record<string, number>
}

export interface State {
  /** objectKey(table, id) -> object */
  objects: Map<string, StoredObject>
  /** key space -> last allocated key */
  keys: Map<string, number>
  /** seq of the last applied record (0: empty store) */
  seq: number
}

export function emptyState(): State {
  return { objects: new Map(), keys: new Map(), seq: 0 }
}

export function applyRecord(state: State, record: LogRecord): void {
  for (const change of record.changes) {
    const key = objectKey(change.table, change.id)
    if (change.action === 'delete') state.objects.delete(key)
    else state.objects.set(key, objectOf(change))
  }
  for (const [space, value] of Object.entries(record.keys ?? {})) {
    state.keys.set(space, Math.max(value, state.keys.get(space) ?? 0))
  }
  state.seq = record.seq
}

/** Structural check of a decoded record: its checksum matched, but the writer may have been another version. */
export function isLogRecord(value: unknown): value is LogRecord {
  if (typeof value !== 'object' || value === null) return false
  const r = value as Partial<LogRecord>
  return Number.isInteger(r.seq) && Array.isArray(r.changes)
}
