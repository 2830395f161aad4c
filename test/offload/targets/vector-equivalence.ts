// Every batch conformance vector through the WASM pipeline and through a target's MODEL (combined with the WASM
// pipeline where the model traps), per profile of that target's kind: verdicts and leaving packets must agree.
// A disagreement is a known gap only when the WASM reason is listed in offload/targets/known-gaps.ts.
import type { Test } from 'tap'
import type { Datapath, PacketInput } from '../../../datapath/host/api.js'
import type { Entry } from '../../../datapath/host/entries.js'
import { bytesOfHex } from '../../../datapath/host/packet-addresses.js'
import { runCombined } from '../../../offload/targets/combined-path.js'
import { applyEntries } from '../../../offload/targets/entry-set.js'
import { knownGapFor } from '../../../offload/targets/known-gaps.js'
import type { TargetOutcome } from '../../../offload/targets/target-outcome.js'
import { verdictDiff } from '../../../offload/targets/verdict-diff.js'
import { type Profile, type TargetKind, loadProfile, shippedProfiles } from '../../../offload/profile.js'
import { loadVectors } from '../../conformance/run-vectors.js'
import type { VectorInput } from '../../conformance/vector-format.js'

export interface TargetUnderTest {
  /** e.g. 'TC flower MODEL' */
  label: string
  kinds: TargetKind[]
  model(entries: Entry[], profile: Profile): { run(p: PacketInput): TargetOutcome }
}

export interface Tally { vectors: number; onTarget: number; viaWasm: number; gaps: number; disagree: number }

const packetOf = (i: VectorInput): PacketInput =>
  ({ in_port: i.in_port, ...(i.tunnel_key !== undefined ? { tunnel_key: i.tunnel_key } : {}), data: bytesOfHex(i.hex) })

export function profilesOf(kinds: TargetKind[]): Profile[] {
  return shippedProfiles().map(loadProfile).filter(p => kinds.includes(p.kind))
}

export async function runEquivalence(t: Test, target: TargetUnderTest): Promise<Map<string, Tally>> {
  const { createDatapath } = await import('../../../datapath/host/index.js')
  const dp: Datapath = await createDatapath({ backend: 'core' })
  const { files, topologies } = loadVectors()
  const tallies = new Map<string, Tally>()
  const profiles = profilesOf(target.kinds)
  if (profiles.length === 0) t.fail(`no shipped profile of kind ${target.kinds.join('/')}`)
  for (const profile of profiles) {
    const tally: Tally = { vectors: 0, onTarget: 0, viaWasm: 0, gaps: 0, disagree: 0 }
    tallies.set(profile.id, tally)
    const models = new Map<string, { run(p: PacketInput): TargetOutcome }>()
    await t.test(`${target.label} on ${profile.id}: batch vectors agree with the WASM pipeline`, async t => {
      for (const file of files) {
        for (const v of file.vectors.filter(v => v.mode === 'batch')) {
          const topology = topologies.get(v.topology)
          if (topology === undefined) { t.fail(`${v.name}: unknown topology ${v.topology}`); continue }
          tally.vectors++
          dp.clear()
          dp.load(topology)
          for (const e of v.entries ?? []) dp.add(e)
          for (const e of v.remove ?? []) dp.remove(e)
          for (const b of v.before ?? []) dp.process([packetOf(b)])
          const input = packetOf(v.input)
          const [wasm] = dp.process([input])
          if (wasm === undefined) { t.fail(`${v.name}: no WASM verdict`); continue }
          const cacheKey = JSON.stringify([v.topology, v.entries ?? [], v.remove ?? []])
          let model = models.get(cacheKey)
          if (model === undefined) {
            model = target.model(applyEntries(topology.entries, v.entries, v.remove), profile)
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
            t.comment(`known gap (${gap.reason}): ${v.name}: ${diff}`)
            continue
          }
          tally.disagree++
          t.fail(`${v.name}: ${diff} (decided at ${got.stage}${got.trap !== undefined ? `, trapped: ${got.trap}` : ''})`,
            { intent: v.intent, topology: v.topology, in_port: v.input.in_port, hex: v.input.hex })
        }
      }
      t.comment(`${target.label} on ${profile.id}: ${tally.onTarget + tally.viaWasm}/${tally.vectors} batch vectors agree ` +
        `(${tally.onTarget} decided on the target, ${tally.viaWasm} target+WASM), ${tally.gaps} known gaps, ${tally.disagree} disagree`)
      t.equal(tally.disagree, 0, `${target.label} on ${profile.id}: no disagreement outside the known gaps`)
    })
  }
  return tallies
}
