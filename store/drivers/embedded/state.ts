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
  /**
   * table -> topic -> ids: a list or count by topic (a network's allocations, a project's ports for its quota)
   * visits what it returns, not the whole table, so it does not slow down as other networks and projects grow.
   */
  byTopic: Map<string, Map<string, Set<string>>>
  /** key space -> last allocated key */
  keys: Map<string, number>
  /** seq of the last applied record (0: empty store) */
  seq: number
}

export function emptyState(): State {
  return { tables: new Map(), byTopic: new Map(), keys: new Map(), seq: 0 }
}

export function getObject(state: State, table: string, id: string): StoredObject | undefined {
  return state.tables.get(table)?.get(id)
}

export function putObject(state: State, obj: StoredObject): void {
  let table = state.tables.get(obj.table)
  if (!table) state.tables.set(obj.table, (table = new Map<string, StoredObject>()))
  const old = table.get(obj.id)
  // Only topics it leaves are dropped: an id keeps its place in a topic's order, as in the table's (list order).
  if (old) unindex(state, old, obj.topics)
  table.set(obj.id, obj)
  let topics = state.byTopic.get(obj.table)
  if (!topics) state.byTopic.set(obj.table, (topics = new Map<string, Set<string>>()))
  for (const t of obj.topics) {
    let ids = topics.get(t)
    if (!ids) topics.set(t, (ids = new Set()))
    ids.add(obj.id)
  }
}

function removeObject(state: State, table: string, id: string): void {
  const t = state.tables.get(table)
  const old = t?.get(id)
  if (!t || !old) return
  unindex(state, old)
  t.delete(id)
  if (t.size === 0) state.tables.delete(table)
}

function unindex(state: State, obj: StoredObject, keep: readonly string[] = []): void {
  const topics = state.byTopic.get(obj.table)
  for (const t of obj.topics) {
    if (keep.includes(t)) continue
    const ids = topics?.get(t)
    if (ids?.delete(obj.id) && ids.size === 0) topics?.delete(t)
  }
  if (topics?.size === 0) state.byTopic.delete(obj.table)
}

/** Objects of `table`, all or those published on `topic`; read-only (the committed objects, not copies). */
export function* objectsOf(state: State, table: string, topic?: string): Generator<StoredObject> {
  const objects = state.tables.get(table)
  if (!objects) return
  if (topic === undefined) {
    yield* objects.values()
    return
  }
  for (const id of state.byTopic.get(table)?.get(topic) ?? []) {
    const o = objects.get(id)
    if (o) yield o
  }
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
