// Warnings are counted per code and logged once per code, so a flapping connection cannot flood the log.
import t from 'tap'
import { WarningLog } from '../../store/warning-log.js'
import { StoreError } from '../../store/types.js'

t.test('logged once per code, every one counted', async t => {
  const logged: string[] = []
  const original = console.warn
  console.warn = (line: string) => { logged.push(line) }
  try {
    const log = new WarningLog('test')
    for (let i = 0; i < 5; i++) log.report(new StoreError('unavailable', `connect refused ${i}`))
    log.report(new StoreError('bad_record', 'garbled'))
    t.same(logged, [
      "test: connect refused 0 (further 'unavailable' warnings are only counted)",
      "test: garbled (further 'bad_record' warnings are only counted)",
    ])
    t.equal(log.counts.get('unavailable'), 5)
    t.equal(log.counts.get('bad_record'), 1)
  } finally {
    console.warn = original
  }
})

t.test('a sink of its own gets every warning', async t => {
  const got: string[] = []
  const log = new WarningLog('test', e => got.push(e.message))
  log.report(new StoreError('invalid', 'a'))
  log.report(new StoreError('invalid', 'b'))
  t.same(got, ['a', 'b'])
  t.equal(log.counts.get('invalid'), 2)
})
