// What this API process believes is allocated, for choosing addresses (northbound/ipam.ts). The store's create
// of an allocation record stays the arbiter; the hint only keeps us from trying addresses known to be taken.
//
// A subnet's records are read from the store once (a range over `<subnet>_` ids, not the whole table), then kept
// current by the store's change feed on ip_allocations, so allocations and releases made by other API processes
// sharing the store are learnt as they commit, without reading again. Re-reading after every collision, as
// before, was O(all allocation records) each time: the process that lost a race read for longest, lost the
// next race too, and starved (store/README.md, "Several API processes").
//
//   watch(ip_allocations), once ──► change ──► subnet read: apply │ being read: queue │ never read: ignore
//   first use of a subnet ──► list(ip_allocations, prefix '<subnet>_') ──► apply the queue ──► read
//
// Per subnet it also keeps a scan mark (the lowest address that may be free: below it every pool address is
// taken, as far as the hint knows) and whether another writer was seen racing for its addresses.
import { tryParseIp } from '../datapath/host/addresses.js'
import { TABLES } from '../model/tables.js'
import type { IpAllocation } from '../model/types.js'
import type { Change, Unsubscribe } from '../store/types.js'
import type { Db } from './db.js'

interface SubnetRead {
  /** Settles when the read is in (concurrent first uses share it). */
  ready: Promise<void>
  /** Changes that arrived during the read: applied after it, in order. */
  queued?: Change[]
}

/** How long a subnet counts as contended after another writer took an address this process had chosen. */
export const CONTENDED_MS = 30_000

/** The subnet of an allocation record id (`<subnet>_<address>`, the address with no '_': model/tables.ts). */
function subnetOfId(id: string): string {
  return id.slice(0, id.lastIndexOf('_'))
}

export class AllocationHint {
  /** subnet id -> allocation id -> record */
  private readonly bySubnet = new Map<string, Map<string, IpAllocation>>()
  private readonly reads = new Map<string, SubnetRead>()
  private readonly marks = new Map<string, bigint>()
  private readonly contendedUntil = new Map<string, number>()
  private watching: Promise<Unsubscribe | undefined> | undefined

  constructor(private readonly db: Db) {}

  /** Reads these subnets' records on first use, or again when `reread` (their pools looked exhausted). */
  async load(subnetIds: readonly string[], reread = false): Promise<void> {
    await this.watch()
    await Promise.all(subnetIds.map(s => this.read(s, reread)))
  }

  /** The record of an allocation id, if the hint knows it (no copy: one lookup per address a scan tries). */
  get(id: string): IpAllocation | undefined {
    return this.bySubnet.get(subnetOfId(id))?.get(id)
  }

  /** A record found in the store (after a collision): the next choice avoids it. */
  learn(id: string, record: IpAllocation): void {
    this.bySubnet.get(record.subnet_id)?.set(id, record)
  }

  /** Our own commit: these records are ours now, those are gone. */
  committed(added: Map<string, IpAllocation>, removed: Iterable<string>): void {
    for (const id of removed) this.release(id)
    for (const [id, rec] of added) this.learn(id, rec)
  }

  /** Addresses being given back (a port delete about to commit): free for the next choice in this process. */
  released(ids: Iterable<string>): void {
    for (const id of ids) this.release(id)
  }

  mark(subnetId: string): bigint | undefined {
    return this.marks.get(subnetId)
  }

  /** A scan from the mark found `firstFree` as the first address not taken: nothing below it is free. */
  advance(subnetId: string, firstFree: bigint): void {
    if (firstFree > (this.marks.get(subnetId) ?? -1n)) this.marks.set(subnetId, firstFree)
  }

  /** An address that may be free again (released, or chosen and not committed): a later scan must see it. */
  lower(subnetId: string, ip: string): void {
    const v = tryParseIp(ip)?.value
    const mark = this.marks.get(subnetId)
    if (v !== undefined && mark !== undefined && v < mark) this.marks.set(subnetId, v)
  }

  forgetMarks(subnetIds: Iterable<string>): void {
    for (const s of subnetIds) this.marks.delete(s)
  }

  /** Another writer took an address we had chosen in this subnet. */
  contend(subnetId: string, now = Date.now()): void {
    this.contendedUntil.set(subnetId, now + CONTENDED_MS)
  }

  contended(subnetId: string, now = Date.now()): boolean {
    const until = this.contendedUntil.get(subnetId)
    if (until === undefined) return false
    if (until > now) return true
    this.contendedUntil.delete(subnetId)
    return false
  }

  private read(subnetId: string, reread: boolean): Promise<void> {
    const known = this.reads.get(subnetId)
    if (known && !reread) return known.ready
    const read: SubnetRead = { ready: Promise.resolve(), queued: [] }
    read.ready = (async () => {
      const records = new Map<string, IpAllocation>()
      try {
        for (const a of await this.db.list<IpAllocation>(TABLES.ipAllocations, undefined, { prefix: `${subnetId}_` })) {
          if (a.value.subnet_id === subnetId) records.set(a.id, a.value)
        }
      } catch (err) {
        if (this.reads.get(subnetId) === read) this.reads.delete(subnetId)
        throw err
      }
      if (this.reads.get(subnetId) !== read) return // a newer read replaced this one
      this.bySubnet.set(subnetId, records)
      const queued = read.queued ?? []
      delete read.queued
      for (const c of queued) this.apply(c)
    })()
    this.reads.set(subnetId, read)
    return read.ready
  }

  private release(id: string): void {
    const records = this.bySubnet.get(subnetOfId(id))
    const rec = records?.get(id)
    records?.delete(id)
    if (rec) this.lower(rec.subnet_id, rec.ip_address)
  }

  /** Subscribes once; a store that cannot watch leaves the hint to learn from collisions only. */
  private watch(): Promise<Unsubscribe | undefined> {
    this.watching ??= this.db.store.watch(c => this.onChange(c), { table: TABLES.ipAllocations }).catch(() => undefined)
    return this.watching
  }

  private onChange(change: Change): void {
    const read = this.reads.get(subnetOfId(change.id))
    if (!read) return // never read: its first read will see the change
    if (read.queued) read.queued.push(change)
    else this.apply(change)
  }

  private apply(change: Change): void {
    if (change.action === 'delete') this.release(change.id)
    else this.learn(change.id, change.value as unknown as IpAllocation)
  }
}
