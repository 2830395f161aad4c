// The embedded store's contents in memory, and the one function that changes them (used both by live commits
// and by recovery, so replay cannot drift from what was acknowledged).
import { objectOf } from '../../tx-plan.js'
import type { Change, StoredObject } from '../../types.js'

/** One committed transaction, as written to the log. `keys` holds key spaces' new high-water marks. */
export interface LogRecord {
  seq: number
  changes: Change[]
  keys?: Record<string, number>
}

export interface State {
  /** table -> id -> object (by table, so a list reads one table, not the whole store) */
  tables: Map<string, Map<string, StoredObject>>
  /** key space -> last allocated key */
  keys: Map<string, number>
  /** seq of the last applied record (0: empty store) */
  seq: number
}

export function emptyState(): State {
  return { tables: new Map(), keys: new Map(), seq: 0 }
}

export function getObject(state: State, table: string, id: string): StoredObject | undefined {
  return state.tables.get(table)?.get(id)
}

export function putObject(state: State, obj: StoredObject): void {
  let table = state.tables.get(obj.table)
  if (!table) state.tables.set(obj.table, table = new Map())
  table.set(obj.id, obj)
}

function removeObject(state: State, table: string, id: string): void {
  const t = state.tables.get(table)
  if (t?.delete(id) && t.size === 0) state.tables.delete(table)
}

export function* allObjects(state: State): Generator<StoredObject> {
  for (const table of state.tables.values()) yield* table.values()
}

export function applyRecord(state: State, record: LogRecord): void {
  for (const change of record.changes) {
    if (change.action === 'delete') removeObject(state, change.table, change.id)
    else putObject(state, objectOf(change))
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
