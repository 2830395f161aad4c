// The rte_flow / DOCA-Flow MODEL (offload/targets/rte) against the WASM pipeline on every batch conformance vector
// (and step by step on the sequence vectors), on each doca-flow / rte-flow profile (target+WASM where a stage
// stays in software).
import t from 'tap'
import { emitRteFlow } from '../../../offload/targets/rte/emit-rte-flow.js'
import { RteFlowModel } from '../../../offload/targets/rte/rte-flow-model.js'
import { type TargetUnderTest, runEquivalence, runSequences } from './vector-equivalence.js'

const target: TargetUnderTest = {
  label: 'rte_flow/DOCA pipes MODEL',
  kinds: ['doca-flow', 'rte-flow'],
  model: (entries, profile, conntrack) =>
    new RteFlowModel(emitRteFlow(entries, profile), { ...(conntrack !== undefined ? { conntrack } : {}) }),
}

// Floors a little under the shares measured when they were set (2026-12): batch vectors 40.0%, sequence steps
// 8.0% (established connections offloaded).
// DHCPv6 added 26 batch vectors that punt by design (the reply is a new frame): the floor moved with them
await runEquivalence(t, target, { floors: { 'bluefield3-doca': 0.36 } })
await runSequences(t, target, { floors: { 'bluefield3-doca': 0.07 } })
