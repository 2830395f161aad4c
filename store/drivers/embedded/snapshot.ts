// Snapshots (compaction): the whole state as one checksummed record, written to a temporary name, fsynced and
// renamed, so a snapshot file is either complete or absent.
import { writeFileSync, openSync, fsyncSync, closeSync, renameSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { StoredObject } from '../../types.js'
import { StoreError } from '../../types.js'
import { encodeRecord, scanRecords } from './record-codec.js'
import { fsyncDir, snapshotPath } from './data-dir.js'
import { allObjects, putObject, type State } from './state.js'

interface SnapshotRecord {
  seq: number
  objects: StoredObject[]
  keys: Record<string, number>
}

export function writeSnapshot(dir: string, state: State): string {
  const path = snapshotPath(dir, state.seq)
  const tmp = `${path}.tmp`
  const record: SnapshotRecord = { seq: state.seq, objects: [...allObjects(state)], keys: Object.fromEntries(state.keys) }
  writeFileSync(tmp, encodeRecord(record))
  const fd = openSync(tmp, 'r+')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
  fsyncDir(dirname(path))
  return path
}

/** Reads a snapshot into `state`; a damaged one is a 'bad_record' (it was renamed into place whole, so damage is not a torn write). */
export function readSnapshot(path: string, state: State): void {
  const buf = readFileSync(path)
  const records = [...scanRecords(buf)]
  const first = records[0]
  if (records.length !== 1 || !first?.ok) {
    const offset = first?.offset ?? 0
    const reason = first && !first.ok ? first.reason : 'expected exactly one record'
    throw new StoreError('bad_record', `${path} offset ${offset}: ${reason}`)
  }
  const snap = first.value as Partial<SnapshotRecord>
  if (!Number.isInteger(snap.seq) || !Array.isArray(snap.objects) || typeof snap.keys !== 'object' || snap.keys === null) {
    throw new StoreError('bad_record', `${path} offset 0: not a snapshot record`)
  }
  state.tables.clear()
  state.byTopic.clear()
  for (const o of snap.objects) putObject(state, o)
  state.keys = new Map(Object.entries(snap.keys))
  state.seq = snap.seq as number
}
