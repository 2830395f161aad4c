// Runs the conformance vectors through a datapath backend. vectors.test.ts (core) and component.test.ts
// (component) call runVectors; a target other than the WASM datapath reuses loadVectors and runVector, or
// packetVectors() when it cannot replay sequences (it then reports the count it skipped).
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import type { Counters, Datapath, PacketInput, PacketInResult } from '../../datapath/host/api.js'
import type { Entry, Topology } from '../../datapath/host/entries.js'
import { bytesOfHex } from '../../datapath/host/addresses.js'
import { compareOutcome } from './compare.js'
import {
  isSequence,
  type Expectation,
  type PacketVector,
  type SequenceVector,
  type Vector,
  type VectorFile,
  type VectorInput,
} from './vector-format.js'

const HERE = dirname(fileURLToPath(import.meta.url))
/** The source tree's test/conformance (also when this file runs compiled, from build/test/conformance). */
export const CONFORMANCE_DIR = HERE.includes(join('build', 'test')) ? join(HERE, '..', '..', '..', 'test', 'conformance') : HERE

export function loadVectors(): { files: VectorFile[]; topologies: Map<string, Topology> } {
  const read = (p: string): unknown => JSON.parse(readFileSync(p, 'utf8'))
  const files = readdirSync(join(CONFORMANCE_DIR, 'vectors'))
    .filter(f => f.endsWith('.json'))
    .sort()
    .map(f => read(join(CONFORMANCE_DIR, 'vectors', f)) as VectorFile)
  const topologies = new Map<string, Topology>()
  for (const f of readdirSync(join(CONFORMANCE_DIR, 'topologies')).filter(f => f.endsWith('.json'))) {
    topologies.set(f.replace(/\.json$/, ''), read(join(CONFORMANCE_DIR, 'topologies', f)) as Topology)
  }
  return { files, topologies }
}

/**
 * For consumers that replay single packets only: the packet vectors of `files`, and how many sequence vectors
 * were left out (print it: a skipped sequence must be visible, e.g. `t.comment(\`skipped ${skipped} sequences\`)`).
 */
export function packetVectors(files: VectorFile[]): { vectors: PacketVector[]; skippedSequences: number } {
  const all = files.flatMap(f => f.vectors)
  const vectors = all.filter((v): v is PacketVector => !isSequence(v))
  return { vectors, skippedSequences: all.length - vectors.length }
}

const packetOf = (i: VectorInput): PacketInput => ({
  in_port: i.in_port,
  ...(i.tunnel_key !== undefined ? { tunnel_key: i.tunnel_key } : {}),
  data: bytesOfHex(i.hex),
})

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err))

/** Runs one vector on a cleared datapath; returns the problems in words (empty = pass). */
export function runVector(dp: Datapath, v: Vector, topologies: Map<string, Topology>): string[] {
  const topology = topologies.get(v.topology)
  if (!topology) return [`unknown topology ${v.topology}`]
  dp.clear()
  try {
    dp.load(topology)
    applyEntries(dp, v.entries, v.remove)
  } catch (err) {
    return [`setting up the topology failed: ${errorText(err)}`]
  }
  try {
    return isSequence(v) ? runSteps(dp, v) : runPacket(dp, v)
  } catch (err) {
    return [`the datapath threw (it must never throw, CONVENTIONS 6): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`]
  }
}

function applyEntries(dp: Datapath, add: Entry[] | undefined, remove: Entry[] | undefined): void {
  for (const e of add ?? []) dp.add(e)
  for (const e of remove ?? []) dp.remove(e)
}

function runPacket(dp: Datapath, v: PacketVector): string[] {
  const now = v.now_ms ?? 0
  for (const b of v.before ?? []) {
    if (v.mode === 'batch') dp.process([packetOf(b)])
    else dp.packetIn(packetOf(b), b.now_ms ?? now)
  }
  return checkOne(dp, v.mode, v.input, v.expect, v.mode === 'batch' ? undefined : now)
}

