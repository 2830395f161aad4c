// The embedded store: all objects in memory, every commit appended to a checksummed log and fsynced before it is
// acknowledged, snapshots to bound the log. One process owns a data directory (LOCK file).
//
// Commits are group-committed: transactions queue up while a batch is being fsynced, then the next batch is
// checked against (committed state + the batch so far), written with one write and one fdatasync, applied, and
// only then acknowledged and delivered to watchers. Readers therefore never see a write that is not yet durable.
import { existsSync, mkdirSync, unlinkSync } from 'node:fs'
import { copyJson } from '../../json-copy.js'
import { asJson, checkKeySpace, objectKey, planTransaction } from '../../tx-plan.js'
import { type Change, type ListOptions, type Store, StoreError, type StoredObject, type TxOp, type Unsubscribe } from '../../types.js'
import { WarningLog } from '../../warning-log.js'
import { fsyncDir, listFiles, logPath } from './data-dir.js'
import { type DirLock, lockDir } from './lock-file.js'
import { LogWriter } from './log-writer.js'
import { encodeRecord } from './record-codec.js'
import { recover } from './recovery.js'
import { writeSnapshot } from './snapshot.js'
import { applyRecord, getObject, type LogRecord, objectsOf, type State } from './state.js'

export interface EmbeddedOptions {
  dir: string
  /** Records between snapshots (default 10000). */
  compactEvery?: number
  /**
   * Open without the lock and never write: for inspecting a directory a running process owns (`dragonflow db`).
   * Shows what was durable at open time; writes fail with 'invalid'.
   */
  readOnly?: boolean
  /** Told about recoverable trouble (a torn tail cut off on open, a throwing watch handler); default: logged once per code. */
  onWarning?: (err: StoreError) => void
}

type Job =
  | { kind: 'tx'; ops: TxOp[]; resolve: (objs: StoredObject[]) => void; reject: (err: unknown) => void }
  | { kind: 'key'; space: string; resolve: (key: number) => void; reject: (err: unknown) => void }

type Watcher = { handler: (change: Change) => void; table?: string }

export async function openEmbeddedStore(opts: EmbeddedOptions): Promise<EmbeddedStore> {
  if (opts.readOnly) {
    if (!existsSync(opts.dir)) throw new StoreError('not_found', `no store at ${opts.dir}`)
    const recovered = recover(opts.dir, { readOnly: true })
    return new EmbeddedStore(opts, { state: recovered.state })
  }
  mkdirSync(opts.dir, { recursive: true })
  const lock = lockDir(opts.dir)
  try {
    const recovered = recover(opts.dir)
    const path = recovered.lastLog?.path ?? logPath(opts.dir, recovered.state.seq + 1)
    const log = await LogWriter.open(path)
    const store = new EmbeddedStore(opts, { state: recovered.state, lock, log, logRecords: recovered.replayed })
    if (recovered.truncated) store.warn(recovered.truncated)
    store.recoveryReport = recovered.truncated
    return store
  } catch (err) {
    lock.release()
    throw err
  }
}

export class EmbeddedStore implements Store {
  /** Set when opening cut off a torn tail (also told to onWarning). */
  recoveryReport: StoreError | undefined
  private readonly queue: Job[] = []
  private flushing: Promise<void> = Promise.resolve()
  private busy = false
  private readonly watchers = new Set<Watcher>()
  readonly warnings: WarningLog
  private recordsSinceSnapshot: number
  private failure: StoreError | undefined
  private closed = false
  private readonly lock: DirLock | undefined
  private readonly state: State
  private log: LogWriter | undefined // undefined: read-only

  /** Use openEmbeddedStore. `logRecords`: records recovered from logs, which count towards the next snapshot. */
  constructor(
    private readonly opts: EmbeddedOptions,
    parts: { state: State; lock?: DirLock; log?: LogWriter; logRecords?: number },
  ) {
    this.state = parts.state
    this.lock = parts.lock
    this.log = parts.log
    this.recordsSinceSnapshot = parts.logRecords ?? 0
    this.warnings = new WarningLog(`dragonflow store ${opts.dir}`, opts.onWarning)
  }

  warn(err: StoreError): void {
    this.warnings.report(err)
  }

