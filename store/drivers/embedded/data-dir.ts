// What lives in an embedded store's data directory:
//
//   LOCK                           pid of the single writer
//   snapshot-00000000000000004000.json   every object as of seq 4000 (one checksummed record)
//   log-00000000000000004001.jsonl       records with seq >= 4001, appended and fsynced per commit
//
// A log file is named after the first seq it may hold. After a snapshot at seq N is durable, the logs it covers and
// older snapshots are deleted; a crash in between leaves extra files that recovery skips by seq.
import { readdirSync, openSync, fsyncSync, closeSync } from 'node:fs'
import { join } from 'node:path'

export interface DirFiles {
  snapshots: { seq: number; path: string }[]
  logs: { start: number; path: string }[]
}

const SNAPSHOT = /^snapshot-(\d{20})\.json$/
const LOG = /^log-(\d{20})\.jsonl$/

export function listFiles(dir: string): DirFiles {
  const files: DirFiles = { snapshots: [], logs: [] }
  for (const name of readdirSync(dir)) {
    const s = SNAPSHOT.exec(name)
    if (s?.[1]) files.snapshots.push({ seq: Number(s[1]), path: join(dir, name) })
    const l = LOG.exec(name)
    if (l?.[1]) files.logs.push({ start: Number(l[1]), path: join(dir, name) })
  }
  files.snapshots.sort((a, b) => a.seq - b.seq)
  files.logs.sort((a, b) => a.start - b.start)
  return files
}

export function snapshotPath(dir: string, seq: number): string {
  return join(dir, `snapshot-${String(seq).padStart(20, '0')}.json`)
}

export function logPath(dir: string, start: number): string {
  return join(dir, `log-${String(start).padStart(20, '0')}.jsonl`)
}

/** Makes a create, rename or unlink in `dir` durable (the entry lives in the directory, not the file). */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