/** Steps in order on the same datapath; a step's problems are prefixed with its number and note. */
function runSteps(dp: Datapath, v: SequenceVector): string[] {
  if (v.ct_limit === undefined) return steps(dp, v)
  dp.conntrack.setLimit(v.ct_limit)
  try {
    return steps(dp, v)
  } finally {
    dp.conntrack.setLimit(0) // back to the capacity: clear() need not reset a limit
  }
}

function steps(dp: Datapath, v: SequenceVector): string[] {
  const problems: string[] = []
  v.steps.forEach((step, i) => {
    const label = `step ${i + 1}/${v.steps.length}${step.note ? ` (${step.note})` : ''}`
    try {
      applyEntries(dp, step.entries, step.remove)
    } catch (err) {
      problems.push(`${label}: changing the entries failed: ${errorText(err)}`)
      return
    }
    for (const p of checkOne(dp, v.mode, step.input, step.expect, step.now_ms)) problems.push(`${label}: ${p}`)
  })
  return problems
}

/**
 * Sends one frame and compares verdict, packet, replies and counters. In batch mode a clock is given to
 * process() only when there is one (sequences): datapath/host/api.ts `process(packets, { nowMs })`.
 */
function checkOne(dp: Datapath, mode: Vector['mode'], input: VectorInput, expect: Expectation, nowMs: number | undefined): string[] {
  const before = dp.counters()
  let problems: string[]
  if (mode === 'batch') {
    const verdicts = dp.process([packetOf(input)], nowMs === undefined ? {} : { nowMs })
    if (verdicts.length !== 1 || !verdicts[0]) return [`process() returned ${verdicts.length} verdicts for 1 frame`]
    problems = compareOutcome(expect, verdicts[0])
  } else {
    const result: PacketInResult = dp.packetIn(packetOf(input), nowMs ?? 0)
    problems = compareOutcome(expect, result.verdict, result.replies)
  }
  return [...problems, ...compareCounters(input, expect, before, dp.counters())]
}

/**
 * CONVENTIONS 6: every drop (and punt) is counted per reason and per ingress port. The input must add exactly
 * one packet, and for a drop or punt one count of its reason, globally and on its in_port.
 */
function compareCounters(input: VectorInput, expect: Expectation, before: Counters, after: Counters): string[] {
  const problems: string[] = []
  if (after.packets - before.packets !== 1) problems.push(`the packet counter moved by ${after.packets - before.packets}, not 1`)
  if (expect.action !== 'drop' && expect.action !== 'punt') return problems
  const r = expect.reason
  const global = (after.reasons[r] ?? 0) - (before.reasons[r] ?? 0)
  const port = (after.perPort[input.in_port]?.[r] ?? 0) - (before.perPort[input.in_port]?.[r] ?? 0)
  if (global !== 1) problems.push(`the ${r} counter moved by ${global}, not 1`)
  if (port !== 1) problems.push(`the ${r} counter of port ${input.in_port} moved by ${port}, not 1`)
  return problems
}

export async function runVectors(t: Test, backend: 'core' | 'component'): Promise<void> {
  const { createDatapath } = await import('../../datapath/host/index.js')
  let dp: Datapath
  try {
    dp = await createDatapath({ backend })
  } catch (err) {
    t.fail(`the ${backend} backend did not start: ${errorText(err)}`)
    return
  }
  const { files, topologies } = loadVectors()
  let failed = 0
  let total = 0
  let sequences = 0
  for (const file of files) {
    await t.test(`${file.stage}: ${file.description}`, async t => {
      for (const v of file.vectors) {
        total++
        if (isSequence(v)) sequences++
        const problems = runVector(dp, v, topologies)
        if (problems.length === 0) t.pass(v.name)
        else {
          failed++
          t.fail(`${v.name}: ${problems.join(' | ')}`, { intent: v.intent, mode: v.mode, topology: v.topology, ...where(v) })
        }
      }
    })
  }
  t.comment(`${backend}: ${total - failed}/${total} vectors pass (${sequences} of them sequences, all replayed)`)
}

/** What a failure prints about the input: the frame, or for a sequence the number of steps. */
function where(v: Vector): Record<string, unknown> {
  if (isSequence(v)) return { steps: v.steps.length, inputs: v.steps.map(s => s.input.summary) }
  return { input: v.input.summary, in_port: v.input.in_port, hex: v.input.hex }
}
