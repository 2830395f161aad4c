// OVSDB values on the wire (RFC 7047 5.1): atoms, ["uuid", u], ["named-uuid", n], ["set", [...]] and
// ["map", [[k, v], ...]]. A set of exactly one element may be sent bare, and servers send it bare; these
// helpers build and read both forms so no caller looks at the wire shape.
import { OvsdbError } from './errors.js'

export type Uuid = ['uuid', string]
export type NamedUuid = ['named-uuid', string]
export type Atom = string | number | boolean | Uuid | NamedUuid
export type OvsdbSet = ['set', Atom[]]
export type OvsdbMap = ['map', Array<[Atom, Atom]>]
export type Value = Atom | OvsdbSet | OvsdbMap
export type Row = Record<string, Value>

export const uuid = (u: string): Uuid => ['uuid', u]
export const namedUuid = (n: string): NamedUuid => ['named-uuid', n]

/** A set value; one element goes bare, as RFC 7047 allows and OVS does. */
export function set(items: readonly Atom[]): Atom | OvsdbSet {
  return items.length === 1 && items[0] !== undefined ? items[0] : ['set', [...items]]
}

/** The empty set: how an optional column (min 0) says "no value". */
export const emptySet = (): OvsdbSet => ['set', []]

export function map(entries: Record<string, Atom> | ReadonlyArray<[Atom, Atom]>): OvsdbMap {
  // Array.isArray narrows a ReadonlyArray to any[]: name the element type again
  return ['map', Array.isArray(entries) ? [...(entries as ReadonlyArray<[Atom, Atom]>)] : Object.entries(entries)]
}

function isTagged(v: Value, tag: string): boolean {
  return Array.isArray(v) && v[0] === tag
}

/** The elements of a set column, whichever form it came in. */
export function setItems(v: Value | undefined): Atom[] {
  if (v === undefined) return []
  if (isTagged(v, 'set')) return (v as OvsdbSet)[1]
  if (isTagged(v, 'map')) throw new OvsdbError('OVSDB_BAD_VALUE', 'a map where a set was expected')
  return [v as Atom]
}

export type ColumnKind = 'scalar' | 'set' | 'map'

/**
 * A row after a `modify` of a table-updates2 notification (the monitor_cond extension of RFC 7047, as
 * ovsdb-server(7) describes it): a scalar column carries its new value (so does an optional one, 0 or 1
 * element: seen from ovsdb-server 3.1); a set column of more elements the elements to toggle (added if absent,
 * removed if present); a map column the pairs to toggle (a key absent is added, present with the same value
 * removed, with another value replaced).
 * Only columns named in `kinds` are kept.
 */
export function applyRowDiff(row: Row, diff: Row, kinds: Readonly<Record<string, ColumnKind>>): Row {
  const out: Row = { ...row }
  for (const [col, d] of Object.entries(diff)) {
    const kind = kinds[col]
    if (kind === undefined) continue
    if (kind === 'scalar') {
      out[col] = d
      continue
    }
    if (kind === 'set') {
      const items = new Map(setItems(row[col]).map(a => [JSON.stringify(a), a]))
      for (const a of setItems(d)) {
        const k = JSON.stringify(a)
        if (items.has(k)) items.delete(k)
        else items.set(k, a)
      }
      out[col] = ['set', [...items.values()]]
      continue
    }
    const pairs = new Map(
      (row[col] !== undefined && isTagged(row[col], 'map') ? (row[col] as OvsdbMap)[1] : []).map(([k, v]) => [
        JSON.stringify(k),
        [k, v] as [Atom, Atom],
      ]),
    )
    for (const [k, v] of isTagged(d, 'map') ? (d as OvsdbMap)[1] : []) {
      const key = JSON.stringify(k)
      const had = pairs.get(key)
      if (had !== undefined && JSON.stringify(had[1]) === JSON.stringify(v)) pairs.delete(key)
      else pairs.set(key, [k, v])
    }
    out[col] = ['map', [...pairs.values()]]
  }
  return out
}

/** A map column with string keys and values, as a plain record. */
export function mapRecord(v: Value | undefined): Record<string, string> {
  if (v === undefined) return {}
  if (!isTagged(v, 'map')) throw new OvsdbError('OVSDB_BAD_VALUE', `not a map: ${JSON.stringify(v)}`)
  const out: Record<string, string> = {}
  for (const [k, val] of (v as OvsdbMap)[1]) out[String(k)] = atomString(val)
  return out
}

/** An optional scalar column (a set of 0 or 1 elements): its value or undefined. */
export function optional(v: Value | undefined): Atom | undefined {
  return setItems(v)[0]
}

export function atomString(a: Atom): string {
  return Array.isArray(a) ? a[1] : String(a)
}

export function isUuid(a: unknown): a is Uuid {
  return Array.isArray(a) && a.length === 2 && a[0] === 'uuid' && typeof a[1] === 'string'
}
