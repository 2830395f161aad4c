// What the randomized incremental-compiler tests share (randomized.test.ts, randomized-sg.test.ts): a seeded
// PRNG, a change source that keeps the store's versions (versions restart at 1 after a delete), and the
// independent model of what the compiler should hold. Not a test file.
import type { ModelSnapshot } from '../../agent/compiler/index.js'
import { TABLES } from '../../model/tables.js'
import type { Change, StoredObject } from '../../store/types.js'

/** mulberry32: a tiny seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/** Random draws and the store's side of a change: an object's next version, or (15%) its delete. */
export class ChangeSource {
  /** The store's current version of each object (0 = absent); versions restart at 1 after a delete. */
  private readonly versions = new Map<string, number>()
  /** What the store holds now (for resync steps). */
  readonly store = new Map<string, StoredObject>()
  constructor(private readonly r: () => number) {}
  int(n: number): number {
    return Math.floor(this.r() * n)
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T
  }
  chance(p: number): boolean {
    return this.r() < p
  }

  /** The next change of object `table`/`id`: deleted when it exists and the draw says so, else `make()` stored. */
  protected versioned(table: string, id: string, make: () => { id: string }): Change {
    const key = `${table}/${id}`
    const current = this.versions.get(key) ?? 0
    if (current > 0 && this.chance(0.15)) {
      this.versions.set(key, 0)
      this.store.delete(key)
      return { table, id, version: current, action: 'delete', topics: [] }
    }
    this.versions.set(key, current + 1)
    const value = make() as unknown as Record<string, unknown>
    this.store.set(key, { table, id, version: current + 1, topics: [], value })
    return { table, id, version: current + 1, action: current === 0 ? 'create' : 'update', topics: [], value }
  }
}

/** What the compiler should hold: the same version rules, kept independently of it. */
export class Expected {
  private readonly held = new Map<string, { version: number; value: Record<string, unknown> }>()
  readonly bindings = new Map<string, number>()
  readonly uplinks = new Map<string, number>()
  apply(c: Change): void {
    const key = `${c.table}/${c.id}`
    const held = this.held.get(key)
    if (c.action === 'delete') {
      this.held.delete(key)
      return
    }
    if (held && c.version <= held.version) return
    this.held.set(key, { version: c.version, value: c.value ?? {} })
  }
  /** After a resync the compiler holds exactly what the store holds. */
  resync(objects: StoredObject[]): void {
    this.held.clear()
    for (const o of objects) this.held.set(`${o.table}/${o.id}`, { version: o.version, value: o.value })
  }
  snapshot(): ModelSnapshot {
    const of = <T>(table: string): T[] => [...this.held].filter(([k]) => k.startsWith(`${table}/`)).map(([, v]) => v.value as unknown as T)
    return {
      networks: of(TABLES.networks),
      subnets: of(TABLES.subnets),
      ports: of(TABLES.ports),
      routers: of(TABLES.routers),
      chassis: of(TABLES.chassis),
      securityGroups: of(TABLES.securityGroups),
      securityGroupRules: of(TABLES.securityGroupRules),
      floatingips: of(TABLES.floatingips),
      bindings: new Map(this.bindings),
      uplinks: new Map(this.uplinks),
    }
  }
}