  async get(table: string, id: string): Promise<StoredObject | undefined> {
    this.checkOpen()
    const obj = getObject(this.state, table, id)
    return obj && copyJson(obj) // callers may edit what they read; the committed copy must not change
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

  transact(ops: TxOp[]): Promise<StoredObject[]> {
    return new Promise((resolve, reject) => this.enqueue({ kind: 'tx', ops: asJson(ops), resolve, reject }))
  }

  allocateKey(space: string): Promise<number> {
    return new Promise((resolve, reject) => {
      checkKeySpace(space)
      this.enqueue({ kind: 'key', space, resolve, reject })
    })
  }

  async list(table: string, opts?: ListOptions): Promise<StoredObject[]> {
    this.checkOpen()
    const out: StoredObject[] = []
    for (const o of objectsOf(this.state, table, opts?.topic))
      if (opts?.prefix === undefined || o.id.startsWith(opts.prefix)) out.push(copyJson(o))
    return out
  }

  /** Like list, ids only: nothing is copied, so a count over a big table (a quota check) stays cheap. */
  async ids(table: string, opts?: ListOptions): Promise<string[]> {
    this.checkOpen()
    const out: string[] = []
    for (const o of objectsOf(this.state, table, opts?.topic))
      if (opts?.prefix === undefined || o.id.startsWith(opts.prefix)) out.push(o.id)
    return out
  }

  /** Every table that holds at least one object, sorted. */
  async tables(): Promise<string[]> {
    this.checkOpen()
    return [...this.state.tables.keys()].sort() // empty tables are dropped on their last delete
  }

  async watch(handler: (change: Change) => void, opts?: { table?: string }): Promise<Unsubscribe> {
    this.checkOpen()
    const w: Watcher = opts?.table === undefined ? { handler } : { handler, table: opts.table }
    this.watchers.add(w)
    return async () => {
      this.watchers.delete(w)
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.flushing
    this.watchers.clear()
    await this.log?.close()
    this.lock?.release()
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError('unavailable', `store ${this.opts.dir} is closed`)
    if (this.failure) throw this.failure
  }

  private enqueue(job: Job): void {
    try {
      this.checkOpen()
    } catch (err) {
      job.reject(err)
      return
    }
    if (!this.log) {
      job.reject(new StoreError('invalid', `store ${this.opts.dir} is open read-only`))
      return
    }
    this.queue.push(job)
    if (!this.busy) {
      this.busy = true
      this.flushing = this.flush()
    }
  }

  /** Drains the queue. `busy` is cleared in the same synchronous step as the last empty-queue check, so a job
   * enqueued at any moment is either seen by this loop or starts a new one. */
  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0)
        await this.commitBatch(batch)
        if (this.recordsSinceSnapshot >= (this.opts.compactEvery ?? 10_000)) await this.compact()
      }
    } catch (err) {
      // Only compaction can throw here (commitBatch reports its own errors): keep the log, stop writing.
      this.failure = new StoreError('unavailable', `store ${this.opts.dir} failed to compact: ${String(err)}`, { cause: err })
      for (const j of this.queue.splice(0)) j.reject(this.failure)
    } finally {
      this.busy = false
    }
  }

  private async commitBatch(batch: Job[]): Promise<void> {
    // Plan every job against committed state plus what earlier jobs of this batch wrote.
    const overlay = new Map<string, StoredObject | undefined>()
    const keys = new Map<string, number>()
    const lookup = (table: string, id: string): StoredObject | undefined => {
      const k = objectKey(table, id)
      return overlay.has(k) ? overlay.get(k) : getObject(this.state, table, id)
    }
    const accepted: { job: Job; record: LogRecord; result: StoredObject[] | number }[] = []
    let seq = this.state.seq
    for (const job of batch) {
      try {
        if (job.kind === 'key') {
          const key = (keys.get(job.space) ?? this.state.keys.get(job.space) ?? 0) + 1
          keys.set(job.space, key)
          accepted.push({ job, record: { seq: ++seq, changes: [], keys: { [job.space]: key } }, result: key })
          continue
        }
        const changes = planTransaction(job.ops, lookup)
        const written: StoredObject[] = []
        for (const c of changes) {
          const obj =
            c.action === 'delete' ? undefined : { table: c.table, id: c.id, version: c.version, topics: c.topics, value: c.value ?? {} }
          overlay.set(objectKey(c.table, c.id), obj)
          if (obj) written.push(obj)
        }
        accepted.push({ job, record: { seq: ++seq, changes }, result: written })
      } catch (err) {
        job.reject(err)
      }
    }
    if (accepted.length === 0 || !this.log) return
    try {
      await this.log.append(Buffer.concat(accepted.map(a => encodeRecord(a.record))))
    } catch (err) {
      // The log may now hold part of the batch: stop accepting writes; reopening recovers what is durable.
      this.failure = new StoreError('unavailable', `store ${this.opts.dir} failed to write its log: ${String(err)}`, { cause: err })
      for (const a of accepted) a.job.reject(this.failure)
      for (const j of this.queue.splice(0)) j.reject(this.failure)
      return
    }
    for (const a of accepted) {
      applyRecord(this.state, a.record)
      this.recordsSinceSnapshot++
      if (a.job.kind === 'key') a.job.resolve(a.result as number)
      else a.job.resolve(copyJson(a.result as StoredObject[]))
      for (const change of a.record.changes) this.deliver(copyJson({ ...change, revision: a.record.seq }))
    }
  }

  private deliver(change: Change): void {
    for (const w of this.watchers) {
      if (w.table !== undefined && w.table !== change.table) continue
      try {
        w.handler(change)
      } catch (err) {
        this.warn(new StoreError('invalid', `a watch handler threw on ${change.table}/${change.id}: ${String(err)}`, { cause: err }))
      }
    }
  }

  /** Snapshot, start a new log, then drop the files the snapshot covers. */
  private async compact(): Promise<void> {
    const dir = this.opts.dir
    writeSnapshot(dir, this.state)
    const old = this.log
    const next = await LogWriter.open(logPath(dir, this.state.seq + 1))
    this.log = next
    await old?.close()
    const files = listFiles(dir)
    for (const s of files.snapshots) if (s.seq < this.state.seq) unlinkSync(s.path)
    for (const l of files.logs) if (l.path !== next.path) unlinkSync(l.path)
    fsyncDir(dir)
    this.recordsSinceSnapshot = 0
  }
}

function one(objs: StoredObject[]): StoredObject {
  const [obj] = objs
  if (!obj) throw new StoreError('invalid', 'transaction returned no object')
  return obj
}
