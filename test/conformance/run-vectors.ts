// Runs the conformance vectors through a datapath backend. vectors.test.ts (core) and component.test.ts
// (component) call runVectors; a target other than the WASM datapath reuses loadVectors and runVector.
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import type { Counters, Datapath, PacketInput } from '../../datapath/host/api.js'
import type { Topology } from '../../datapath/host/entries.js'
import { bytesOfHex } from '../../datapath/host/packet-addresses.js'
import { compareOutcome } from './compare.js'
import type { Vector, VectorFile, VectorInput } from './vector-format.js'

const HERE = dirname(fileURLToPath(import.meta.url))
/** The source tree's test/conformance (also when this file runs compiled, from build/test/conformance). */
export const CONFORMANCE_DIR = HERE.includes(join('build', 'test')) ? join(HERE, '..', '..', '..', 'test', 'conformance') : HERE

export function loadVectors(): { files: VectorFile[]; topologies: Map<string, Topology> } {
  const read = (p: string): unknown => JSON.parse(readFileSync(p, 'utf8'))
  const files = readdirSync(join(CONFORMANCE_DIR, 'vectors')).filter(f => f.endsWith('.json')).sort()
    .map(f => read(join(CONFORMANCE_DIR, 'vectors', f)) as VectorFile)
  const topologies = new Map<string, Topology>()
  for (const f of readdirSync(join(CONFORMANCE_DIR, 'topologies')).filter(f => f.endsWith('.json'))) {
    topologies.set(f.replace(/\.json$/, ''), read(join(CONFORMANCE_DIR, 'topologies', f)) as Topology)
  }
  return { files, topologies }
}

const packetOf = (i: VectorInput): PacketInput =>
  ({ in_port: i.in_port, ...(i.tunnel_key !== undefined ? { tunnel_key: i.tunnel_key } : {}), data: bytesOfHex(i.hex) })

/** Runs one vector on a cleared datapath; returns the problems in words (empty = pass). */
export function runVector(dp: Datapath, v: Vector, topologies: Map<string, Topology>): string[] {
  const topology = topologies.get(v.topology)
  if (!topology) return [`unknown topology ${v.topology}`]
  dp.clear()
  try {
    dp.load(topology)
    for (const e of v.entries ?? []) dp.add(e)
    for (const e of v.remove ?? []) dp.remove(e)
  } catch (err) {
    return [`setting up the topology failed: ${err instanceof Error ? err.message : String(err)}`]
  }
  const now = v.now_ms ?? 0
  try {
    for (const b of v.before ?? []) {
      if (v.mode === 'batch') dp.process([packetOf(b)])
      else dp.packetIn(packetOf(b), b.now_ms ?? now)
    }
    const before = dp.counters()
    let problems: string[]
    if (v.mode === 'batch') {
      const verdicts = dp.process([packetOf(v.input)])
      if (verdicts.length !== 1 || !verdicts[0]) return [`process() returned ${verdicts.length} verdicts for 1 frame`]
      problems = compareOutcome(v.expect, verdicts[0])
    } else {
      const result = dp.packetIn(packetOf(v.input), now)
      problems = compareOutcome(v.expect, result.verdict, result.replies)
    }
    return [...problems, ...compareCounters(v, before, dp.counters())]
  } catch (err) {
    return [`the datapath threw (it must never throw, CONVENTIONS 6): ${err instanceof Error ? err.stack ?? err.message : String(err)}`]
  }
}

/**
 * CONVENTIONS 6: every drop (and punt) is counted per reason and per ingress port. The input must add exactly
 * one packet, and for a drop or punt one count of its reason, globally and on its in_port.
 */
function compareCounters(v: Vector, before: Counters, after: Counters): string[] {
  const problems: string[] = []
  if (after.packets - before.packets !== 1) problems.push(`the packet counter moved by ${after.packets - before.packets}, not 1`)
  if (v.expect.action !== 'drop' && v.expect.action !== 'punt') return problems
  const r = v.expect.reason
  const global = (after.reasons[r] ?? 0) - (before.reasons[r] ?? 0)
  const port = (after.perPort[v.input.in_port]?.[r] ?? 0) - (before.perPort[v.input.in_port]?.[r] ?? 0)
  if (global !== 1) problems.push(`the ${r} counter moved by ${global}, not 1`)
  if (port !== 1) problems.push(`the ${r} counter of port ${v.input.in_port} moved by ${port}, not 1`)
  return problems
}

export async function runVectors(t: Test, backend: 'core' | 'component'): Promise<void> {
  const { createDatapath } = await import('../../datapath/host/index.js')
  let dp: Datapath
  try {
    dp = await createDatapath({ backend })
  } catch (err) {
    t.fail(`the ${backend} backend did not start: ${err instanceof Error ? err.message : String(err)}`)
    return
  }
  const { files, topologies } = loadVectors()
  let failed = 0
  let total = 0
  for (const file of files) {
    await t.test(`${file.stage}: ${file.description}`, async t => {
      for (const v of file.vectors) {
        total++
        const problems = runVector(dp, v, topologies)
        if (problems.length === 0) t.pass(v.name)
        else {
          failed++
          t.fail(`${v.name}: ${problems.join(' | ')}`, { intent: v.intent, mode: v.mode, topology: v.topology, input: v.input.summary, in_port: v.input.in_port, hex: v.input.hex })
        }
      }
    })
  }
  t.comment(`${backend}: ${total - failed}/${total} vectors pass`)
}
