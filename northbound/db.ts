// Typed access to the store for the API: reads cast to model types, compare-and-swap updates retried on
// version conflicts, and store failures mapped to API errors. Only the Store interface is used here.
import { ApiError } from '../model/errors.js'
import { type Store, StoreError, type StoredObject, type TxOp } from '../store/types.js'

export interface Row<T> {
  id: string
  version: number
  topics: string[]
  value: T
}

export function asRow<T>(o: StoredObject): Row<T> {
  return { id: o.id, version: o.version, topics: o.topics, value: o.value as unknown as T }
}

/** Timestamps as Neutron shows them: ISO 8601, seconds precision, 'Z'. */
export function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export function isStoreError(err: unknown, code: StoreError['code']): boolean {
  return err instanceof StoreError && err.code === code
}

export class Db {
  constructor(readonly store: Store) {}

  async get<T>(table: string, id: string): Promise<Row<T> | undefined> {
    const o = await this.wrap(() => this.store.get(table, id))
    return o ? asRow<T>(o) : undefined
  }

  /** `opts.prefix`: only ids that start with it (a subnet's allocation records are `<subnet>_<address>`). */
  async list<T>(table: string, topic?: string, opts: { prefix?: string } = {}): Promise<Row<T>[]> {
    const filter = { ...(topic ? { topic } : {}), ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}) }
    const rows = await this.wrap(() => this.store.list(table, filter))
    return rows.map(o => asRow<T>(o))
  }

  /** Ids of the objects `list` would return; no copies of the objects where the driver can avoid them. */
  async ids(table: string, topic?: string): Promise<string[]> {
    const opts = topic ? { topic } : undefined
    return this.wrap(async () => (this.store.ids ? this.store.ids(table, opts) : (await this.store.list(table, opts)).map(o => o.id)))
  }

  async transact(ops: TxOp[]): Promise<StoredObject[]> {
    return this.wrap(() => this.store.transact(ops))
  }

  async create<T>(table: string, id: string, value: T, topics: string[]): Promise<Row<T>> {
    const o = await this.wrap(() => this.store.create(table, id, value as unknown as Record<string, unknown>, topics))
    return asRow<T>(o)
  }

  /**
   * Read-modify-write with CAS: `change` gets the current value and returns the new one (or undefined to
   * leave it). Retried when another writer got in between.
   */
  async mutate<T>(
    table: string,
    id: string,
    change: (current: Row<T>) => Promise<T | undefined> | T | undefined,
    onMissing: () => ApiError,
  ): Promise<Row<T>> {
    for (let attempt = 0; ; attempt++) {
      const cur = await this.get<T>(table, id)
      if (!cur) throw onMissing()
      const next = await change(cur)
      if (next === undefined) return cur
      try {
        const o = await this.store.update(table, id, next as unknown as Record<string, unknown>, cur.version, cur.topics)
        return asRow<T>(o)
      } catch (err) {
        if (isStoreError(err, 'version_conflict') && attempt < 20) continue
        if (isStoreError(err, 'not_found')) throw onMissing()
        throw err
      }
    }
  }

  /**
   * `build`'s ops in one transaction with a rewrite of the parent object to the value `build` gives (compare-and-
   * swap on it): the parent is what the ops depend on (a network and its policies, a group and its rules). When
   * another writer got in between, `build` runs again on the parent as it is now.
   */
  async transactOnParent<T>(
    parent: { table: string; id: string },
    onMissing: () => ApiError,
    build: (current: Row<T>) => Promise<{ ops: TxOp[]; value: T }> | { ops: TxOp[]; value: T },
  ): Promise<StoredObject[]> {
    for (let attempt = 0; ; attempt++) {
      const cur = await this.get<T>(parent.table, parent.id)
      if (!cur) throw onMissing()
      const { ops, value } = await build(cur)
      const write: TxOp = {
        op: 'update',
        table: parent.table,
        id: cur.id,
        version: cur.version,
        topics: cur.topics,
        value: value as unknown as Record<string, unknown>,
      }
      try {
        return await this.transact([...ops, write])
      } catch (err) {
        if (isStoreError(err, 'version_conflict') && attempt < 20) continue
        throw err
      }
    }
  }

  /**
   * `ops` in one transaction with a rewrite of the parent object (its updated_at), which gives the parent a new
   * revision: Neutron bumps a network's revision when its subnets change, a group's when its rules do.
   */
  async transactWithRevisionBump(ops: TxOp[], parent: { table: string; id: string }, onMissing: () => ApiError): Promise<StoredObject[]> {
    return this.transactOnParent<Record<string, unknown>>(parent, onMissing, cur => ({ ops, value: { ...cur.value, updated_at: now() } }))
  }

  async allocateKey(space: string): Promise<number> {
    return this.wrap(() => this.store.allocateKey(space))
  }

  // StoreErrors pass through so that services can act on 'already_exists'; the HTTP layer maps the rest.
  private async wrap<R>(fn: () => Promise<R>): Promise<R> {
    return fn()
  }
}

/** Store errors that escape a service become API errors; StoreErrors a service expects are caught before. */
export function mapStoreError(err: unknown): unknown {
  if (err instanceof ApiError || !(err instanceof StoreError)) return err
  if (err.code === 'unavailable') return new ApiError('ServiceUnavailable', { detail: err.message })
  if (err.code === 'version_conflict' || err.code === 'already_exists')
    return new ApiError('Conflict', { detail: `Concurrent change: ${err.message}` })
  if (err.code === 'not_found') return new ApiError('HTTPNotFound')
  return err
}
