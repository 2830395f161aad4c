// The northbound store and pub/sub, as two small interfaces. Drivers (embedded, etcd; later OVSDB, Redis)
// live one per folder under store/drivers/ and register by name in store/registry.ts.

/** A stored object. `version` starts at 1 and increases by one on each update. */
export interface StoredObject<V = Record<string, unknown>> {
  table: string
  id: string
  version: number
  /** Topics the object is published on: its project ("project:<id>") and, where it has one, its network ("network:<id>"). */
  topics: string[]
  value: V
}

export type ChangeAction = 'create' | 'update' | 'delete'

/** What pub/sub carries for every change, in store order per object. */
export interface Change {
  table: string
  id: string
  version: number
  action: ChangeAction
  topics: string[]
  /** The object after the change; absent for delete. */
  value?: Record<string, unknown>
  /**
   * Store-wide commit sequence of the transaction that made the change (embedded: log sequence number; etcd: mod
   * revision). Optional so publishers that do not know it can omit it; it orders changes across a delete and a
   * re-create, where `version` starts again at 1.
   */
  revision?: number
}

/** One operation of an atomic transaction. */
export type TxOp =
  | { op: 'create'; table: string; id: string; topics: string[]; value: Record<string, unknown> }
  /** Compare-and-swap: fails with StoreError 'version_conflict' unless the stored version equals `version`. */
  | { op: 'update'; table: string; id: string; version: number; topics: string[]; value: Record<string, unknown> }
  | { op: 'delete'; table: string; id: string; version?: number }

/**
 * Stable error codes. 'locked': another process holds the embedded store's data directory. 'bad_config': a driver
 * config failed its schema (the message names the key). 'invalid': a malformed request (e.g. one transaction
 * touching the same object twice), a caller bug rather than a race.
 */
export type StoreErrorCode =
  'not_found' | 'already_exists' | 'version_conflict' | 'unavailable' | 'bad_record' | 'locked' | 'bad_config' | 'invalid'

export class StoreError extends Error {
  constructor(
    public readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'StoreError'
  }
}

export type Unsubscribe = () => Promise<void>

export interface ListOptions {
  topic?: string
  prefix?: string
}

export interface Store {
  get(table: string, id: string): Promise<StoredObject | undefined>
  create(table: string, id: string, value: Record<string, unknown>, topics: string[]): Promise<StoredObject>
  /** CAS on version. */
  update(table: string, id: string, value: Record<string, unknown>, version: number, topics: string[]): Promise<StoredObject>
  delete(table: string, id: string, version?: number): Promise<void>
  /** All-or-nothing; acknowledged only once durable. Returns the written objects (deletes omitted). */
  transact(ops: TxOp[]): Promise<StoredObject[]>
  /** `topic`: only objects published on it; `prefix`: only ids starting with it (a subnet's allocation records). */
  list(table: string, opts?: ListOptions): Promise<StoredObject[]>
  /** The ids `list` would return, without the objects (counts, quota checks); optional: Db falls back to list. */
  ids?(table: string, opts?: ListOptions): Promise<string[]>
  /** Next unique small integer of a key space ('network', 'port', 'router'), never reused; atomic across clients. */
  allocateKey(space: string): Promise<number>
  /** Changes to `table` (all tables when absent), in commit order, from now on. */
  watch(handler: (change: Change) => void, opts?: { table?: string }): Promise<Unsubscribe>
  /** Tables holding at least one object, sorted (for tools such as `dragonflow db`); optional for a driver. */
  tables?(): Promise<string[]>
  close(): Promise<void>
}

export interface PubSub {
  publish(change: Change): Promise<void>
  /** Topic as in StoredObject.topics; '*' for all. */
  subscribe(topic: string, handler: (change: Change) => void): Promise<Unsubscribe>
  close(): Promise<void>
}
