// Between etcd key-values and stored objects / changes. etcd3 returns revisions and versions as strings
// (64-bit integers); they fit a JS number for any store this controller will see (2^53 revisions).
import type { IKeyValue } from 'etcd3'
import { type Change, StoreError, type StoredObject } from '../../types.js'
import { parseObjectPath } from './keys.js'

interface Body {
  topics: string[]
  value: Record<string, unknown>
  /** Token of the transaction that wrote it: lets a writer recognise its own commit after a lost reply. */
  tx?: string
}

export function encodeBody(body: Required<Body>): string {
  return JSON.stringify(body)
}

/** The transaction token stored with a key-value, if it is one of ours. */
export function txOf(kv: IKeyValue): string | undefined {
  try {
    const body = JSON.parse(kv.value.toString('utf8')) as Partial<Body>
    return typeof body.tx === 'string' ? body.tx : undefined
  } catch {
    return undefined
  }
}

/** `key` is relative to the store prefix. */
export function decodeObject(key: string, kv: IKeyValue): StoredObject {
  const where = parseObjectPath(key)
  if (!where) throw new StoreError('bad_record', `etcd key ${key} is not an object key`)
  const body = decodeBody(key, kv)
  return { table: where.table, id: where.id, version: Number(kv.version), topics: body.topics, value: body.value }
}

function decodeBody(key: string, kv: IKeyValue): Body {
  let parsed: unknown
  try {
    parsed = JSON.parse(kv.value.toString('utf8'))
  } catch {
    throw new StoreError('bad_record', `etcd key ${key} (mod revision ${kv.mod_revision}) does not hold JSON`)
  }
  const b = parsed as Partial<Body>
  if (typeof b !== 'object' || b === null || !Array.isArray(b.topics) || typeof b.value !== 'object' || b.value === null) {
    throw new StoreError('bad_record', `etcd key ${key} (mod revision ${kv.mod_revision}) is not a {topics, value} object`)
  }
  return b as Body
}

/**
 * A watch event as a Change; `key` is relative to the prefix. Deletes need the previous kv (watch
 * withPreviousKV) for their topics and version.
 */
export function decodeEvent(ev: { type: 'Put' | 'Delete'; kv: IKeyValue; prev_kv?: IKeyValue | null }, key: string): Change {
  const { type, kv } = ev
  const prev = ev.prev_kv ?? undefined
  const where = parseObjectPath(key)
  if (!where) throw new StoreError('bad_record', `etcd key ${key} is not an object key`)
  const revision = Number(kv.mod_revision)
  if (type === 'Put') {
    const obj = decodeObject(key, kv)
    const action = obj.version === 1 ? 'create' : 'update'
    return { table: obj.table, id: obj.id, version: obj.version, action, topics: obj.topics, value: obj.value, revision }
  }
  const topics = prev ? decodeBody(key, prev).topics : []
  const version = prev ? Number(prev.version) : 0
  return { table: where.table, id: where.id, version, action: 'delete', topics, revision }
}
