// The stage table is the one declaration every target reads: check that it is consistent.
import t from 'tap'
import { STAGES, STAGE_COUNT } from '../../datapath/spec/stages.js'
import { REASON_COUNT, REASON_NAMES, VERDICT_NAMES, VERDICT_PUNT } from '../../datapath/spec/verdicts.js'

t.test('stage ids are their positions and names are unique', async t => {
  t.equal(STAGES.length, STAGE_COUNT)
  STAGES.forEach((s, i) => t.equal(s.id, i, `${s.name} has id ${s.id} at position ${i}`))
  t.equal(new Set(STAGES.map(s => s.name)).size, STAGES.length)
})

t.test('every stage only moves forward, so targets can use forward gotos', async t => {
  for (const s of STAGES) {
    const next = s.next === '' ? [] : s.next.split(',').map(Number)
    for (const n of next) {
      t.ok(n > s.id && n < STAGE_COUNT, `${s.name} -> ${n} goes forward to a declared stage`)
    }
  }
  t.equal(STAGES[STAGE_COUNT - 1]?.next, '', 'the last stage is terminal')
})

t.test('reason and verdict names cover their codes', async t => {
  t.equal(REASON_NAMES.length, REASON_COUNT)
  t.equal(new Set(REASON_NAMES).size, REASON_COUNT)
  t.equal(VERDICT_NAMES.length, VERDICT_PUNT + 1)
})
