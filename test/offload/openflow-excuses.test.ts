// The excuse book of the OpenFlow-vs-OVS tests must be able to fail: an excuse for a vector the run never judged
// and an excuse for a vector that agrees now are both stale.
import t from 'tap'
import { ExcuseBook, REASONS } from './openflow-excuses.js'

t.test('an excuse is used by a vector that still disagrees', async t => {
  const book = new ExcuseBook([{ vectors: ['parse/empty-frame'], reason: REASONS.malformed }])
  book.agreed('l2/unicast')
  t.equal(book.disagreed('parse/empty-frame')?.reason, REASONS.malformed, 'the excused vector gets its reason')
  t.equal(book.disagreed('l2/flood'), undefined, 'a vector without an excuse gets none: the caller fails it')
  t.same(book.stale(), [], 'nothing is stale')
})

t.test('an excuse naming no judged vector is stale', async t => {
  const book = new ExcuseBook([{ vectors: ['parse/no-such-vector'], reason: REASONS.malformed }])
  book.agreed('l2/unicast')
  t.match(book.stale(), [/^parse\/no-such-vector is excused .* but was not judged here/], 'it is reported by name')
})

t.test('an excused vector that agrees on every step is stale; one step disagreeing keeps it', async t => {
  const book = new ExcuseBook([{ vectors: ['ct/agrees-now', 'ct/one-step-off'], reason: REASONS.ctFull }])
  book.agreed('ct/agrees-now')
  book.agreed('ct/agrees-now')
  book.agreed('ct/one-step-off')
  book.disagreed('ct/one-step-off')
  book.agreed('ct/one-step-off')
  t.match(
    book.stale(),
    [/^ct\/agrees-now is excused .* but agrees with OVS now: remove its excuse$/],
    'only the one that agrees everywhere',
  )
})

t.test('a vector excused twice is refused', async t => {
  t.throws(
    () =>
      new ExcuseBook([
        { vectors: ['nd/x'], reason: REASONS.ndPunted },
        { vectors: ['nd/x'], reason: REASONS.ndPunted },
      ]),
    /nd\/x is excused twice/,
  )
})
