// Random differential test: seeded topologies and random packets through the WASM pipeline and through each
// target MODEL (TC flower, rte_flow/DOCA pipes, P4 tables) on each profile of its kind. A packet the model traps
// is decided by the WASM pipeline (target+WASM), so it agrees by construction and is counted apart; a packet the
// model decides must get the WASM verdict and bytes. A disagreement prints a minimal reproducer (the topology's
// entries, in_port, tunnel_key and the packet hex). DIFF_PACKETS sets packets per topology and target (default 100000, as the offload issue asks).
import t from 'tap'
import type { PacketInput } from '../../../datapath/host/api.js'
import { hexOf } from '../../../datapath/host/addresses.js'
import type { Entry } from '../../../datapath/host/entries.js'
import type { Profile } from '../../../offload/profile.js'
import { emitP4 } from '../../../offload/targets/p4/emit-p4.js'
import { P4Model } from '../../../offload/targets/p4/p4-model.js'
import { emitRteFlow } from '../../../offload/targets/rte/emit-rte-flow.js'
import { RteFlowModel } from '../../../offload/targets/rte/rte-flow-model.js'
import { knownGapFor } from '../../../offload/targets/known-gaps.js'
import type { TargetOutcome } from '../../../offload/targets/target-outcome.js'
import { emitTc } from '../../../offload/targets/tc/emit-tc.js'
import { FlowerModel } from '../../../offload/targets/tc/flower-model.js'
import { verdictDiff } from '../../../offload/targets/verdict-diff.js'
import { randomPacket, randomTopology, rng } from './random-topology.js'
import { type TargetUnderTest, profilesOf } from './vector-equivalence.js'

const PACKETS = Number(process.env.DIFF_PACKETS ?? 100000)
const SEEDS = [1, 2, 3]
/** reproducers printed per target and topology; the count says how many more there were */
const SHOW = 3

const TARGETS: TargetUnderTest[] = [
  { label: 'TC flower MODEL', kinds: ['tc-flower'], model: (e: Entry[], p: Profile) => new FlowerModel(emitTc(e, p)) },
  {
    label: 'rte_flow/DOCA pipes MODEL',
    kinds: ['doca-flow', 'rte-flow'],
    model: (e: Entry[], p: Profile) => new RteFlowModel(emitRteFlow(e, p)),
  },
  { label: 'P4 tables MODEL', kinds: ['p4'], model: (e: Entry[], p: Profile) => new P4Model(emitP4(e, p)) },
]

const { createDatapath } = await import('../../../datapath/host/index.js')
const dp = await createDatapath({ backend: 'core' })

for (const seed of SEEDS) {
  const topo = randomTopology(seed)
  dp.clear()
  dp.load(topo.topology)
  const r = rng(seed * 7919)
  const packets: PacketInput[] = Array.from({ length: PACKETS }, () => randomPacket(topo, r))
  const wasm = dp.process(packets)
  for (const target of TARGETS) {
    for (const profile of profilesOf(target.kinds)) {
      t.test(`${target.label} on ${profile.id}, random topology seed ${seed}: ${PACKETS} packets agree with the WASM pipeline`, async t => {
        const model: { run(p: PacketInput): TargetOutcome } = target.model(topo.topology.entries, profile, undefined)
        let onTarget = 0
        let trapped = 0
        let gaps = 0
        const bad: string[] = []
        packets.forEach((p, i) => {
          const out = model.run(p)
          const w = wasm[i]
          if (w === undefined) {
            bad.push(`packet ${i}: no WASM verdict`)
            return
          }
          if (out.verdict === undefined) {
            trapped++
            return
          }
          const diff = verdictDiff(w, out.verdict)
          if (diff === undefined) {
            onTarget++
            return
          }
          if (knownGapFor(w.reason) !== undefined) {
            gaps++
            return
          }
          bad.push(
            `${diff} (decided at ${out.stage}); reproduce: in_port=${p.in_port}${p.tunnel_key !== undefined ? ` tunnel_key=${p.tunnel_key}` : ''} hex=${hexOf(p.data)}`,
          )
        })
        t.comment(
          `${target.label} on ${profile.id}, seed ${seed}: ${onTarget + trapped}/${PACKETS} agree (${onTarget} on the target, ${trapped} target+WASM), ${gaps} known gaps, ${bad.length} disagree`,
        )
        if (bad.length > 0) {
          t.fail(`${bad.length} disagreements; first: ${bad.slice(0, SHOW).join(' || ')}`, { topology: JSON.stringify(topo.topology) })
        } else {
          t.pass('no disagreement')
        }
      })
    }
  }
}
