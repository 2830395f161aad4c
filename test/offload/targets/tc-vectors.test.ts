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

// Floors a little under the shares measured when they were set (2026-12): batch vectors connectx6dx-tc 45.1%,
// e810-switchdev-tc 4.8% (drop/redirect/mirror only: most stages stay in software); sequence steps connectx6dx-tc
// 8.0% (established connections offloaded). e810 holds no connections (conntrack mode none): every step of a
// stateful port is WASM's by design, hence its step floor of 0.
// DHCPv6 added 26 batch vectors that punt by design (the reply is a new frame): the floor moved with them
await runEquivalence(t, target, { floors: { 'connectx6dx-tc': 0.4, 'e810-switchdev-tc': 0.04 } })
await runSequences(t, target, { floors: { 'connectx6dx-tc': 0.07, 'e810-switchdev-tc': 0 } })
