// Checks a transaction against the current objects and turns it into the changes it makes. Shared by drivers
// that hold their objects in memory (embedded), so every driver reports the same error codes for the same race.
import { type Change, type StoredObject, StoreError, type TxOp } from './types.js'

export type Lookup = (table: string, id: string) => StoredObject | undefined

/** The key of an object inside one map; NUL cannot appear in a table name (see checkOps). */
export function objectKey(table: string, id: string): string {
  return `${table}\u0000${id}`
}

/** Shape checks that need no state: names are usable and no object is touched twice (etcd forbids it in one txn). */
export function checkOps(ops: TxOp[]): void {
  if (!Array.isArray(ops) || ops.length === 0) throw new StoreError('invalid', 'a transaction needs at least one operation')
  const seen = new Set<string>()
  for (const op of ops) {
    if (typeof op.table !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(op.table)) {
      throw new StoreError('invalid', `bad table name ${JSON.stringify(op.table)} (letters, digits, '_', '.', '-')`)
    }
    if (typeof op.id !== 'string' || op.id === '') throw new StoreError('invalid', `bad id ${JSON.stringify(op.id)} in table ${op.table}`)
    const key = objectKey(op.table, op.id)
    if (seen.has(key)) throw new StoreError('invalid', `${op.table}/${op.id} appears twice in one transaction`)
    seen.add(key)
    if (op.op !== 'delete' && (typeof op.value !== 'object' || op.value === null)) {
      throw new StoreError('invalid', `${op.table}/${op.id}: value must be an object`)
    }
  }
}

/** A key space name ('port', 'network'...): the same characters as a table name. */
export function checkKeySpace(space: string): void {
  if (typeof space !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(space)) {
    throw new StoreError('invalid', `bad key space ${JSON.stringify(space)} (letters, digits, '_', '.', '-')`)
  }
}

/**
 * Returns the changes `ops` make, in op order, or throws the StoreError of the first op that cannot apply.
 * Nothing is applied here: the caller applies all changes or none.
 */
export function planTransaction(ops: TxOp[], lookup: Lookup): Change[] {
  checkOps(ops)
  const changes: Change[] = []
  for (const op of ops) {
    const current = lookup(op.table, op.id)
    const name = `${op.table}/${op.id}`
    switch (op.op) {
      case 'create':
        if (current) throw new StoreError('already_exists', `${name} already exists`)
        changes.push({ table: op.table, id: op.id, version: 1, action: 'create', topics: [...op.topics], value: op.value })
        break
      case 'update':
        if (!current) throw new StoreError('not_found', `${name} not found`)
        if (current.version !== op.version) {
          throw new StoreError('version_conflict', `${name} is at version ${current.version}, not ${op.version}`)
        }
        changes.push({ table: op.table, id: op.id, version: op.version + 1, action: 'update', topics: [...op.topics], value: op.value })
        break
      case 'delete':
        if (!current) throw new StoreError('not_found', `${name} not found`)
        if (op.version !== undefined && current.version !== op.version) {
          throw new StoreError('version_conflict', `${name} is at version ${current.version}, not ${op.version}`)
        }
        // A delete keeps the last version and topics so subscribers of those topics hear about it.
        changes.push({ table: op.table, id: op.id, version: current.version, action: 'delete', topics: current.topics })
        break
      default:
        throw new StoreError('invalid', `unknown operation ${JSON.stringify((op as { op: unknown }).op)}`)
    }
  }
  return changes
}

/** The stored object a create/update change leaves behind. */
export function objectOf(change: Change): StoredObject {
  return { table: change.table, id: change.id, version: change.version, topics: change.topics, value: change.value ?? {} }
}

/**
 * A copy of the ops as they will read back from any driver's storage: a Date becomes its
 * string, undefined fields vanish, so memory never holds what a restart would not. Not JSON: 'invalid'.
 */
export function asJson(ops: TxOp[]): TxOp[] {
  try {
    return JSON.parse(JSON.stringify(ops)) as TxOp[]
  } catch (err) {
    throw new StoreError('invalid', `a transaction value is not JSON: ${err instanceof Error ? err.message : String(err)}`)
  }
}
