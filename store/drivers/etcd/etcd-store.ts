// The store on etcd: one key per object (see keys.ts), transactions as etcd txns whose compares are the CAS
// checks, key allocation by CAS on a counter key, watch by etcd watch (which resumes from its last revision after
// a reconnect, so no change is missed across an etcd restart).
import { randomBytes } from 'node:crypto'
import { Etcd3, type IKeyValue, type IOptions, type Namespace, Range, type Watcher } from 'etcd3'
import { asJson, checkOps } from '../../tx-plan.js'
import { type Change, type ListOptions, type Store, StoreError, type StoredObject, type TxOp, type Unsubscribe } from '../../types.js'
import { decodeEvent, decodeObject, encodeBody } from './codec.js'
import { committedEarlier, explainFailure } from './txn-outcome.js'
import { getLogger } from '../../../log/logger.js'
import { WarningLog } from '../../warning-log.js'
import { guard } from './errors.js'
import { KeyAllocator } from './key-allocator.js'
import { OBJECTS, objectPath, parseObjectPath, tablePrefix } from './keys.js'

export interface EtcdOptions {
  endpoints: string[]
  /** Key prefix, so several deployments (or tests) can share one etcd; default "dragonflow/". */
  prefix?: string
  dialTimeoutMs?: number
  onWarning?: (err: StoreError) => void
}

/** Keys per range of a list (each a few hundred bytes: well under gRPC's 4 MiB per message). */
const LIST_PAGE = 1000

type Backoff = NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']>

/** Capped exponential backoff for watch reconnects: etcd3's default grows to 30 s, too slow after a restart. */
function watchBackoff(duration = 100): Backoff {
  return { duration, next: () => watchBackoff(Math.min(duration * 2, 2_000)) }
}

export async function openEtcdStore(opts: EtcdOptions): Promise<EtcdStore> {
  const client = new Etcd3({
    hosts: opts.endpoints,
    dialTimeout: opts.dialTimeoutMs ?? 5_000,
    faultHandling: { watchBackoff: watchBackoff() },
  })
  const store = new EtcdStore(client, opts)
  try {
    await guard('connect', () => client.maintenance.status())
  } catch (err) {
    client.close()
    throw err
  }
  return store
}

export class EtcdStore implements Store {
  readonly prefix: string
  private readonly ns: Namespace
  private readonly keys: KeyAllocator
  private readonly watchers = new Set<Watcher>()
  readonly warnings: WarningLog
  private closed = false

  constructor(
    private readonly client: Etcd3,
    private readonly opts: EtcdOptions,
  ) {
    this.prefix = opts.prefix ?? 'dragonflow/'
    this.ns = client.namespace(this.prefix)
    this.keys = new KeyAllocator(this.ns)
    this.warnings = new WarningLog(`dragonflow store etcd ${this.prefix}`, opts.onWarning)
  }

  async get(table: string, id: string): Promise<StoredObject | undefined> {
    this.checkOpen()
    const key = objectPath(table, id)
    const res = await guard('get', () => this.ns.get(key).exec())
    const kv = res.kvs[0]
    return kv && decodeObject(key, kv)
  }

  async create(table: string, id: string, value: Record<string, unknown>, topics: string[]): Promise<StoredObject> {
    return one(await this.transact([{ op: 'create', table, id, value, topics }]))
  }

  async update(table: string, id: string, value: Record<string, unknown>, version: number, topics: string[]): Promise<StoredObject> {
    return one(await this.transact([{ op: 'update', table, id, value, version, topics }]))
  }

  async delete(table: string, id: string, version?: number): Promise<void> {
    await this.transact([version === undefined ? { op: 'delete', table, id } : { op: 'delete', table, id, version }])
  }

  /**
   * One etcd txn: if every CAS compare holds, every write; otherwise read the keys back to say which op failed.
   * etcd3 retries a call whose connection failed; if the first attempt had committed, the retry's compares fail
   * against our own writes. The token in each written body recognises that case as the success it was.
   */
  async transact(given: TxOp[]): Promise<StoredObject[]> {
    this.checkOpen()
    const ops = asJson(given)
    checkOps(ops)
    const tx = randomBytes(8).toString('hex')
    const paths = ops.map(op => objectPath(op.table, op.id))
    const first = ops[0] as TxOp
    let txn = this.ns.if(paths[0] as string, 'Version', ...compareOf(first))
    ops.slice(1).forEach((op, i) => {
      txn = txn.and(paths[i + 1] as string, 'Version', ...compareOf(op))
    })
    const writes = ops.map((op, i) =>
      op.op === 'delete'
        ? this.ns.delete().key(paths[i] as string)
        : this.ns.put(paths[i] as string).value(encodeBody({ topics: op.topics, value: op.value, tx })),
    )
    const reads = paths.map(p => this.ns.get(p))
    const res = await guard('txn', () =>
      txn
        .then(...writes)
        .else(...reads)
        .commit(),
    )
    if (!res.succeeded) {
      const current = res.responses.map(r => r.response_range?.kvs[0])
      if (!committedEarlier(ops, { current, tx })) throw explainFailure(ops, current)
    }
    const out: StoredObject[] = []
    for (const op of ops) {
      if (op.op === 'delete') continue
      const version = op.op === 'create' ? 1 : op.version + 1
      out.push({ table: op.table, id: op.id, version, topics: op.topics, value: op.value }) // ops is our own copy
    }
    return out
  }

