// The TC flower MODEL (offload/targets/tc) against the WASM pipeline on every batch conformance vector, on each
// tc-flower profile (target+WASM where the planner keeps a stage in software).
import t from 'tap'
import { emitTc } from '../../../offload/targets/tc/emit-tc.js'
import { FlowerModel } from '../../../offload/targets/tc/flower-model.js'
import { runEquivalence } from './vector-equivalence.js'

await runEquivalence(t, {
  label: 'TC flower MODEL',
  kinds: ['tc-flower'],
  model: (entries, profile) => new FlowerModel(emitTc(entries, profile)),
})
