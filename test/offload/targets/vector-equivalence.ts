// Every batch conformance vector through the WASM pipeline and through a target's MODEL (combined with the WASM
// pipeline where the model traps), per profile of that target's kind: verdicts and leaving packets must agree.
// A disagreement is a known gap only when the WASM reason is listed in offload/targets/known-gaps.ts.
// Sequence vectors (steps: connection tracking) replay every step on two WASM pipelines: one alone, one behind
// the target MODEL (it sees what the target traps, and accounts what the target forwards of the connections it
// holds); the target's connection table lives across the steps, also when entries change between them.
import type { Test } from 'tap'
import type { Datapath, PacketInput } from '../../../datapath/host/api.js'
import type { Entry } from '../../../datapath/host/entries.js'
import { bytesOfHex } from '../../../datapath/host/addresses.js'
import { processAt, runCombined } from '../../../offload/targets/combined-path.js'
import { TargetConntrack } from '../../../offload/targets/ct/target-conntrack.js'
import { applyEntries } from '../../../offload/targets/entry-set.js'
import { knownGapFor } from '../../../offload/targets/known-gaps.js'
import type { TargetModel } from '../../../offload/targets/target-outcome.js'
import { verdictDiff } from '../../../offload/targets/verdict-diff.js'
import { type Profile, type TargetKind, loadProfile, shippedProfiles } from '../../../offload/profile.js'
import { loadVectors } from '../../conformance/run-vectors.js'
import { type PacketVector, type SequenceVector, type VectorInput, isSequence } from '../../conformance/vector-format.js'

export interface TargetUnderTest {
  /** e.g. 'TC flower MODEL' */
  label: string
  kinds: TargetKind[]
  model(entries: Entry[], profile: Profile, conntrack: TargetConntrack | undefined): TargetModel
}

export interface Tally {
  vectors: number
  onTarget: number
  viaWasm: number
  gaps: number
  disagree: number
}

/** A connection table for profiles whose target holds connections (conntrack mode established-offload). */
export const conntrackFor = (entries: Entry[], profile: Profile, prev?: TargetConntrack): TargetConntrack | undefined =>
  profile.conntrack.mode === 'established-offload' ? TargetConntrack.forProfile(entries, profile, prev?.table) : undefined

const packetOf = (i: VectorInput): PacketInput => ({
  in_port: i.in_port,
  ...(i.tunnel_key !== undefined ? { tunnel_key: i.tunnel_key } : {}),
  data: bytesOfHex(i.hex),
})

export function profilesOf(kinds: TargetKind[]): Profile[] {
  return shippedProfiles()
    .map(loadProfile)
    .filter(p => kinds.includes(p.kind))
}

/**
 * The least share of vectors (or sequence steps) a profile must decide on the target itself, per profile id.
 * Agreement alone lets a profile that puts nothing in hardware pass (everything through WASM agrees); a floor a
 * little under today's share catches a change that silently moves work back to software. Raise it when the
 * share grows; lower it only with the reason in the commit.
 */
export type ShareFloors = Record<string, number>

export interface EquivalenceOptions {
  /** floors for the batch vectors, by profile id: every profile of the target's kinds needs one */
  floors: ShareFloors
}

/** Packets judged: batch vectors, or the steps of sequence vectors (whose `vectors` counts sequences). */
const judged = (tally: Tally): number => tally.onTarget + tally.viaWasm + tally.gaps + tally.disagree

/** The share of the packets of a tally decided on the target (0 when nothing was run). */
export const onTargetShare = (tally: Tally): number => (judged(tally) === 0 ? 0 : tally.onTarget / judged(tally))

const percent = (x: number): string => `${(100 * x).toFixed(1)}%`

/** undefined when the target decided at least `floor` of the tally; else what fell short, in words. */
export function onTargetShortfall(tally: Tally, floor: number): string | undefined {
  if (judged(tally) === 0) return 'nothing was run'
  const share = onTargetShare(tally)
  if (share >= floor) return undefined
  return `${tally.onTarget}/${judged(tally)} (${percent(share)}) decided on the target, under the floor of ${percent(floor)}`
}

/** Where runBatchVectors reports a disagreement and a known gap. */
export interface BatchReport {
  fail(message: string, extra?: object): void
  comment(message: string): void
}

