// The TC flower MODEL (offload/targets/tc) against the WASM pipeline on every batch conformance vector (and step
// by step on the sequence vectors), on each tc-flower profile (target+WASM where the planner keeps a stage in
// software).
import t from 'tap'
import { emitTc } from '../../../offload/targets/tc/emit-tc.js'
import { FlowerModel } from '../../../offload/targets/tc/flower-model.js'
import { type TargetUnderTest, runEquivalence, runSequences } from './vector-equivalence.js'

const target: TargetUnderTest = {
  label: 'TC flower MODEL',
  kinds: ['tc-flower'],
  model: (entries, profile, conntrack) => new FlowerModel(emitTc(entries, profile), { ...(conntrack !== undefined ? { conntrack } : {}) }),
}

await runEquivalence(t, target)
await runSequences(t, target)
