// Turns the tempest run's subunit records into counts and failure groups. A failure's cause is the first
// line of the exception that ended it (with tempest's "Details:" line), ids and addresses masked, so the same
// API fault seen by twenty tests is one group of twenty.
import type { TestRecord } from './subunit.js'

export interface FailureGroup {
  cause: string
  count: number
  classes: Record<string, number>
  tests: string[]
}

export interface RunSummary {
  passed: number
  failed: number
  skipped: number
  durationSeconds: number
  failures: FailureGroup[]
  /** failed tests per test class (setUpClass failures under their class) */
  failuresByClass: Record<string, number>
  /** skip reasons with their counts */
  skipReasons: Record<string, number>
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi
const HEX_ID = /\b[0-9a-f]{32}\b/gi
const IPV4 = /\b\d{1,3}(\.\d{1,3}){3}(\/\d+)?\b/g
const MAC = /\b([0-9a-f]{2}:){5}[0-9a-f]{2}\b/gi
const TEMPEST_NAME = /tempest-[\w-]+?-\d{6,}/g

/** the test's name without tempest's "[id-...,smoke]" suffix */
export function baseTestId(id: string): string {
  return id.replace(/\[.*\]$/, '')
}

/** `neutron_tempest_plugin.api.test_ports.PortsTestJSON` for a test or for `setUpClass (that.Class)` */
export function testClass(id: string): string {
  const fixture = /^\w+ \(([\w.]+)\)$/.exec(id)
  if (fixture?.[1]) return fixture[1]
  const base = baseTestId(id)
  return base.slice(0, base.lastIndexOf('.'))
}

export function failureCause(traceback: string | undefined): string {
  if (!traceback?.trim()) return '(no traceback)'
  const lines = traceback.split('\n')
  // the last unindented line that is not the "Traceback" header starts the final exception
  let at = -1
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i] ?? ''
    if (l && !/^\s/.test(l) && !l.startsWith('Traceback (most recent call last)')) {
      at = i
      break
    }
  }
  if (at < 0) return '(no traceback)'
  // an exception whose message spans lines: take from its first line (the line after the last frame)
  let start = at
  while (start > 0 && lines[start - 1] && !/^\s/.test(lines[start - 1] ?? '') && !(lines[start - 1] ?? '').startsWith('Traceback')) start--
  let cause = (lines[start] ?? '').trim()
  const details = lines.slice(start + 1, at + 1).find(l => l.startsWith('Details:'))
  if (details) cause += ` ${details.trim()}`
  return mask(cause).slice(0, 300)
}

// testtools' Raises mismatch prints the whole returned body: keep the callable's name only
const RETURNED_INSTEAD_OF_RAISING = /<(?:bound method|function) ([\w.<>]+?)(?: (?:of|at) .*?)?> returned .*/
const ADDRESS = /\b0x[0-9a-f]+\b/gi

function mask(s: string): string {
  return s
    .replace(RETURNED_INSTEAD_OF_RAISING, '$1 returned a result instead of raising')
    .replace(ADDRESS, '<addr>')
    .replace(UUID, '<uuid>')
    .replace(HEX_ID, '<id>')
    .replace(MAC, '<mac>')
    .replace(IPV4, '<ip>')
    .replace(TEMPEST_NAME, '<name>')
}

export function summarize(tests: readonly TestRecord[], durationSeconds: number): RunSummary {
  const groups = new Map<string, FailureGroup>()
  const failuresByClass: Record<string, number> = {}
  const skipReasons: Record<string, number> = {}
  let passed = 0,
    failed = 0,
    skipped = 0
  for (const t of tests) {
    if (t.status === 'success' || t.status === 'xfail') passed++
    else if (t.status === 'skip') {
      skipped++
      const reason = mask((t.files.reason ?? '(no reason)').trim().split('\n')[0] ?? '')
      skipReasons[reason] = (skipReasons[reason] ?? 0) + 1
    } else if (t.status === 'fail' || t.status === 'uxsuccess') {
      failed++
      const cls = testClass(t.id)
      failuresByClass[cls] = (failuresByClass[cls] ?? 0) + 1
      const cause = t.status === 'uxsuccess' ? '(unexpected success)' : failureCause(t.files.traceback)
      let g = groups.get(cause)
      if (!g) groups.set(cause, (g = { cause, count: 0, classes: {}, tests: [] }))
      g.count++
      g.classes[cls] = (g.classes[cls] ?? 0) + 1
      g.tests.push(baseTestId(t.id))
    }
  }
  const failures = [...groups.values()].sort((a, b) => b.count - a.count || a.cause.localeCompare(b.cause))
  return { passed, failed, skipped, durationSeconds, failures, failuresByClass, skipReasons }
}

/** The extension aliases that skip reasons name: tempest's two phrasings of "not advertised". */
export function extensionsInSkipReasons(skipReasons: Readonly<Record<string, number>>): string[] {
  const out = new Set<string>()
  for (const reason of Object.keys(skipReasons)) {
    const m = /^(\S+) extension not enabled\.$/.exec(reason) ?? /network extension: (\S+) is not enabled/.exec(reason)
    if (m?.[1]) out.add(m[1])
  }
  return [...out].sort()
}