/** Every batch packet vector through the WASM pipeline and through `target` on `profile`, tallied. */
export async function runBatchVectors(dp: Datapath, target: TargetUnderTest, profile: Profile, report: BatchReport): Promise<Tally> {
  const { files, topologies } = loadVectors()
  const tally: Tally = { vectors: 0, onTarget: 0, viaWasm: 0, gaps: 0, disagree: 0 }
  const models = new Map<string, TargetModel>()
  for (const file of files) {
    for (const v of file.vectors.filter((v): v is PacketVector => v.mode === 'batch' && !isSequence(v))) {
      const topology = topologies.get(v.topology)
      if (topology === undefined) {
        report.fail(`${v.name}: unknown topology ${v.topology}`)
        continue
      }
      tally.vectors++
      dp.clear()
      dp.load(topology)
      for (const e of v.entries ?? []) dp.add(e)
      for (const e of v.remove ?? []) dp.remove(e)
      for (const b of v.before ?? []) dp.process([packetOf(b)])
      const input = packetOf(v.input)
      const [wasm] = dp.process([input])
      if (wasm === undefined) {
        report.fail(`${v.name}: no WASM verdict`)
        continue
      }
      const cacheKey = JSON.stringify([v.topology, v.entries ?? [], v.remove ?? []])
      let model = models.get(cacheKey)
      if (model === undefined) {
        const entries = applyEntries(topology.entries, v.entries, v.remove)
        model = target.model(entries, profile, conntrackFor(entries, profile))
        models.set(cacheKey, model)
      }
      const got = runCombined(model, dp, input)
      const diff = verdictDiff(wasm, got.verdict)
      if (diff === undefined) {
        if (got.decidedBy === 'target') tally.onTarget++
        else tally.viaWasm++
        continue
      }
      const gap = knownGapFor(wasm.reason)
      if (gap !== undefined) {
        tally.gaps++
        report.comment(`known gap (${gap.reason}): ${v.name}: ${diff}`)
        continue
      }
      tally.disagree++
      report.fail(`${v.name}: ${diff} (decided at ${got.stage}${got.trap !== undefined ? `, trapped: ${got.trap}` : ''})`, {
        intent: v.intent,
        topology: v.topology,
        in_port: v.input.in_port,
        hex: v.input.hex,
      })
    }
  }
  return tally
}

export async function runEquivalence(t: Test, target: TargetUnderTest, opts: EquivalenceOptions): Promise<Map<string, Tally>> {
  const { createDatapath } = await import('../../../datapath/host/index.js')
  const dp: Datapath = await createDatapath({ backend: 'core' })
  const tallies = new Map<string, Tally>()
  const profiles = profilesOf(target.kinds)
  if (profiles.length === 0) t.fail(`no shipped profile of kind ${target.kinds.join('/')}`)
  for (const profile of profiles) {
    await t.test(`${target.label} on ${profile.id}: batch vectors agree with the WASM pipeline`, async t => {
      const tally = await runBatchVectors(dp, target, profile, {
        fail: (m, extra) => {
          t.fail(m, extra ?? {})
        },
        comment: m => {
          t.comment(m)
        },
      })
      tallies.set(profile.id, tally)
      t.comment(
        `${target.label} on ${profile.id}: ${tally.onTarget + tally.viaWasm}/${tally.vectors} batch vectors agree ` +
          `(${tally.onTarget} decided on the target, ${tally.viaWasm} target+WASM), ${tally.gaps} known gaps, ${tally.disagree} disagree`,
      )
      t.equal(tally.disagree, 0, `${target.label} on ${profile.id}: no disagreement outside the known gaps`)
      const floor = opts.floors[profile.id]
      if (floor === undefined) {
        t.fail(`${profile.id} has no floor of vectors decided on the target: add one to the test of ${target.label}`)
        return
      }
      t.comment(
        `${target.label} on ${profile.id}: ${percent(onTargetShare(tally))} of the batch vectors decided on the target (floor ${percent(floor)})`,
      )
      const short = onTargetShortfall(tally, floor)
      t.equal(
        short,
        undefined,
        `${target.label} on ${profile.id}: at least ${percent(floor)} of the batch vectors decided on the target${short !== undefined ? `: ${short}` : ''}`,
      )
    })
  }
  for (const id of Object.keys(opts.floors)) {
    if (!profiles.some(p => p.id === id))
      t.fail(`a floor for ${id}, which is no shipped profile of kind ${target.kinds.join('/')}: remove it`)
  }
  return tallies
}

