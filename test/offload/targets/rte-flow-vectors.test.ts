// The rte_flow / DOCA-Flow MODEL (offload/targets/rte) against the WASM pipeline on every batch conformance
// vector, on each doca-flow / rte-flow profile (target+WASM where a stage stays in software).
import t from 'tap'
import { emitRteFlow } from '../../../offload/targets/rte/emit-rte-flow.js'
import { RteFlowModel } from '../../../offload/targets/rte/rte-flow-model.js'
import { runEquivalence } from './vector-equivalence.js'

await runEquivalence(t, {
  label: 'rte_flow/DOCA pipes MODEL',
  kinds: ['doca-flow', 'rte-flow'],
  model: (entries, profile) => new RteFlowModel(emitRteFlow(entries, profile)),
})
