// The P4 table MODEL (offload/targets/p4) against the WASM pipeline on every batch conformance vector, on each
// p4 profile (target+WASM where a stage stays in software).
import t from 'tap'
import { emitP4 } from '../../../offload/targets/p4/emit-p4.js'
import { P4Model } from '../../../offload/targets/p4/p4-model.js'
import { runEquivalence } from './vector-equivalence.js'

await runEquivalence(t, {
  label: 'P4 tables MODEL',
  kinds: ['p4'],
  model: (entries, profile) => new P4Model(emitP4(entries, profile)),
})
