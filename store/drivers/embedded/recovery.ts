// Rebuilds the state on open: the newest snapshot, then every log record after it, in seq order.
//
// A record that fails its checksum is a torn tail if it is in the newest log file and no good record follows
// it: the writer died mid-append, the record was never acknowledged, and it is cut off (truncate + fsync).
// Anything else (damage in an older file, or a good record after a bad one) means the disk lost acknowledged
// data: recovery stops with StoreError('bad_record') naming the file and offset instead of guessing.
import { readFileSync, truncateSync, openSync, fsyncSync, closeSync } from 'node:fs'
import { StoreError } from '../../types.js'
import { listFiles } from './data-dir.js'
import { scanRecords, type Scanned } from './record-codec.js'
import { readSnapshot } from './snapshot.js'
import { applyRecord, emptyState, isLogRecord, type State } from './state.js'

export interface Recovered {
  state: State
  /** The log file new records are appended to, if one exists. */
  lastLog?: { start: number; path: string }
  /** Set when a torn tail was cut off. */
  truncated?: StoreError
  /** Log records applied on top of the snapshot. */
  replayed: number
}

/** `readOnly`: leave a torn tail in place (another process may be writing it right now) and only skip it. */
export function recover(dir: string, opts: { readOnly?: boolean } = {}): Recovered {
  const files = listFiles(dir)
  const state = emptyState()
  const snap = files.snapshots.at(-1)
  if (snap) readSnapshot(snap.path, state)
  let truncated: StoreError | undefined
  let replayed = 0
  files.logs.forEach((log, index) => {
    const isLast = index === files.logs.length - 1
    const records = [...scanRecords(readFileSync(log.path))]
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as Scanned
      if (!r.ok || !isLogRecord(r.value)) {
        const reason = r.ok ? 'not a log record' : r.reason
        const goodAfter = records.slice(i + 1).some(x => x.ok)
        if (!isLast || goodAfter) throw new StoreError('bad_record', `${log.path} offset ${r.offset}: ${reason}`)
        truncated = new StoreError(
          'bad_record',
          `${log.path} offset ${r.offset}: ${reason}; torn tail of ${(records.at(-1)?.end ?? r.end) - r.offset} bytes truncated`,
        )
        if (!opts.readOnly) truncateAt(log.path, r.offset)
        return
      }
      if (r.value.seq <= state.seq) continue // already in the snapshot
      if (r.value.seq !== state.seq + 1) {
        throw new StoreError('bad_record', `${log.path} offset ${r.offset}: record seq ${r.value.seq} follows ${state.seq}`)
      }
      applyRecord(state, r.value)
      replayed++
    }
  })
  const lastLog = files.logs.at(-1)
  return { state, replayed, ...(lastLog ? { lastLog } : {}), ...(truncated ? { truncated } : {}) }
}

function truncateAt(path: string, offset: number): void {
  truncateSync(path, offset)
  const fd = openSync(path, 'r+')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