  /**
   * One range per LIST_PAGE keys, all at the revision of the first page (one consistent snapshot): a single
   * range of a big table is one gRPC message, and past 4 MiB (about 20k allocation records) etcd3 refuses it
   * (RESOURCE_EXHAUSTED), which failed every create of a process that had to read the table.
   */
  async list(table: string, opts?: ListOptions): Promise<StoredObject[]> {
    this.checkOpen()
    const out: StoredObject[] = []
    const range = Range.prefix(tablePrefix(table) + (opts?.prefix ?? ''))
    let start: Buffer = range.start
    let revision: string | undefined
    for (;;) {
      const page = this.ns.getAll().inRange(new Range(start, range.end)).limit(LIST_PAGE)
      if (revision !== undefined) page.revision(revision)
      const res = await guard('list', () => page.exec())
      revision ??= res.header.revision
      for (const kv of res.kvs) {
        const obj = decodeObject(this.relative(kv), kv)
        if (opts?.topic === undefined || obj.topics.includes(opts.topic)) out.push(obj)
      }
      const last = res.kvs.at(-1)
      if (!res.more || !last) return out
      start = Buffer.concat([Buffer.from(this.relative(last), 'utf8'), Buffer.from([0])]) // the next key after it
    }
  }

  /** Like list, ids only: without a topic a keys-only range; a topic lives in the body, so that is read. */
  async ids(table: string, opts?: ListOptions): Promise<string[]> {
    this.checkOpen()
    if (opts?.topic !== undefined) return (await this.list(table, opts)).map(o => o.id)
    const keys = await guard('list keys', () =>
      this.ns
        .getAll()
        .prefix(tablePrefix(table) + (opts?.prefix ?? ''))
        .keys(),
    )
    return keys
      .map(k => parseObjectPath(k.startsWith(this.prefix) ? k.slice(this.prefix.length) : k)?.id)
      .filter((id): id is string => id !== undefined)
  }

  /** Every table that holds at least one object, sorted. */
  async tables(): Promise<string[]> {
    this.checkOpen()
    const keys = await guard('list keys', () => this.ns.getAll().prefix(OBJECTS).keys())
    const names = new Set<string>()
    for (const k of keys) {
      const where = parseObjectPath(k.startsWith(this.prefix) ? k.slice(this.prefix.length) : k)
      if (where) names.add(where.table)
    }
    return [...names].sort()
  }

  allocateKey(space: string): Promise<number> {
    this.checkOpen()
    return this.keys.allocate(space)
  }

  async watch(handler: (change: Change) => void, opts?: { table?: string }): Promise<Unsubscribe> {
    this.checkOpen()
    const prefix = opts?.table === undefined ? OBJECTS : tablePrefix(opts.table)
    const watcher = await guard('watch', () => this.ns.watch().prefix(prefix).withPreviousKV().create())
    this.watchers.add(watcher)
    // 'data' carries a whole watch response: its events are in revision order, a txn's events together.
    watcher.on('data', res => {
      for (const ev of res.events) {
        let change: Change
        try {
          change = decodeEvent(ev, ev.kv.key.toString('utf8'))
        } catch (err) {
          this.warn(err instanceof StoreError ? err : new StoreError('bad_record', String(err)))
          continue
        }
        try {
          handler(change)
        } catch (err) {
          this.warn(new StoreError('invalid', `a watch handler threw on ${change.table}/${change.id}: ${String(err)}`, { cause: err }))
        }
      }
    })
    watcher.on('error', err => this.warn(new StoreError('unavailable', `etcd watch failed: ${err.message}`, { cause: err })))
    // An outage of the whole cluster is otherwise silent: the client reconnects and the watch resumes from its
    // revision. Say when it was lost and when it is back, so an operator sees the gap.
    let lost = false
    watcher.on('disconnected', (err: Error) => {
      lost = true
      this.warn(
        new StoreError(
          'unavailable',
          `etcd watch lost its connection (${err.message}); reconnecting, changes resume from the last revision seen`,
          { cause: err },
        ),
      )
    })
    watcher.on('connected', () => {
      if (!lost) return
      lost = false
      getLogger('store').info(
        `dragonflow store etcd ${this.prefix}: etcd watch connected again; no change was missed (it resumed from its revision)`,
      )
    })
    return async () => {
      if (!this.watchers.delete(watcher)) return
      await watcher.cancel().catch(() => undefined) // cancelling a watch on a dead connection has nothing to undo
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([...this.watchers].map(w => w.cancel().catch(() => undefined)))
    this.watchers.clear()
    this.client.close()
  }

  private relative(kv: IKeyValue): string {
    const key = kv.key.toString('utf8')
    return key.startsWith(this.prefix) ? key.slice(this.prefix.length) : key
  }

  private warn(err: StoreError): void {
    this.warnings.report(err)
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError('unavailable', 'etcd store is closed')
  }
}

/** The compare (on etcd's key Version) that makes an op's precondition. */
function compareOf(op: TxOp): ['==' | '>', number] {
  switch (op.op) {
    case 'create':
      return ['==', 0]
    case 'update':
      return ['==', op.version]
    case 'delete':
      return op.version === undefined ? ['>', 0] : ['==', op.version]
  }
}

function one(objs: StoredObject[]): StoredObject {
  const [obj] = objs
  if (!obj) throw new StoreError('invalid', 'transaction returned no object')
  return obj
}
