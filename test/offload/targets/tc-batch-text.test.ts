// The TC emitter's typed rules and their `tc -batch` text on a conformance topology, for each tc-flower profile.
import t from 'tap'
import { STAGES } from '../../../datapath/spec/stages.js'
import { emitTc } from '../../../offload/targets/tc/emit-tc.js'
import { renderTcBatch } from '../../../offload/targets/tc/tc-batch-text.js'
import { loadVectors } from '../../conformance/run-vectors.js'
import { profilesOf } from './vector-equivalence.js'

const { topologies } = loadVectors()
const topology = topologies.get('routed-two-networks')
if (topology === undefined) throw new Error('routed-two-networks topology missing')

for (const profile of profilesOf(['tc-flower'])) {
  t.test(`TC flower rules for ${profile.id}`, async t => {
    const program = emitTc(topology.entries, profile)
    const max = profile.actions.maxActionsPerEntry.value ?? Infinity
    t.ok(
      program.rules.every(r => r.actions.length + (r.actions.some(a => a.kind === 'dec_ttl') ? 1 : 0) <= max),
      `no rule has more than ${max} actions (dec_ttl is pedit + csum)`,
    )
    const chains = new Set(program.rules.map(r => r.chain))
    const gotos = program.rules.flatMap(r => r.actions.flatMap(a => (a.kind === 'goto' ? [{ from: r.chain, to: a.chain }] : [])))
    t.ok(
      gotos.every(g => chains.has(g.to)),
      'every goto chain target has rules',
    )
    const stageOf = new Map(program.rules.map(r => [r.chain, STAGES.findIndex(s => s.name === r.stage)]))
    t.ok(
      gotos.every(g => (stageOf.get(g.to) ?? -1) > (stageOf.get(g.from) ?? -1)),
      'gotos only go to a later stage (no loop)',
    )
    const text = renderTcBatch(program)
    const lines = text
      .trim()
      .split('\n')
      .filter(l => !l.startsWith('#'))
    t.ok(
      lines.every(l =>
        /^(filter add block 1 ingress protocol \S+ chain \d+ prio \d+ flower .* action |chain add block 1 ingress chain \d+$)/.test(l),
      ),
      'every line is a chain or a flower filter with actions',
    )
    t.match(text, /action trap/, 'something is trapped to software')
    const l2OnTarget = program.rules.some(r => r.stage === 'ls_in_l2_lkup' && r.actions.every(a => a.kind !== 'trap'))
    if (l2OnTarget) t.match(text, /dst_mac 01:00:00:00:00:00\/01:00:00:00:00:00/, 'group addresses flood')
  })
}
