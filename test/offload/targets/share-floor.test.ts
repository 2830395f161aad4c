// The floor of packets decided on the target (vector-equivalence.ts) must be able to fail: a profile that puts
// nothing in hardware agrees with WASM on every vector (the WASM pipeline decides them all), so agreement alone
// would pass it. Built here from a shipped profile with no match field and no action, not as a file in the tree.
import t from 'tap'
import type { Datapath } from '../../../datapath/host/api.js'
import { emitTc } from '../../../offload/targets/tc/emit-tc.js'
import { FlowerModel } from '../../../offload/targets/tc/flower-model.js'
import { type Profile, loadProfile } from '../../../offload/profile.js'
import { type BatchReport, type TargetUnderTest, onTargetShare, onTargetShortfall, runBatchVectors } from './vector-equivalence.js'

const target: TargetUnderTest = {
  label: 'TC flower MODEL',
  kinds: ['tc-flower'],
  model: (entries, profile, conntrack) => new FlowerModel(emitTc(entries, profile), { ...(conntrack !== undefined ? { conntrack } : {}) }),
}

const shipped = loadProfile('e810-switchdev-tc')
const decidesNothing: Profile = {
  ...shipped,
  id: 'decides-nothing',
  match: { ...shipped.match, fields: [] },
  actions: { ...shipped.actions, supported: [] },
}

const { createDatapath } = await import('../../../datapath/host/index.js')
const dp: Datapath = await createDatapath({ backend: 'core' })

const collect = (): BatchReport & { failures: string[] } => {
  const failures: string[] = []
  return {
    failures,
    fail: m => {
      failures.push(m)
    },
    comment: () => {},
  }
}

t.test('a profile that decides nothing on the target agrees everywhere, and fails the floor', async t => {
  const report = collect()
  const tally = await runBatchVectors(dp, target, decidesNothing, report)
  t.same(report.failures, [], 'it agrees with the WASM pipeline: agreement alone would pass it')
  t.ok(tally.vectors > 100, `the vectors ran (${tally.vectors})`)
  t.equal(tally.onTarget, 0, 'nothing was decided on the target')
  t.match(
    onTargetShortfall(tally, 0.04),
    /^0\/\d+ \(0\.0%\) decided on the target, under the floor of 4\.0%$/,
    'the floor check fails it, in words',
  )
})

t.test('the shipped profile it was built from clears the same floor', async t => {
  const report = collect()
  const tally = await runBatchVectors(dp, target, shipped, report)
  t.same(report.failures, [], 'it agrees with the WASM pipeline')
  t.ok(onTargetShare(tally) > 0, `some vectors decided on the target (${tally.onTarget})`)
  t.equal(onTargetShortfall(tally, 0.04), undefined, 'and clears the floor')
})

t.test('a tally of nothing fails any floor', async t => {
  t.equal(
    onTargetShortfall({ vectors: 0, onTarget: 0, viaWasm: 0, gaps: 0, disagree: 0 }, 0),
    'nothing was run',
    'an empty run is a shortfall',
  )
})
