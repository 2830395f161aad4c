// The tempest tests we know fail, each with its reason: the ratchet that lets CI run the whole suite while
// issue 12 is open. A failure not on the list fails the run; so does a listed test that ran and passed (the
// entry is stale: delete it), so the list only ever shrinks and never hides a fixed or a new failure.
import { readFileSync } from 'node:fs'

export class KnownFailuresError extends Error {}

/** One test id (without tempest's "[id-...]" suffix) per line, then `#` and why it fails; blank lines and lines
 * that start with `#` are comments. */
export function parseKnownFailures(text: string, file: string): Map<string, string> {
  const known = new Map<string, string>()
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const hash = line.indexOf(' #')
    const id = (hash < 0 ? line : line.slice(0, hash)).trim()
    const reason = hash < 0 ? '' : line.slice(hash + 2).trim()
    if (reason === '') throw new KnownFailuresError(`${file}:${i + 1}: '${id}' has no reason (write "<test id>  # why it fails")`)
    if (known.has(id)) throw new KnownFailuresError(`${file}:${i + 1}: '${id}' is listed twice`)
    known.set(id, reason)
  })
  return known
}

export const readKnownFailures = (file: string): Map<string, string> => parseKnownFailures(readFileSync(file, 'utf8'), file)

export interface Verdict {
  /** failed and not listed */
  unexpected: string[]
  /** listed, ran, and did not fail */
  stale: string[]
  /** failed as listed */
  known: string[]
}

/** Compare a run (the base ids of the tests that ran, and of those that failed) with the list. */
export function judge(ran: Iterable<string>, failed: Iterable<string>, known: ReadonlyMap<string, string>): Verdict {
  const failedSet = new Set(failed)
  const ranSet = new Set(ran)
  return {
    unexpected: [...failedSet].filter(id => !known.has(id)).sort(),
    stale: [...known.keys()].filter(id => ranSet.has(id) && !failedSet.has(id)).sort(),
    known: [...failedSet].filter(id => known.has(id)).sort(),
  }
}
