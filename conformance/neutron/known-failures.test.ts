// The known-failures ratchet: every entry needs a reason, a new failure and a stale entry both fail the run.
import t from 'tap'
import { KnownFailuresError, judge, parseKnownFailures } from './known-failures.js'

t.test('the list: one id and its reason a line, comments and blank lines ignored', async t => {
  const known = parseKnownFailures('# header\n\na.b.T.test_one  # routes: null refused\n  a.b.T.test_two # no next link\n', 'k.txt')
  t.same(
    [...known],
    [
      ['a.b.T.test_one', 'routes: null refused'],
      ['a.b.T.test_two', 'no next link'],
    ],
  )
  t.throws(
    () => parseKnownFailures('a.b.T.test_one\n', 'k.txt'),
    new KnownFailuresError('k.txt:1: \'a.b.T.test_one\' has no reason (write "<test id>  # why it fails")'),
  )
  t.throws(() => parseKnownFailures('x # one\nx # two\n', 'k.txt'), /k.txt:2: 'x' is listed twice/)
})

t.test('a run judged against the list', async t => {
  const known = new Map([
    ['known.fails', 'r'],
    ['known.fixed', 'r'],
    ['known.not.run', 'r'],
  ])
  const v = judge(['known.fails', 'known.fixed', 'new.fails', 'passes'], ['known.fails', 'new.fails'], known)
  t.same(v.unexpected, ['new.fails'], 'a failure not on the list')
  t.same(v.stale, ['known.fixed'], 'a listed test that passed: its entry is stale')
  t.same(v.known, ['known.fails'])
  t.same(judge(['a'], [], new Map()), { unexpected: [], stale: [], known: [] }, 'a clean run')
})