/** Every batch sequence vector, step by step: target+WASM must give WASM's verdict on every step. */
/** `floors`: the least share of sequence steps decided on the target, by profile id (0 with its reason in the caller
 * for a profile that holds no connections: every step of a stateful port is then WASM's by design). */
export async function runSequences(t: Test, target: TargetUnderTest, opts: EquivalenceOptions): Promise<Map<string, Tally>> {
  const { createDatapath } = await import('../../../datapath/host/index.js')
  const alone: Datapath = await createDatapath({ backend: 'core' })
  const behind: Datapath = await createDatapath({ backend: 'core' })
  const { files, topologies } = loadVectors()
  const sequences = files.flatMap(f => f.vectors.filter((v): v is SequenceVector => v.mode === 'batch' && isSequence(v)))
  const tallies = new Map<string, Tally>()
  for (const profile of profilesOf(target.kinds)) {
    const tally: Tally = { vectors: 0, onTarget: 0, viaWasm: 0, gaps: 0, disagree: 0 }
    tallies.set(profile.id, tally)
    await t.test(`${target.label} on ${profile.id}: sequence vectors agree with the WASM pipeline step by step`, async t => {
      for (const v of sequences) {
        const topology = topologies.get(v.topology)
        if (topology === undefined) {
          t.fail(`${v.name}: unknown topology ${v.topology}`)
          continue
        }
        tally.vectors++
        let entries = applyEntries(topology.entries, v.entries, v.remove)
        for (const dp of [alone, behind]) {
          dp.clear()
          dp.load(topology)
          for (const e of v.entries ?? []) dp.add(e)
          for (const e of v.remove ?? []) dp.remove(e)
        }
        let ct = conntrackFor(entries, profile)
        let model = target.model(entries, profile, ct)
        for (const [i, step] of v.steps.entries()) {
          if ((step.entries ?? []).length > 0 || (step.remove ?? []).length > 0) {
            for (const dp of [alone, behind]) {
              for (const e of step.entries ?? []) dp.add(e)
              for (const e of step.remove ?? []) dp.remove(e)
            }
            entries = applyEntries(entries, step.entries, step.remove)
            ct = conntrackFor(entries, profile, ct) // the connections outlive the program, as on the NIC
            model = target.model(entries, profile, ct)
          }
          const input = packetOf(step.input)
          const wasm = processAt(alone, input, step.now_ms)
          const got = runCombined(model, behind, input, { nowMs: step.now_ms })
          const diff = verdictDiff(wasm, got.verdict)
          const what = `${v.name} step ${i + 1}${step.note !== undefined ? ` (${step.note})` : ''}`
          if (diff === undefined) {
            if (got.decidedBy === 'target') tally.onTarget++
            else tally.viaWasm++
            continue
          }
          const gap = got.decidedBy === 'target' ? knownGapFor(wasm.reason, profile) : undefined
          if (gap !== undefined) {
            tally.gaps++
            t.comment(`known gap (${gap.reason}): ${what}: ${diff}`)
            continue
          }
          tally.disagree++
          t.fail(`${what}: ${diff} (decided at ${got.stage}${got.trap !== undefined ? `, trapped: ${got.trap}` : ''})`, {
            intent: v.intent,
            hex: step.input.hex,
          })
        }
      }
      t.comment(
        `${target.label} on ${profile.id}: ${tally.vectors} sequence vectors, steps: ${tally.onTarget} decided on the target, ` +
          `${tally.viaWasm} target+WASM, ${tally.gaps} known gaps, ${tally.disagree} disagree`,
      )
      t.equal(tally.disagree, 0, `${target.label} on ${profile.id}: no step disagrees outside the known gaps`)
      const floor = opts.floors[profile.id]
      if (floor === undefined) {
        t.fail(`${profile.id} has no floor of sequence steps decided on the target: add one to the test of ${target.label}`)
        return
      }
      t.comment(
        `${target.label} on ${profile.id}: ${percent(onTargetShare(tally))} of the sequence steps decided on the target (floor ${percent(floor)})`,
      )
      const short = floor > 0 ? onTargetShortfall(tally, floor) : undefined
      t.equal(
        short,
        undefined,
        `${target.label} on ${profile.id}: at least ${percent(floor)} of the sequence steps decided on the target${short !== undefined ? `: ${short}` : ''}`,
      )
    })
  }
  return tallies
}
