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
  model: (entries, profile, conntrack) => new RteFlowModel(emitRteFlow(entries, profile), { ...(conntrack !== undefined ? { conntrack } : {}) }),
}

await runEquivalence(t, target)
await runSequences(t, target)
