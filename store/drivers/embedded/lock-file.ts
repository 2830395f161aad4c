// A single writer per data directory: a LOCK file holding the owner's pid, created exclusively. Node has no
// flock(2), so a lock left by a killed process is recognised as stale when its pid is no longer alive (a
// recycled pid would keep it locked: the error names the file so an operator can remove it).
import { openSync, closeSync, writeSync, readFileSync, unlinkSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { StoreError } from '../../types.js'

/** Directories locked by this process: a second open in the same process is refused too. */
const heldHere = new Set<string>()

export interface DirLock {
  release(): void
}

export function lockDir(dir: string): DirLock {
  const path = join(dir, 'LOCK')
  const key = resolve(dir)
  if (heldHere.has(key)) throw new StoreError('locked', `data directory ${dir} is already open in this process (${path})`)
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, `${process.pid}\n`)
      closeSync(fd)
      heldHere.add(key)
      return {
        release() {
          if (!heldHere.delete(key)) return
          try {
            unlinkSync(path)
          } catch {
            /* already gone: nothing to release */
          }
        },
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw wrap(err, path)
      const owner = readOwner(path)
      if (owner !== undefined && owner !== process.pid && alive(owner)) {
        throw new StoreError('locked', `data directory ${dir} is locked by process ${owner} (${path}); only one process may open it`)
      }
      // Stale: its owner died without closing. Remove it (unless another opener replaced it meanwhile; the window
      // left between this re-read and the unlink is tiny) and try once more.
      if (readOwner(path) !== owner) continue
      try {
        unlinkSync(path)
      } catch {
        /* raced with another opener: the retry decides */
      }
    }
  }
}

function readOwner(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10)
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' // exists, owned by someone else
  }
}

function wrap(err: unknown, path: string): StoreError {
  if (err instanceof StoreError) return err
  return new StoreError('locked', `cannot lock ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
}
